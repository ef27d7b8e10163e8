"""ESC/POS printer emulator on a real pseudo-terminal, with fault injection and unplug/replug."""

from __future__ import annotations

import argparse
import logging
import os
import re
import select
import signal
import termios
import threading
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from hardware.sim.printer_decode import (
    DEFAULT_TABLES,
    CutEvent,
    EscPosDecoder,
    Feed,
    Init,
    Line,
    Qr,
    StatusQuery,
    Unknown,
)
from hardware.sim.printer_faults import GARBAGE_STATUS, Faults, status_byte
from hardware.sim.printer_render import receipt_text, render_png

log = logging.getLogger(__name__)

_BAUD_CONSTANTS = {
    getattr(termios, f"B{rate}"): rate
    for rate in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
}


@dataclass
class Receipt:
    """One receipt the emulator printed; `complete` is False when paper ran out part-way."""

    number: int
    text: str
    txt_path: Path
    png_path: Path
    lines: list[Line]
    qr_codes: list[bytes]
    wrapped_lines: int  # lines the printer had to break: the layout was wider than the paper
    complete: bool = True


@dataclass
class _ReceiptInProgress:
    """The receipt on the paper now, up to its cut."""

    lines: list = field(default_factory=list)  # elements of the receipt being printed
    stopped: bool = False  # paper ran out during this receipt


class PrinterEmulator:
    """A thermal receipt printer behind a pty, reachable at a stable symlink (`link`).

    `stop()` removes the pty and the link like an unplugged USB adapter; `start()` plugs it in
    again under the same link. Printed receipts land in `out_dir` as NNN.txt and NNN.png.
    """

    def __init__(
        self,
        link: str | os.PathLike[str],
        out_dir: str | os.PathLike[str],
        *,
        columns: int = 42,
        baudrate: int = 19200,
        pc858_slot: int = 19,
        render: bool = True,
    ) -> None:
        self.link = Path(link)
        self.out_dir = Path(out_dir)
        self.columns = columns
        self.baudrate = baudrate
        self.render = render
        tables = {k: v for k, v in DEFAULT_TABLES.items() if v != "cp858"}
        tables[pc858_slot] = "cp858"  # the slot differs between printer models
        self.tables = tables
        self.faults = Faults()
        self.receipts: list[Receipt] = []
        self.partial: Receipt | None = None  # what was on paper when it ran out
        self.bytes_received = 0
        self.lines_printed = 0
        self._triggers: dict[str, int] = {}  # fault -> absolute byte/line count it fires at
        self._held = b""  # bytes read but not yet processed while the line is held
        self.status_queries = 0
        self.unknown_commands: list[bytes] = []
        self._cond = threading.Condition()
        self._master: int | None = None
        self._slave: int | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._running = False
        self._decoder = EscPosDecoder(columns, dict(self.tables))
        self._receipt = _ReceiptInProgress()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        existing = [int(m.group(1)) for p in self.out_dir.iterdir()
                    if (m := re.fullmatch(r"(\d{3,})\.txt", p.name))]
        self._next_number = max(existing, default=0) + 1

    # --- plugging ------------------------------------------------------------------------

    @property
    def device(self) -> str:
        """The pty slave's own path (changes with every start)."""
        assert self._slave is not None, "emulator not started"
        return os.ttyname(self._slave)

    def start(self) -> "PrinterEmulator":
        with self._cond:
            if self._running:
                return self
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)  # no echo, no line discipline: bytes pass untouched
            attrs = termios.tcgetattr(self._slave)
            speed = getattr(termios, f"B{self.baudrate}")
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            os.symlink(os.ttyname(self._slave), tmp)
            os.replace(tmp, self.link)  # the link never points nowhere while replugging
            self._decoder = EscPosDecoder(self.columns, dict(self.tables))
            self._receipt = _ReceiptInProgress()
            # A held line and what was stuck in it belong to the old connection.
            self.faults.hold_line = False
            self._held = b""
            self._running = True
            self._thread = threading.Thread(target=self._run, name="printer-emulator",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Unplug: the pty disappears (the host sees I/O errors) and so does the link."""
        with self._cond:
            if not self._running:
                return
            self._running = False
            os.write(self._wake_w, b"x")
        assert self._thread is not None
        self._thread.join()
        with self._cond:
            self.link.unlink(missing_ok=True)
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            self._cond.notify_all()

    def close(self) -> None:
        self.stop()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "PrinterEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- faults --------------------------------------------------------------------------

    def set_faults(self, **changes: object) -> None:
        """Change faults, e.g. set_faults(paper="out") or set_faults(paper_out_after_lines=5)."""
        with self._cond:
            for key, value in changes.items():
                if not hasattr(self.faults, key):
                    raise AttributeError(f"no such printer fault: {key}")
                setattr(self.faults, key, value)
                if key in ("paper_out_after_bytes", "hold_line_after_bytes"):
                    self._triggers.pop(key, None)
                    if value is not None:
                        self._triggers[key] = self.bytes_received + int(value)  # type: ignore
                elif key == "paper_out_after_lines":
                    self._triggers.pop(key, None)
                    if value is not None:
                        self._triggers[key] = self.lines_printed + int(value)  # type: ignore
            if self.faults.paper != "out" and self._receipt.stopped:
                self._finish_receipt(complete=False)  # paper reloaded: the stub is torn off
            if not self.faults.hold_line and self._held and self._running:
                held, self._held = self._held, b""
                self._receive(held)
            os.write(self._wake_w, b"x")

    def inject_line_noise(self, data: bytes) -> None:
        """Bytes the host receives unasked (a late reply, noise on the line)."""
        self._send(data)

    # --- waiting (tests synchronise on these, never on sleeps) ---------------------------

    def wait_for_receipts(self, count: int, timeout: float = 10.0) -> list[Receipt]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.receipts) >= count, timeout):
                raise TimeoutError(f"{len(self.receipts)} of {count} receipts after {timeout} s")
            return list(self.receipts)

    def wait_for(self, predicate, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout):
                raise TimeoutError("printer emulator: condition not reached")

    # --- status --------------------------------------------------------------------------

    def status_byte(self, n: int) -> int:
        return status_byte(self.faults, n)

    # --- the printer's loop --------------------------------------------------------------

    def _line_baud(self) -> int | None:
        """The rate the host set on the port; None when it cannot be read."""
        try:
            attrs = termios.tcgetattr(self._slave)  # type: ignore[arg-type]
        except (termios.error, TypeError):
            return None
        return _BAUD_CONSTANTS.get(attrs[5])

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._running:
                    return
                master, hold, slow = self._master, self.faults.hold_line, self.faults.slow_baud
            watch = [self._wake_r] if hold else [self._wake_r, master]
            ready, _, _ = select.select(watch, [], [])
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if master not in ready:
                continue
            try:
                data = os.read(master, 16 if slow else 4096)  # type: ignore[arg-type]
            except OSError:
                continue  # no host has the port open (EIO): nothing to read yet
            if slow:
                # Emulates the line's speed: the host's bytes arrive no faster than this.
                time.sleep(len(data) * 10 / slow)
            with self._cond:
                if self._running:
                    self._receive(data)

    def _receive(self, data: bytes) -> None:
        baud = self._line_baud()
        if baud is not None and baud != self.baudrate:
            # Wrong baud rate: every byte arrives as noise, and noise is all that comes back.
            self.bytes_received += len(data)
            self._send(bytes([GARBAGE_STATUS]))
            return
        if self.faults.hold_line:
            self._held += data  # read before the line was held; processed when released
            return
        for event in self._feed_counted(data):
            self._handle(event)

    def _feed_counted(self, data: bytes) -> list:
        """Decode, with byte-count faults firing exactly at their byte."""
        events: list = []
        while data:
            cut_at, fired = len(data), None
            for name in ("paper_out_after_bytes", "hold_line_after_bytes"):
                if name in self._triggers:
                    room = max(self._triggers[name] - self.bytes_received, 0)
                    if room < cut_at:
                        cut_at, fired = room, name
            head, data = data[:cut_at], data[cut_at:]
            self.bytes_received += len(head)
            events += self._decoder.feed(head)
            if fired is None:
                continue
            self._triggers.pop(fired)
            setattr(self.faults, fired, None)
            if fired == "paper_out_after_bytes":
                events.append("paper-out")
            else:
                # The printer stops taking data, as one holding DSR low or with a full buffer.
                self.faults.hold_line = True
                self._held += data
                data = b""
                self._cond.notify_all()
        return events

    def _handle(self, event: object) -> None:
        if event == "paper-out":
            self._paper_runs_out()
            return
        if isinstance(event, StatusQuery):
            self.status_queries += 1
            self._answer(event.n)
            self._cond.notify_all()
            return
        if isinstance(event, Unknown):
            self.unknown_commands.append(event.data)
            return
        if isinstance(event, Init):
            return
        if self._receipt.stopped or self.faults.paper == "out" or self.faults.cover_open \
                or self.faults.offline:
            return  # nothing reaches paper: a real printer holds it, the emulator drops it
        if isinstance(event, (Line, Feed, Qr)):
            self._receipt.lines.append(event)
            if isinstance(event, Line):
                self.lines_printed += 1
                at = self._triggers.get("paper_out_after_lines")
                if at is not None and self.lines_printed >= at:
                    self._paper_runs_out()
        elif isinstance(event, CutEvent):
            self._finish_receipt(complete=True)

    def _paper_runs_out(self) -> None:
        self.faults.paper = "out"
        for name in ("paper_out_after_bytes", "paper_out_after_lines"):
            self._triggers.pop(name, None)
            setattr(self.faults, name, None)
        self._receipt.stopped = True
        self.partial = self._make_receipt(self._receipt.lines, complete=False, number=0)
        self._cond.notify_all()

    def _answer(self, n: int) -> None:
        f = self.faults
        if f.no_answer:
            return
        reply = bytes([GARBAGE_STATUS if f.garbage_status else self.status_byte(n)])
        if f.extra_reply is not None:
            reply += bytes([f.extra_reply])
        if f.status_delay > 0:
            timer = threading.Timer(f.status_delay, self._send, (reply,))
            timer.daemon = True
            timer.start()
        else:
            self._send(reply)

    def _send(self, reply: bytes) -> None:
        with self._cond:
            if self._master is not None and self._running:
                try:
                    os.write(self._master, reply)
                except OSError:
                    pass

    def _finish_receipt(self, *, complete: bool) -> None:
        lines = self._receipt.lines
        self._receipt = _ReceiptInProgress()
        if not lines and complete:
            return  # a cut with nothing printed: no receipt
        number = self._next_number
        self._next_number += 1
        receipt = self._make_receipt(lines, complete=complete, number=number)
        if complete:
            self.receipts.append(receipt)
        else:
            self.partial = receipt
        log.info("printer emulator: %s %s", "receipt" if complete else "partial receipt",
                 receipt.txt_path)
        self._cond.notify_all()

    def _make_receipt(self, lines: list, *, complete: bool, number: int) -> Receipt:
        text = receipt_text(lines, self.columns)
        stem = f"{number:03d}" if complete else f"{number:03d}-partial"
        txt_path = self.out_dir / f"{stem}.txt"
        png_path = self.out_dir / f"{stem}.png"
        if number:
            txt_path.write_text(text, encoding="utf-8")
            if self.render:
                render_png(lines, self.columns, png_path)
        return Receipt(
            number=number,
            text=text,
            txt_path=txt_path,
            png_path=png_path,
            lines=[e for e in lines if isinstance(e, Line)],
            qr_codes=[e.data for e in lines if isinstance(e, Qr)],
            wrapped_lines=sum(1 for e in lines if isinstance(e, Line) and e.wrapped),
            complete=complete,
        )


def main(argv: list[str] | None = None) -> int:
    """Run the emulator standalone: `python -m hardware.sim.printer --link PATH --out DIR`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--link", required=True, help="stable path for the printer's pty")
    parser.add_argument("--out", required=True, help="folder for NNN.txt and NNN.png")
    parser.add_argument("--columns", type=int, default=42, choices=(32, 42, 48))
    parser.add_argument("--baudrate", type=int, default=19200)
    parser.add_argument("--pc858-slot", type=int, default=19)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with PrinterEmulator(args.link, args.out, columns=args.columns, baudrate=args.baudrate,
                         pc858_slot=args.pc858_slot) as emulator:
        log.info("printer emulator on %s (%s); receipts in %s", args.link, emulator.device,
                 args.out)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
