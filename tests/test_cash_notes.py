"""NoteTracker: poll events to note outcomes, one credit per note, jams as uncertain."""

from __future__ import annotations

from hardware.cash import events as ev
from hardware.cash.notes import Fate, NoteOutcome, NoteTracker


def run(*polls):
    tracker = NoteTracker()
    return tracker, [tracker.feed(poll) for poll in polls]


def test_a_note_from_read_to_credit():
    tracker, outcomes = run([ev.Read(0)], [ev.Read(3)], [ev.Read(3)], [ev.Stacking()],
                            [ev.NoteCredit(3), ev.Stacked()])
    assert outcomes == [[], [NoteOutcome(Fate.IN_ESCROW, 3)], [], [],
                        [NoteOutcome(Fate.CREDITED, 3)]]
    assert not tracker.busy


def test_a_second_credit_without_a_new_note_is_a_duplicate():
    tracker, outcomes = run([ev.Read(2)], [ev.Stacking(), ev.NoteCredit(2)],
                            [ev.NoteCredit(2), ev.Stacked()], [ev.Read(0)], [ev.Read(2)],
                            [ev.NoteCredit(2)])
    fates = [o.fate for poll in outcomes for o in poll]
    assert fates == [Fate.IN_ESCROW, Fate.CREDITED, Fate.DUPLICATE_CREDIT, Fate.IN_ESCROW,
                     Fate.CREDITED]


def test_a_fresh_tracker_books_a_credit_it_did_not_see_read():
    _, outcomes = run([ev.NoteCredit(4), ev.Stacked()])
    assert outcomes == [[NoteOutcome(Fate.CREDITED, 4)]]


def test_rejected_while_reading_has_no_channel_of_an_earlier_note():
    tracker, outcomes = run([ev.Read(1)], [ev.Stacking()], [ev.NoteCredit(1), ev.Stacked()],
                            [ev.Read(0)], [ev.Rejecting()], [ev.Rejected()])
    assert outcomes[-1] == [NoteOutcome(Fate.RETURNED, 0)]
    assert not tracker.busy


def test_a_jam_before_the_credit_is_uncertain_once_after_it_costs_nothing():
    tracker, outcomes = run([ev.Read(3)], [ev.Stacking()], [ev.SafeJam()], [ev.SafeJam()])
    assert outcomes[2:] == [[NoteOutcome(Fate.UNCERTAIN, 3)], []]
    assert tracker.busy
    _, outcomes = run([ev.Read(3)], [ev.Stacking(), ev.NoteCredit(3)], [ev.UnsafeJam()])
    assert outcomes[-1] == []


def test_power_up_clears_fill_in_the_channel_of_the_note_in_the_path():
    tracker, outcomes = run([ev.Read(4)], [ev.Stacking()],
                            [ev.SlaveReset(), ev.NoteClearedIntoCashbox(0), ev.Disabled()])
    assert outcomes[-1] == [NoteOutcome(Fate.CLEARED_INTO_CASHBOX, 4)]
    _, outcomes = run([ev.Read(2)], [ev.SlaveReset(), ev.NoteClearedFromFront(2)])
    assert outcomes[-1] == [NoteOutcome(Fate.RETURNED, 2)]
    assert not tracker.busy


def test_fraud_is_its_own_fate():
    _, outcomes = run([ev.Read(0)], [ev.FraudAttempt(5)])
    assert outcomes[-1] == [NoteOutcome(Fate.FRAUD, 5)]


def test_a_poll_without_the_jam_ends_it_and_the_fate_stays_uncertain():
    tracker, outcomes = run([ev.Read(3)], [ev.Stacking()], [ev.UnsafeJam()], [])
    assert outcomes[2:] == [[NoteOutcome(Fate.UNCERTAIN, 3)], []]
    assert not tracker.busy
