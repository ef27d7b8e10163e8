"""kiosk.liveness on its own: back-off bounds, deadlines on a manual clock, restarts, test faults."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.liveness import (
    BeatingEvent,
    Backoff,
    InjectedFault,
    Liveness,
    SupervisedThread,
    ThreadFaults,
)
from tests.fixtures.reader import wait_until
from tests.fixtures.ui import ManualClock


def test_backoff_doubles_to_its_cap_with_jitter_and_never_overflows():
    low = Backoff(first=1.0, cap=60.0, rng=lambda: 0.0)
    high = Backoff(first=1.0, cap=60.0, rng=lambda: 0.999999)
    assert [round(low.delay(), 3) for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert [round(high.delay()) for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    # Four hours of a thread crashing every minute, and far beyond: still the cap.
    for _ in range(100_000):
        assert 30.0 <= high.delay() <= 60.0
    high.reset()
    assert high.delay() == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError):
        Backoff(first=0.0)


def test_deadlines_on_a_manual_clock():
    clock = ManualClock()
    liveness = Liveness(clock=clock)
    beat = liveness.register("worker", deadline=10.0)
    liveness.register("metrics", deadline=10.0, vital=False)
    assert liveness.late() == ["worker"]            # registered, not yet running
    beat()
    assert liveness.late() == [] and liveness.alive()["worker"]
    clock.advance(10.0)
    assert liveness.late() == []                   # the deadline itself is still on time
    clock.advance(0.1)
    assert liveness.late() == ["worker"] and not liveness.alive()["worker"]
    assert not liveness.alive()["metrics"]         # shown, but it holds nothing back
    beat(within=100.0)                             # a long job ahead
    clock.advance(99.0)
    assert liveness.late() == []
    beat()                                         # back to the ordinary deadline
    clock.advance(11.0)
    assert liveness.late() == ["worker"]
    with pytest.raises(ValueError):
        liveness.register("worker", deadline=1.0)
    with pytest.raises(ValueError):
        liveness.register("other", deadline=0.0)


def _fast() -> Backoff:
    return Backoff(first=0.001, cap=0.002)


def test_a_crash_is_logged_counted_and_the_body_runs_again(caplog):
    liveness = Liveness()
    beat = liveness.register("monitor", deadline=60.0)
    stop = threading.Event()
    runs: list[int] = []
    second_run = threading.Event()

    def body() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise ZeroDivisionError("first run fails")
        second_run.set()
        stop.wait()

    thread = SupervisedThread(beat, body, stop, backoff=_fast()).start()
    assert second_run.wait(10)
    assert liveness.crashes() == {"monitor": 1}
    assert liveness.alive() == {"monitor": True}
    assert "thread monitor crashed" in caplog.text and "ZeroDivisionError" in caplog.text
    thread.stop()
    assert not thread.is_alive()
    assert liveness.crashes() == {"monitor": 1}     # an asked-for stop is no crash
    assert liveness.late() == ["monitor"]          # and a stopped thread is not alive


def test_a_body_that_returns_by_itself_counts_as_a_crash_and_runs_again():
    liveness = Liveness()
    beat = liveness.register("monitor", deadline=60.0)
    stop = threading.Event()
    calls: list[int] = []

    def body() -> None:
        calls.append(1)
        if len(calls) == 3:
            stop.set()

    thread = SupervisedThread(beat, body, stop, backoff=_fast()).start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(calls) == 3 and liveness.crashes() == {"monitor": 2}


def test_fault_files_raise_once_and_hang_until_removed(tmp_path: Path):
    faults = ThreadFaults(tmp_path)
    faults.strike("worker")                        # no file: nothing happens
    (tmp_path / "worker").write_text("raise\n")
    with pytest.raises(InjectedFault, match="worker"):
        faults.strike("worker")
    faults.strike("worker")                        # once only
    (tmp_path / "worker").write_text("hang")
    released = threading.Event()

    def hang() -> None:
        faults.strike("worker")
        released.set()

    threading.Thread(target=hang, daemon=True).start()
    wait_until(lambda: (tmp_path / "worker.hanging").exists())
    assert not released.is_set()
    (tmp_path / "worker").unlink()
    assert released.wait(10)
    assert not (tmp_path / "worker.hanging").exists()


def test_a_hung_thread_goes_late_and_comes_back(tmp_path: Path):
    clock = ManualClock()
    liveness = Liveness(clock=clock, faults=ThreadFaults(tmp_path))
    beat = liveness.register("worker", deadline=5.0)
    stop = threading.Event()
    passes = threading.Semaphore(0)

    def body() -> None:
        while not stop.is_set():
            beat()
            passes.release()
            stop.wait(0.001)

    thread = SupervisedThread(beat, body, stop, backoff=_fast()).start()
    assert passes.acquire(timeout=10)
    (tmp_path / "worker").write_text("hang")
    wait_until(lambda: (tmp_path / "worker.hanging").exists())
    clock.advance(6.0)
    assert liveness.late() == ["worker"]
    (tmp_path / "worker").unlink()
    wait_until(lambda: liveness.late() == [])
    assert liveness.crashes() == {"worker": 0}     # a hang is no crash
    thread.stop()


def test_waits_on_a_beating_event_check_in():
    clock = ManualClock()
    liveness = Liveness(clock=clock)
    beat = liveness.register("supervisor", deadline=5.0)
    event = BeatingEvent(beat, every=0.001)
    assert event.wait(0.01) is False               # ran out: not set
    clock.advance(5.0)
    assert liveness.late() == []                   # checked in at the (manual) time of the wait
    clock.advance(1.0)
    assert liveness.late() == ["supervisor"]
    event.set()
    assert event.wait(10) is True and liveness.late() == []
    assert BeatingEvent().wait(0) is False          # without a heartbeat, a plain event
