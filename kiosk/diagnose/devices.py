"""Printer and scanner checks: open the device as the kiosk would, ask it, release it."""

from __future__ import annotations

import errno
import fcntl
import os

import serial

from hardware.printer.status import REASONS, Condition
from hardware.reader.base import describe_os_error
from kiosk.config import Config
from kiosk.diagnose import CheckFailed
from kiosk.printers import open_printer
from kiosk.readers import open_reader

STOP_FIRST = "the kiosk is probably running: sudo systemctl stop kiosk, then check again"


def check_printer(config: Config) -> str:
    """Opens the port, asks the four DLE EOT status bytes (paper among them), closes."""
    printer = config.printer
    if printer.type == "none":
        return "none configured ([printer] type = \"none\"): customers get no receipt"
    where = f"{printer.port} ([printer] port)"
    _check_device_node(printer.port, where, "dialout")
    receipt_printer = open_printer(printer)
    try:
        status = receipt_printer.status()
    finally:
        receipt_printer.close()
    condition = status.condition
    if condition in (Condition.GONE, Condition.UNKNOWN):
        if _port_busy(printer.port):
            raise CheckFailed(f"{where}: busy, another program holds the port; {STOP_FIRST}")
        raise CheckFailed(f"{where}: no valid status answer at {printer.baudrate} baud "
                          f"([printer] baudrate): check power, cable and the printer's speed")
    if not condition.can_print:
        raise CheckFailed(f"{where}: {REASONS[condition]}")
    paper = "paper running low" if condition is Condition.PAPER_NEAR_END else "paper ok"
    return f"{where}: ready, {paper}, {printer.baudrate} baud"


def check_scanner(config: Config) -> str:
    """Opens the scanner as the reader thread would (evdev: grabbed), releases it at once."""
    reader = config.reader
    if reader.type == "none":
        return "none configured ([reader] type = \"none\"): customers cannot scan a card"
    if reader.type == "simulator":
        return "the simulated scanner ([reader] type = \"simulator\", for `kiosk simulate`)"
    # The same construction as the running kiosk, so doctor judges the same device.
    thread = open_reader(reader, config.topup.card_prefixes, lambda event: None,
                         source=config.source)
    assert thread is not None  # type "none" was handled above
    group = "dialout" if reader.type == "serial" else "input"
    where = (f"{reader.serial_port} ([reader] serial_port)" if reader.type == "serial"
             else f"{reader.device or reader.name_match} ([reader] device / name_match)")
    try:
        name = thread.probe()
    except (OSError, serial.SerialException) as exc:
        reason = describe_os_error(exc, group)
        if isinstance(exc, OSError) and exc.errno in (errno.EBUSY, errno.EAGAIN):
            reason += f"; {STOP_FIRST}"
        raise CheckFailed(f"{where}: {reason}") from None
    shown = f" ({name})" if name else ""
    return f"{where}{shown}: opened{' and grabbed' if reader.type == 'evdev' else ''}, released"


def _check_device_node(path: str, where: str, group: str) -> None:
    if not os.path.exists(path):
        raise CheckFailed(f"{where}: does not exist; plugged in? udev rule for its USB id "
                          f"(README: Finding the USB ids)?")
    if not os.access(path, os.R_OK | os.W_OK):
        raise CheckFailed(f"{where}: permission denied; run doctor with sudo, the service "
                          f"user needs the '{group}' group")


def _port_busy(path: str) -> bool:
    """pyserial's exclusive=True is a flock: a held one means the kiosk (or another) has it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own lock
    return False
