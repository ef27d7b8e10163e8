"""`kiosk sandbox` as a process: prints where it listens, writes a config, stops on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from hardware.sim.sandbox import DEMO_CARDS
from kiosk.config import load_config
from kiosk.secuconnect.client import SecuconnectClient
from tests.fixtures.sandbox import create_topup


def test_kiosk_sandbox_command(tmp_path: Path):
    config_path = tmp_path / "kiosk.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "sandbox", "--port", "0",
         "--write-config", str(config_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip())
            if line.startswith("Ctrl-C"):
                break
        pairs = (line.split(" = ", 1) for line in lines if " = " in line)
        settings = {key.strip(): value.strip() for key, value in pairs}
        assert settings["client_id"] == "kiosk-sim"
        assert settings["base_url"].startswith("http://127.0.0.1:")
        assert any(DEMO_CARDS["fresh"][0] in line for line in lines)

        config = load_config(config_path)
        assert config.api.base_url == settings["base_url"]
        assert (config_path.with_name("kiosk.secret").stat().st_mode & 0o077) == 0
        with SecuconnectClient.from_config(config) as client:
            stx = create_topup(client, "cmd-1", card=DEMO_CARDS["fresh"][0])
            assert client.start(stx.id, "cash").card.balance == 1500

        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "POST /api/v2/Smart/Transactions -> 200" in stderr
    assert DEMO_CARDS["fresh"][0] not in stderr
