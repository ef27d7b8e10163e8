"""kiosk.readers.open_reader: the [reader] config section mapped onto the hardware readers."""

from __future__ import annotations

import pytest
from evdev import ecodes as e

from hardware.reader.evdev_reader import EvdevReader
from hardware.reader.events import CardScanned, ScanRejected
from hardware.reader.serial_reader import SerialReader
from hardware.sim.scanner import VirtualScanner
from kiosk.cards import CARD_LENGTH
from kiosk.config import ConfigError, ReaderConfig, parse_config
from kiosk.readers import open_reader
from tests.fixtures.reader import CARD


def test_none_means_no_reader():
    assert open_reader(ReaderConfig(type="none"), ("9276",), print) is None


def test_evdev_settings_reach_the_reader():
    config = ReaderConfig(type="evdev", device="/dev/input/by-id/usb-X-event-kbd",
                          suffix_key="KEY_TAB", gap_timeout_ms=120, debounce_s=2.5)
    reader = open_reader(config, ("9276", "5555"), print)
    assert isinstance(reader, EvdevReader)
    assert reader.path == "/dev/input/by-id/usb-X-event-kbd" and not reader.connected
    assert reader.decoder.gap_timeout == pytest.approx(0.12)
    assert e.KEY_TAB in reader.decoder.terminators
    validator = reader.decoder.validator
    assert (validator.length, validator.prefixes, validator.debounce) == (
        CARD_LENGTH, ("9276", "5555"), 2.5)


def test_evdev_by_name_match():
    reader = open_reader(ReaderConfig(type="evdev", name_match="Scanner"), ("9276",), print)
    assert isinstance(reader, EvdevReader) and reader.name_match == "Scanner"


def test_evdev_without_device_or_name_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"^/etc/k.toml: \[reader\] device: required"):
        open_reader(ReaderConfig(type="evdev", device=""), ("9276",), print, source="/etc/k.toml")


def test_an_unknown_suffix_key_is_refused_naming_the_key():
    config = parse_config('[reader]\ntype = "evdev"\ndevice = "/dev/x"\nsuffix_key = "TAB"\n')
    with pytest.raises(ConfigError, match=r"\[reader\] suffix_key: unknown key name 'TAB'"):
        open_reader(config.reader, ("9276",), print)


def test_serial_without_port_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"\[reader\] serial_port: required"):
        open_reader(ReaderConfig(type="serial"), ("9276",), print)


def test_serial_reader_reads_the_configured_port(serial_scanner, sink):
    config = ReaderConfig(type="serial", serial_port=str(serial_scanner.path), baudrate=19200,
                          gap_timeout_ms=80)
    reader = open_reader(config, ("9276",), sink)
    assert isinstance(reader, SerialReader) and reader.baudrate == 19200
    with reader:
        assert sink.status().connected
        serial_scanner.scan(CARD)
        assert sink.next_scan() == CardScanned(CARD)


def test_simulator_reads_the_virtual_scanner(sink):
    scanner = VirtualScanner()
    config = ReaderConfig(type="simulator", suffix_key="KEY_TAB", gap_timeout_ms=80)
    with open_reader(config, ("9276",), sink, scanner=scanner):
        assert sink.status().connected
        scanner.scan(CARD, suffix="\t")
        assert sink.next_scan() == CardScanned(CARD)
        scanner.scan("1234" + CARD[4:])
        assert isinstance(sink.next_scan(), ScanRejected)


def test_simulator_without_a_scanner_makes_its_own():
    reader = open_reader(ReaderConfig(type="simulator"), ("9276",), print)
    assert isinstance(reader, EvdevReader) and reader.path.startswith("/dev/input/by-id/")
