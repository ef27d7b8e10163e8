"""The kiosk's receipt printer, built from [printer] of the config onto the hardware transport."""

from __future__ import annotations

from hardware.printer.escpos import Document, encode
from hardware.printer.status import PrinterReadiness, PrinterStatus
from hardware.printer.transport import PrintError, PrintFailure, PrintResult, SerialPrinter
from kiosk.config import PrinterConfig

NO_PRINTER = "no printer configured ([printer] type = \"none\")"


class ReceiptPrinter:
    """Prints documents at the configured width and code-page slot; `transport` None = no printer."""

    def __init__(self, config: PrinterConfig, transport: SerialPrinter | None) -> None:
        self.config = config
        self.transport = transport

    def ready(self) -> PrinterReadiness:
        if self.transport is None:
            return PrinterReadiness(False, NO_PRINTER, PrinterStatus.unknown(gone=True))
        return self.transport.ready()

    def status(self) -> PrinterStatus:
        if self.transport is None:
            return PrinterStatus.unknown(gone=True)
        return self.transport.status()

    @property
    def last_status(self) -> PrinterStatus:
        """The last status asked, without touching the port (for screens)."""
        if self.transport is None:
            return PrinterStatus.unknown(gone=True)
        return self.transport.last_status

    def encode(self, document: Document) -> bytes:
        return encode(document, self.config.columns, slot=self.config.codepage_slot)

    def print_document(self, document: Document) -> PrintResult:
        """Print once; raises PrintError (never retried here: see SerialPrinter.print_job)."""
        if self.transport is None:
            raise PrintError(PrintFailure.NOT_READY, NO_PRINTER, port="-", bytes_written=0)
        return self.transport.print_job(self.encode(document))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def open_printer(config: PrinterConfig) -> ReceiptPrinter:
    """The printer of the config; the port is opened on first use, so a missing one is a status."""
    if config.type == "none":
        return ReceiptPrinter(config, None)
    # "serial" and "simulator" differ only in what sits behind the port (the emulator's pty).
    return ReceiptPrinter(
        config,
        SerialPrinter(config.port, baudrate=config.baudrate, write_timeout=config.write_timeout),
    )
