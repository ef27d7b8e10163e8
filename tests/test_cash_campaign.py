"""Hardware-level fault campaign: random notes and validator faults through the real driver
and the pty simulator; the notes a NoteTracker books match the simulator's cashbox ledger."""

from __future__ import annotations

import random
from collections import Counter

from hardware.cash import events as ev
from hardware.cash.driver import SspValidator
from hardware.cash.notes import Fate, NoteTracker
from hardware.sim.validator import VirtualValidator
from hardware.sim.validator_model import ValidatorModel

FAULTS = [None, None, None, "drop_replies", "corrupt_replies", "reject", "fraud", "safe_jam",
          "unsafe_jam", "power_loss"]
NOTES = (5, 10, 20, 50, 100)  # 100 is not enabled: the unit rejects it


def start(unit: SspValidator) -> dict[int, int]:
    info = unit.initialise()
    channels = info.setup.channels_for({5, 10, 20, 50}, "EUR")
    unit.set_inhibits(c.number for c in channels)
    unit.enable()
    return {c.number: c.value for c in info.setup.channels}


def campaign(link, sim: VirtualValidator, notes: int, seed: int) -> dict[str, Counter]:
    rnd = random.Random(seed)
    booked: dict[str, Counter] = {fate.value: Counter() for fate in Fate}
    with SspValidator(str(link), timeout=0.2, tries=4) as unit:
        values = start(unit)
        tracker = NoteTracker()
        for _ in range(notes):
            fault = rnd.choice(FAULTS)
            if fault in ("reject", "fraud", "safe_jam", "unsafe_jam", "power_loss"):
                sim.set_fault(fault)
            assert sim.insert_note(rnd.choice(NOTES))
            for _poll in range(12):
                if fault in ("drop_replies", "corrupt_replies") and rnd.random() < 0.5:
                    sim.set_fault(fault)  # lands on any reply: escrow, stacking, credit
                events = unit.poll()
                for outcome in tracker.feed(events):
                    booked[outcome.fate.value][values.get(outcome.channel, 0)] += 1
                    if outcome.fate is Fate.IN_ESCROW and rnd.random() < 0.2:
                        assert unit.reject()  # the kiosk refuses it (over the limit)
                    elif outcome.fate is Fate.IN_ESCROW and rnd.random() < 0.2:
                        assert unit.hold()
                    elif outcome.fate is Fate.UNCERTAIN:
                        sim.clear_jam()
                if ev.SlaveReset() in events:
                    start(unit)
                if not tracker.busy and sim.model.note_stage is None:
                    break
            else:
                raise AssertionError(f"note stuck at {tracker.stage}")
    return booked


def test_every_note_in_the_cashbox_is_booked_once(tmp_path):
    with VirtualValidator(tmp_path / "validator", ValidatorModel()) as sim:
        booked = campaign(sim.link, sim, notes=100, seed=20261130)
        model = sim.model
        # Credited exactly once: what the kiosk books is what the unit credited.
        assert booked["credited"] == Counter(model.credited)
        assert not booked["duplicate_credit"]
        # Every note in the cashbox is booked: credited, or cleared in at power-up, or
        # uncertain after a jam (on the slip). Nothing reached it unbooked.
        assert model.cashbox == booked["credited"] + Counter(model.uncredited)
        assert not (Counter(model.uncredited) - booked["cleared_into_cashbox"]
                    - booked["uncertain"])
        # The campaign did hit the faults.
        assert sim.replies_dropped and sim.replies_corrupted
        assert booked["fraud"] and booked["cleared_into_cashbox"] and booked["returned"]
