"""Driver and virtual validator over a real pty with real pyserial: a whole note session,
every injected fault, and the retry rule (a lost reply never costs or doubles a credit)."""

from __future__ import annotations

import pytest

from hardware.cash import events as ev
from hardware.cash.codes import RejectReason, Response
from hardware.cash.driver import CommandRefused, NoReply, NotSynchronised, PortUnavailable, \
    SspValidator
from hardware.sim.validator import VirtualValidator
from hardware.sim.validator_model import Stage, ValidatorModel

ACCEPT = {5, 10, 20, 50}


class Clock:
    """A clock the test moves by hand (escrow timeout)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_sim(tmp_path, clock):
    sims = []

    def make(**model_kw) -> VirtualValidator:
        sim = VirtualValidator(tmp_path / "kiosk-validator",
                               ValidatorModel(clock=clock, **model_kw)).plug()
        sims.append(sim)
        return sim

    yield make
    for sim in sims:
        sim.close()


@pytest.fixture
def sim(make_sim):
    return make_sim()


@pytest.fixture
def unit(sim):
    with SspValidator(str(sim.link), timeout=0.5, tries=3) as unit:
        yield unit


def ready(unit: SspValidator, accept: set[int] = ACCEPT) -> None:
    info = unit.initialise()
    unit.set_inhibits(c.number for c in info.setup.channels_for(accept, "EUR"))
    unit.enable()


def to_escrow(unit: SspValidator, sim: VirtualValidator, value: int) -> int:
    """Insert a note and poll until it waits in escrow; its channel."""
    assert sim.insert_note(value)
    assert unit.poll() == (ev.Read(0),)
    (event,) = unit.poll()
    assert isinstance(event, ev.Read) and event.in_escrow
    return event.channel


def test_a_whole_session_sync_setup_inhibits_enable_note_escrow_hold_stack_credit(unit, sim):
    info = unit.initialise()
    assert (info.protocol_version, info.serial_number) == (7, 12_345_678)
    assert info.setup.country == "EUR" and info.counters.stacked == 0
    channels = info.setup.channels_for(ACCEPT, "EUR")
    assert [(c.number, c.value) for c in channels] == [(1, 5), (2, 10), (3, 20), (4, 50)]
    assert unit.poll() == (ev.Disabled(),)  # initialise leaves it disabled
    assert not sim.insert_note(20)  # a disabled unit does not draw a note in
    unit.set_inhibits(c.number for c in channels)
    unit.enable()
    assert unit.poll() == ()
    assert to_escrow(unit, sim, 20) == 3
    assert unit.hold() and unit.hold()  # the kiosk may take its time: the note stays
    assert sim.model.note_stage is Stage.ESCROW
    assert unit.poll() == (ev.Stacking(),)  # this POLL accepted the note
    assert sim.model.cashbox == {}  # not a credit yet
    assert unit.poll() == (ev.NoteCredit(3), ev.Stacked())
    assert sim.model.cashbox == {20: 1} and sim.model.credited == [20]
    assert not unit.hold() and not unit.reject()  # nothing in escrow any more
    unit.disable()
    assert unit.poll() == (ev.Disabled(),)
    assert unit.counters().stacked == 1
    assert unit.display(False) and unit.display(True)
    assert unit.firmware_version() == "NV02004141498000"
    assert unit.dataset_version() == "EUR01610"


def test_rejected_by_the_host_returns_the_note(unit, sim):
    ready(unit)
    to_escrow(unit, sim, 50)
    assert unit.reject()
    assert unit.poll() == (ev.Rejecting(),)
    assert unit.poll() == (ev.Rejected(),)
    assert unit.last_reject_code() is RejectReason.REJECTED_BY_HOST
    assert sim.model.returned == [50] and sim.model.cashbox == {}


@pytest.mark.parametrize("value, reason", [
    (100, RejectReason.INHIBITED_BY_HOST),  # a real note the kiosk did not enable
    (7, RejectReason.NOT_RECOGNISED),  # not a note of the dataset
])
def test_notes_the_unit_will_not_take_are_rejected_with_the_reason(unit, sim, value, reason):
    ready(unit)
    assert sim.insert_note(value)
    assert unit.poll() == (ev.Read(0),)
    assert unit.poll() == (ev.Rejecting(),)
    assert unit.poll() == (ev.Rejected(),)
    assert unit.last_reject_code() is reason


def test_fault_note_rejected_with_a_reason(unit, sim):
    ready(unit)
    sim.set_fault("reject", reason=RejectReason.DOUBLE_NOTE)
    assert sim.insert_note(20)
    events = unit.poll() + unit.poll() + unit.poll()
    assert events == (ev.Read(0), ev.Rejecting(), ev.Rejected())
    assert unit.last_reject_code() is RejectReason.DOUBLE_NOTE
    assert sim.model.counters.rejected == 1 and sim.model.returned == [20]


def test_fault_fraud_attempt_no_credit(unit, sim):
    ready(unit)
    sim.set_fault("fraud")
    assert sim.insert_note(50)
    assert unit.poll() + unit.poll() == (ev.Read(0), ev.FraudAttempt(4))
    assert unit.poll() == ()
    assert sim.model.cashbox == {} and sim.model.credited == []


@pytest.mark.parametrize("fault, event, place", [
    ("safe_jam", ev.SafeJam(), "cashbox"),
    ("unsafe_jam", ev.UnsafeJam(), "front"),
])
def test_fault_jams_report_while_they_last_and_never_credit(unit, sim, fault, event, place):
    ready(unit)
    sim.set_fault(fault)
    to_escrow(unit, sim, 20)
    assert unit.poll() == (ev.Stacking(),)
    assert unit.poll() == (event,)
    assert unit.poll() == (event,)  # repeats while jammed
    assert sim.clear_jam() == place
    assert unit.poll() == ()
    assert sim.model.credited == []
    assert sim.model.uncredited == ([20] if place == "cashbox" else [])
    assert sim.model.cashbox == ({20: 1} if place == "cashbox" else {})


def test_fault_stacker_full(make_sim):
    sim = make_sim(capacity=2)
    with SspValidator(str(sim.link), timeout=0.5) as unit:
        ready(unit)
        for value in (5, 10):
            to_escrow(unit, sim, value)
            unit.poll()
            credit = unit.poll()
            assert credit[0] == ev.NoteCredit(1 if value == 5 else 2)
        assert ev.StackerFull() in credit and ev.Disabled() in credit  # full: it stops itself
        assert not sim.insert_note(20)
        assert unit.poll() == (ev.StackerFull(), ev.Disabled())
        sim.clear_fault("stacker_full")  # emptied
        unit.enable()
        assert unit.poll() == ()
        assert sim.insert_note(20)


def test_fault_stacker_full_injected(unit, sim):
    ready(unit)
    sim.set_fault("stacker_full")
    assert unit.poll() == (ev.StackerFull(),)
    assert not sim.insert_note(5)


def test_fault_cashbox_removed_and_replaced(unit, sim):
    ready(unit)
    sim.set_fault("cashbox_removed")
    assert unit.poll() == (ev.CashboxRemoved(),)
    assert unit.poll() == (ev.CashboxRemoved(),)  # until it is back
    assert not sim.insert_note(20)
    sim.clear_fault("cashbox_removed")
    assert unit.poll() == (ev.CashboxReplaced(),)
    assert unit.poll() == ()


def test_fault_power_loss_while_stacking_clears_the_note_into_the_cashbox(unit, sim):
    ready(unit)
    sim.set_fault("power_loss")  # back after one lost packet
    channel = to_escrow(unit, sim, 20)
    assert unit.poll() == (ev.Stacking(),)
    # The unit dies during this POLL; the driver's identical resend reaches the restarted unit.
    assert unit.poll() == (ev.SlaveReset(), ev.NoteClearedIntoCashbox(channel), ev.Disabled())
    assert unit.resends >= 1
    assert sim.model.cashbox == {20: 1}
    assert sim.model.uncredited == [20] and sim.model.credited == []
    ready(unit)  # SlaveReset: protocol, inhibits and enable again
    assert unit.poll() == ()


def test_fault_power_loss_for_longer_than_the_retries(unit, sim):
    ready(unit)
    sim.set_fault("power_loss", returns_after=None)
    to_escrow(unit, sim, 10)
    unit.poll()
    with pytest.raises(NoReply):
        unit.poll()
    with pytest.raises(NotSynchronised):
        unit.poll()
    with pytest.raises(NoReply):
        unit.sync()  # still off
    sim.power_on()
    unit.sync()
    assert unit.poll() == (ev.SlaveReset(), ev.NoteClearedIntoCashbox(2), ev.Disabled())


@pytest.mark.parametrize("fault", ["drop_replies", "corrupt_replies"])
def test_a_lost_or_corrupt_credit_reply_is_recovered_once_never_twice(unit, sim, fault):
    ready(unit)
    to_escrow(unit, sim, 20)
    assert unit.poll() == (ev.Stacking(),)
    polls_before = sim.model.executed[0x07]
    sim.set_fault(fault)  # the reply carrying the credit is lost / fails its CRC
    assert unit.poll() == (ev.NoteCredit(3), ev.Stacked())
    assert unit.resends >= 1 and sim.model.repeats >= 1  # the reply again, same flag
    assert sim.model.executed[0x07] == polls_before + 1  # the POLL itself ran once
    assert unit.poll() == ()
    assert sim.model.credited == [20] and sim.model.cashbox == {20: 1}
    assert (sim.replies_dropped, sim.replies_corrupted) == (
        (1, 0) if fault == "drop_replies" else (0, 1))


def test_a_lost_escrow_reply_does_not_stack_the_note(unit, sim):
    # Were the lost POLL sent anew, the unit would take it as "accept" for the escrow note.
    ready(unit)
    assert sim.insert_note(50)
    assert unit.poll() == (ev.Read(0),)
    sim.set_fault("drop_replies")
    assert unit.poll() == (ev.Read(4),)
    assert sim.model.note_stage is Stage.ESCROW
    assert unit.reject()
    assert unit.poll() + unit.poll() == (ev.Rejecting(), ev.Rejected())
    assert sim.model.cashbox == {}


def test_replies_lost_beyond_the_tries_leave_the_counters_to_tell(unit, sim):
    ready(unit)
    to_escrow(unit, sim, 20)
    unit.poll()
    sim.set_fault("drop_replies", count=3)
    with pytest.raises(NoReply, match="state is unknown"):
        unit.poll()  # the credit was in the lost reply
    info = unit.initialise()
    assert info.counters.stacked == 1  # the reconciliation the kiosk does at start-up
    assert sim.model.cashbox == {20: 1}


def test_fault_unplugged_names_the_port_and_replugging_works(unit, sim):
    ready(unit)
    sim.set_fault("unplugged")
    with pytest.raises(PortUnavailable, match=rf"note validator {sim.link}: port lost during "
                                              "POLL"):
        unit.poll()
    with pytest.raises(PortUnavailable, match="cannot open the port"):
        unit.sync()
    sim.clear_fault("unplugged")
    unit.sync()
    assert unit.poll() == ()  # the unit kept its power and state


def test_escrow_timeout_returns_the_note_unless_held(unit, sim, clock):
    ready(unit)
    to_escrow(unit, sim, 10)
    clock.now += 9
    assert unit.hold()  # restarts the 10 s
    clock.now += 9
    assert unit.poll() == (ev.Stacking(),)
    unit.poll()
    to_escrow(unit, sim, 10)
    clock.now += 10
    assert unit.poll() + unit.poll() == (ev.Rejecting(), ev.Rejected())
    assert unit.last_reject_code() is RejectReason.ESCROW_TIMEOUT
    assert sim.model.credited == [10] and sim.model.returned == [10]


def test_poll_with_ack_repeats_the_credit_until_acked(make_sim):
    sim = make_sim(has_poll_with_ack=True)
    with SspValidator(str(sim.link), timeout=0.5) as unit:
        ready(unit)
        assert not unit.event_ack()  # nothing to acknowledge
        assert sim.insert_note(5)
        assert unit.poll_with_ack() == (ev.Read(0),)
        assert unit.poll_with_ack() == (ev.Read(1),)
        assert unit.poll_with_ack() == (ev.Stacking(),)
        assert unit.poll_with_ack() == (ev.NoteCredit(1), ev.Stacked())
        assert unit.poll_with_ack() == (ev.NoteCredit(1),)  # again, until the ack
        assert unit.event_ack()
        assert unit.poll_with_ack() == ()
        assert sim.model.credited == [5]


def test_plain_units_refuse_poll_with_ack_and_may_lack_the_display(make_sim):
    sim = make_sim(has_display=False, max_protocol=6)
    with SspValidator(str(sim.link), timeout=0.5) as unit:
        assert unit.initialise().protocol_version == 6
        with pytest.raises(CommandRefused) as caught:
            unit.poll_with_ack()
        assert caught.value.response == Response.COMMAND_NOT_KNOWN
        assert unit.display(True) is False


def test_enable_with_every_channel_inhibited_and_reset(unit, sim):
    unit.initialise()
    unit.enable()
    assert unit.poll() == (ev.ChannelDisable(),)
    unit.reset()
    unit.sync()
    assert unit.poll() == (ev.SlaveReset(), ev.Disabled())


def test_unknown_fault_names_the_known_ones(sim):
    with pytest.raises(ValueError, match="no such validator fault: 'paper_out'.*safe_jam"):
        sim.set_fault("paper_out")
    with pytest.raises(RuntimeError, match="no jammed note"):
        sim.clear_jam()


def test_standalone_simulator_reads_notes_and_faults_from_stdin(tmp_path, monkeypatch, capsys):
    import io

    from hardware.sim import validator

    monkeypatch.setattr("sys.stdin", io.StringIO("20\nfault paper_out\nfault fraud\nhelp\n"))
    assert validator.main(["--link", str(tmp_path / "v")]) == 0
    out = capsys.readouterr().out
    assert "note refused at the bezel" in out  # no host has enabled it
    assert "no such validator fault: 'paper_out'" in out
    assert "type a value" in out and "cashbox: {}" in out
    assert not (tmp_path / "v").exists()  # unplugged on exit
