"""Headset jack reader: plug and unplug as genuine evdev.InputEvent sequences from the simulator."""

import queue

import pytest
from evdev import ecodes as e

from hardware.reader.events import ReaderStatus
from hardware.reader.headset import HeadsetChanged, HeadsetEvent, HeadsetReader
from hardware.sim.headset import VirtualHeadsetJack, jack_events
from hardware.sim.scanner import DeviceSpec, VirtualScanner


def next_event(events: "queue.Queue[HeadsetEvent]", kind: type) -> HeadsetEvent:
    while True:
        event = events.get(timeout=5)
        if isinstance(event, kind):
            return event


@pytest.mark.parametrize("plugged_at_start", [False, True])
def test_plug_and_unplug(plugged_at_start: bool) -> None:
    jack = VirtualHeadsetJack(plugged=plugged_at_start)
    events: "queue.Queue[HeadsetEvent]" = queue.Queue()
    reader = HeadsetReader(events.put, open_device=jack.open_device,
                           list_devices=jack.list_devices, active_switches=jack.active_switches)
    with reader:
        assert next_event(events, ReaderStatus) == ReaderStatus(True, reader.device)
        assert next_event(events, HeadsetChanged) == HeadsetChanged(plugged_at_start)
        sent = jack.set(not plugged_at_start)
        assert [(ev.type, ev.code, ev.value) for ev in sent] == [
            (e.EV_SW, e.SW_HEADPHONE_INSERT, int(not plugged_at_start)),
            (e.EV_SYN, e.SYN_REPORT, 0)]
        assert next_event(events, HeadsetChanged) == HeadsetChanged(not plugged_at_start)
        jack.set(plugged_at_start)
        assert next_event(events, HeadsetChanged) == HeadsetChanged(plugged_at_start)
    assert jack.opened[0].closed


def test_a_repeated_switch_state_is_reported_once() -> None:
    jack = VirtualHeadsetJack()
    events: "queue.Queue[HeadsetEvent]" = queue.Queue()
    with HeadsetReader(events.put, open_device=jack.open_device, list_devices=jack.list_devices,
                       active_switches=jack.active_switches):
        assert next_event(events, HeadsetChanged) == HeadsetChanged(False)
        device = jack.opened[-1]
        device.write_events(jack_events(True) + jack_events(True) + jack_events(False))
        assert next_event(events, HeadsetChanged) == HeadsetChanged(True)
        assert next_event(events, HeadsetChanged) == HeadsetChanged(False)
        assert events.empty()


def test_devices_without_a_jack_switch_are_passed_over() -> None:
    # a scanner named like the wanted device, but with keys only
    scanner = VirtualScanner(name="Headphone Keyboard", others=[
        DeviceSpec("/dev/input/event9", "Power Button", (e.KEY_POWER,))])
    events: "queue.Queue[HeadsetEvent]" = queue.Queue()
    reader = HeadsetReader(events.put, open_device=scanner.open_device,
                           list_devices=scanner.list_devices, backoff_initial=0.01,
                           backoff_max=0.01)
    with reader:
        status = next_event(events, ReaderStatus)
    assert status.connected is False
    assert "no input device named *Headphone* with a headphone switch" in status.reason
    assert all(d.closed for d in scanner.opened + scanner.others_opened)


def test_probe_names_the_jack_device() -> None:
    jack = VirtualHeadsetJack()
    reader = HeadsetReader(lambda event: None, open_device=jack.open_device,
                           list_devices=jack.list_devices, active_switches=jack.active_switches)
    try:
        assert reader.probe() == jack.name
        assert jack.opened[-1].closed
    finally:
        reader.stop()
