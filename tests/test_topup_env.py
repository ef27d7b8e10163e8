"""Helpers for the top-up tests (no tests here): a sandbox, a config pointing at it, a service."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware.sim.sandbox import SandboxServer
from kiosk.config import Config, load_config
from kiosk.journal import JOURNAL_FILE, Journal
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.topup import TopupService

CARD = "9276004429942845"
FUNDED = "9276001234567890"
LOCKED = "9276000000001111"
FOREIGN = "9276000000002222"
UNKNOWN_CARD = "9276009999999999"
ALL_CARDS = (CARD, FUNDED, LOCKED, FOREIGN, UNKNOWN_CARD)

# Short enough that a "delay" fault costs little, long enough that a loaded CI machine does
# not time out an ordinary loopback answer.
READ_TIMEOUT = 1.0
DELAY = READ_TIMEOUT + 0.5


def write_config(tmp: Path, sandbox: SandboxServer, *, read_timeout: float = READ_TIMEOUT,
                 base_url: str | None = None) -> Path:
    """A kiosk.toml for `sandbox` with a state directory and an owner-only secret file."""
    secret = tmp / "client_secret"
    secret.write_text(sandbox.client_secret + "\n")
    os.chmod(secret, 0o600)
    state = tmp / "state"
    state.mkdir(exist_ok=True)
    path = tmp / "kiosk.toml"
    path.write_text(
        f"""
[api]
base_url = "{base_url or sandbox.base_url}"
token_url = "{sandbox.token_url}"
client_id = "{sandbox.client_id}"
credentials_file = "{secret}"
connect_timeout = 1.0
read_timeout = {read_timeout}
start_cashless_timeout = 5.0
is_demo = true

[kiosk]
id = "test-kiosk"

[topup]
minimum = 5
maximum = 200

[state]
directory = "{state}"
""",
        encoding="utf-8",
    )
    return path


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
def sandbox():
    with SandboxServer() as server:
        server.add_card(CARD)
        server.add_card(FUNDED, balance=2500)
        server.add_card(LOCKED, balance=1000, locked=True)
        server.add_card(FOREIGN, foreign=True)
        yield server


@pytest.fixture
def env(sandbox, tmp_path):
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
