"""Note validator check for `kiosk doctor`: initialise the unit as the kiosk would, report it, leave it disabled."""

from __future__ import annotations

from hardware.cash.driver import SspValidator, ValidatorError
from kiosk.cash.session import SetupMismatch, accepted_channels
from kiosk.config import Config
from kiosk.diagnose import CheckFailed


def check_validator(config: Config, *, timeout: float = 1.0) -> str:
    """Serial number, firmware, dataset, channels, counters; refuses a unit without the notes
    [cash] accept names."""
    cash = config.cash
    if cash.mode != "validator":
        return f"none configured ([cash] mode = \"{cash.mode}\")"
    where = f"{cash.port} ([cash] port, address {cash.ssp_address})"
    try:
        with SspValidator(cash.port, address=cash.ssp_address, timeout=timeout) as unit:
            info = unit.initialise()
            channels = accepted_channels(info, set(cash.accept), config.topup.currency)
            firmware = unit.firmware_version()
            dataset = unit.dataset_version()
    except ValidatorError as exc:
        raise CheckFailed(f"{where}: {exc}; check cable, power and that the unit is set to "
                          f"SSP") from exc
    except SetupMismatch as exc:
        raise CheckFailed(f"{where}: {exc} ([cash] accept)") from exc
    notes = ", ".join(f"ch{ch}={value // 100}" for ch, value in sorted(channels.items()))
    stacked = f", {info.counters.stacked} notes stacked in its life" if info.counters else ""
    return (f"{where}: serial {info.serial_number}, firmware {firmware}, dataset {dataset}, "
            f"protocol {info.protocol_version}, channels {notes}{stacked}")
