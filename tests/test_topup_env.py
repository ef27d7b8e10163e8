"""Helpers for the top-up tests (no tests here): a config aimed at the sandbox, and a service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware.sim.sandbox import SandboxServer
from kiosk.commands.sandbox import write_client_config
from kiosk.config import Config, load_config
from kiosk.journal import JOURNAL_FILE, Journal
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.topup import TopupService
from tests.fixtures.sandbox import CARD, FOREIGN_CARD, FUNDED_CARD, LOCKED_CARD, UNKNOWN_CARD

ALL_CARDS = (CARD, FUNDED_CARD, LOCKED_CARD, FOREIGN_CARD, UNKNOWN_CARD)

# Short enough that a "delay" fault costs little, long enough that a loaded CI machine does
# not time out an ordinary loopback answer.
READ_TIMEOUT = 1.0
DELAY = READ_TIMEOUT + 0.5


def write_config(tmp: Path, sandbox: SandboxServer, *, read_timeout: float = READ_TIMEOUT) -> Path:
    """kiosk.toml aimed at `sandbox` (secret in kiosk.secret), with its state directory made."""
    path = write_client_config(sandbox, tmp / "kiosk.toml", read_timeout=read_timeout,
                               start_cashless_timeout=5.0)
    load_config(path).state_dir.mkdir(exist_ok=True)
    return path


def secret_file(config_path: Path) -> Path:
    return config_path.with_name(config_path.stem + ".secret")


@dataclass
class Env:
    sandbox: SandboxServer
    config: Config
    client: SecuconnectClient
    journal: Journal
    service: TopupService

    def credits(self, card: str = CARD) -> list[int]:
        return [c.amount for c in self.sandbox.ledger if c.card == card]

    def journal_files(self) -> list[Path]:
        return sorted(self.config.state_dir.glob(JOURNAL_FILE + "*"))


def make_service(client: SecuconnectClient, journal: Journal, config: Config, **kw) -> TopupService:
    options = dict(resolve_timeout_s=10.0, backoff_base_s=0.02, backoff_max_s=0.2)
    options.update(kw)
    return TopupService(client, journal, config, **options)


@pytest.fixture
def env(sandbox, tmp_path):
    """The top-up procedure wired to the `sandbox` fixture's server and a fresh journal."""
    config = load_config(write_config(tmp_path, sandbox))
    client = SecuconnectClient.from_config(config)
    journal = Journal.open_in(config.state_dir)
    environment = Env(sandbox, config, client, journal, make_service(client, journal, config))
    yield environment
    client.close()
    journal.close()
    # Every test ends with its rows settled: no full card number may remain on disk.
    for path in environment.journal_files():
        data = path.read_bytes()
        for number in ALL_CARDS:
            assert number.encode() not in data, f"full card number in {path.name}"
