"""Virtual SSP note validator on a real pseudo-terminal, with fault injection and unplugging.

Tests and `kiosk simulate` drive it through `insert_note(value)` and `set_fault(name, ...)`;
the host side opens `link` with pyserial exactly as it would open a real NV9 USB+.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import sys
import threading
import tty
from pathlib import Path
from typing import Callable

from hardware.cash.codes import RejectReason
from hardware.cash.frame import FrameDecoder, encode_packet
from hardware.sim.validator_model import NoteFault, ValidatorModel

log = logging.getLogger(__name__)

NOTE_FAULTS = {fault.value: fault for fault in NoteFault}
FAULTS = (*NOTE_FAULTS, "stacker_full", "cashbox_removed", "drop_replies", "corrupt_replies",
          "unplugged")


class VirtualValidator:
    """An ITL-style note validator behind a pty reachable at `link`.

    Faults (`set_fault`): the note faults of NoteFault apply to the next inserted note
    ("reject" takes `reason`; "power_loss" takes `returns_after`: host packets lost
    after the one the power failed in, None = off until power_on()); "stacker_full" and
    "cashbox_removed" hold until clear_fault(); "drop_replies"/"corrupt_replies" take `count`
    (the unit runs the command, its reply is lost or sent with a broken CRC); "unplugged"
    removes the pty and the link, clear_fault("unplugged") plugs in again (same link, state
    kept). The ledger lives in `model`: `cashbox`, `credited`, `uncredited`, `returned`.
    """

    def __init__(self, link: str | os.PathLike[str], model: ValidatorModel | None = None,
                 ) -> None:
        self.link = Path(link)
        self.model = model or ValidatorModel()
        self.drop_replies = 0
        self.corrupt_replies = 0
        self.replies_dropped = 0
        self.replies_corrupted = 0
        self.packets = 0  # host packets received for any address
        self._cond = threading.Condition()
        self._fds: tuple[int, int] | None = None  # pty master, slave (kept open: no EIO)
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None

    # --- plugging ------------------------------------------------------------------------

    @property
    def plugged(self) -> bool:
        return self._fds is not None

    def plug(self) -> "VirtualValidator":
        with self._cond:
            if self._fds is not None:
                return self
            master, slave = os.openpty()
            tty.setraw(slave)
            self._fds = (master, slave)
            new_link = self.link.with_name(self.link.name + ".tmp")
            new_link.unlink(missing_ok=True)
            new_link.symlink_to(os.ttyname(slave))
            new_link.replace(self.link)
            self._thread = threading.Thread(target=self._serve, args=(master,),
                                            name="validator-sim", daemon=True)
            self._thread.start()
        return self

    def unplug(self) -> None:
        """The pty vanishes: the host's next read or write fails, as with a pulled USB cable."""
        with self._cond:
            fds, self._fds = self._fds, None
            if fds is None:
                return
            os.write(self._wake_w, b"u")
        assert self._thread is not None
        self._thread.join()
        with self._cond:
            self.link.unlink(missing_ok=True)
            for fd in fds:
                os.close(fd)
            os.read(self._wake_r, 64)
            self._cond.notify_all()

    def close(self) -> None:
        self.unplug()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)

    def __enter__(self) -> "VirtualValidator":
        return self.plug()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the customer, the engineer, the fault injector ------------------------------------

    def insert_note(self, value: int) -> bool:
        """A note at the bezel; False when the unit does not draw it in."""
        with self._cond:
            return self.model.insert_note(value)

    def set_fault(self, name: str, *, reason: RejectReason = RejectReason.NOT_RECOGNISED,
                  count: int = 1, returns_after: int | None = 0) -> None:
        if name == "unplugged":
            self.unplug()
            return
        with self._cond:
            if name in NOTE_FAULTS:
                if name == "power_loss":
                    self.model.power_returns_after = returns_after
                self.model.add_note_fault(NOTE_FAULTS[name], reason)
            elif name == "stacker_full":
                self.model.stacker_full = True
            elif name == "cashbox_removed":
                self.model.set_cashbox_removed(True)
            elif name == "drop_replies":
                self.drop_replies = count
            elif name == "corrupt_replies":
                self.corrupt_replies = count
            else:
                raise ValueError(f"no such validator fault: {name!r} (known: {', '.join(FAULTS)})")

    def clear_fault(self, name: str) -> None:
        """Undo a lasting fault: cashbox back in, stacker emptied, cable plugged in."""
        if name == "unplugged":
            self.plug()
            return
        with self._cond:
            if name == "cashbox_removed":
                self.model.set_cashbox_removed(False)
            elif name == "stacker_full":
                self.model.empty_cashbox()
            elif name in ("drop_replies", "corrupt_replies"):
                setattr(self, name, 0)
            elif name in NOTE_FAULTS:
                self.model.note_faults = [f for f in self.model.note_faults
                                          if f[0] is not NOTE_FAULTS[name]]
            else:
                raise ValueError(f"no such validator fault: {name!r} (known: {', '.join(FAULTS)})")

    def clear_jam(self, into_cashbox: bool | None = None) -> str:
        with self._cond:
            return self.model.clear_jam(into_cashbox)

    def power_off(self, off_packets: int | None = None) -> None:
        with self._cond:
            self.model.power_off(off_packets)

    def power_on(self) -> None:
        with self._cond:
            self.model.power_on()

    def wait_for(self, predicate: Callable[[ValidatorModel], bool], timeout: float = 10.0
                 ) -> None:
        """Block until predicate(model) holds (checked after every packet)."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.model), timeout):
                raise TimeoutError("virtual validator: condition not reached")

    # --- the unit's loop -------------------------------------------------------------------

    def _serve(self, master: int) -> None:
        decoder = FrameDecoder()
        while True:
            ready, _, _ = select.select([master, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            try:
                data = os.read(master, 512)
            except OSError:
                return
            for packet in decoder.feed(data):
                with self._cond:
                    self.packets += 1
                    reply = self.model.handle(packet)
                    frame = None if reply is None else self._on_the_wire(encode_packet(reply))
                    self._cond.notify_all()
                if frame:
                    try:
                        os.write(master, frame)
                    except OSError:
                        return

    def _on_the_wire(self, frame: bytes) -> bytes | None:
        """Apply the reply faults: lost altogether, or with the CRC's high byte flipped."""
        if self.drop_replies > 0:
            self.drop_replies -= 1
            self.replies_dropped += 1
            return None
        if self.corrupt_replies > 0:
            self.corrupt_replies -= 1
            self.replies_corrupted += 1
            last = frame[-1] ^ 0x01
            # Keep the frame well-formed (no lone 0x7F): only the CRC check may fail.
            return frame[:-1] + bytes([last if last != 0x7F else frame[-1] ^ 0x02])
        return frame


def main(argv: list[str] | None = None) -> int:
    """`python -m hardware.sim.validator --link PATH`: type a value (5, 10, 20, 50 …) and Enter
    to insert a note, or `fault NAME` / `clear NAME`, or `jam` to clear a jam."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--link", required=True, help="stable path for the validator's pty")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    with VirtualValidator(args.link) as sim:
        print(f"virtual note validator on {args.link}; faults: {', '.join(FAULTS)}", flush=True)
        for line in sys.stdin:
            words = line.split()
            try:
                if len(words) == 1 and words[0].isdigit():
                    taken = sim.insert_note(int(words[0]))
                    print("note taken in" if taken else "note refused at the bezel", flush=True)
                elif len(words) == 2 and words[0] in ("fault", "clear"):
                    (sim.set_fault if words[0] == "fault" else sim.clear_fault)(words[1])
                elif words == ["jam"]:
                    print(f"jammed note cleared to the {sim.clear_jam()}", flush=True)
                elif words:
                    print(main.__doc__, flush=True)
            except (ValueError, RuntimeError) as exc:
                print(exc, flush=True)
        print(f"cashbox: {dict(sim.model.cashbox)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
