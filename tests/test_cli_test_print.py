"""`kiosk test-print`: the test page through the serial transport into the printer emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import cli


@pytest.fixture
def printer_config(tmp_path: Path, printer_emulator) -> Path:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\nid = "kiosk-7"\nmerchant_name = "Bäckerei Süß"\n\n'
                      f'[printer]\nport = "{printer_emulator.link}"\n', encoding="utf-8")
    return config


@pytest.fixture(autouse=True)
def quiet(monkeypatch):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)


def test_prints_the_test_page(printer_config, printer_emulator, capsys):
    assert cli.main(["test-print", "--config", str(printer_config)]) == 0
    [receipt] = printer_emulator.wait_for_receipts(1)
    assert receipt.complete
    for text in ("Bäckerei Süß", "TESTDRUCK / TEST PRINT", "ÄÖÜ äöü ß €", "Kiosk kiosk-7"):
        assert text in receipt.text
    out = capsys.readouterr().out
    assert out.startswith(f"test page printed on {printer_emulator.link} ([printer] port in "
                          f"{printer_config})") and "confirmed by the printer's status" in out


def test_paper_low_is_mentioned(printer_config, printer_emulator, capsys):
    printer_emulator.set_faults(paper="near_end")
    assert cli.main(["test-print", "--config", str(printer_config)]) == 0
    assert "(paper is running low)" in capsys.readouterr().out


def test_nothing_printed_without_paper(printer_config, printer_emulator, capsys):
    printer_emulator.set_faults(paper="out")
    assert cli.main(["test-print", "--config", str(printer_config)]) == 1
    out = capsys.readouterr().out
    assert "test page NOT printed" in out and "printer is out of paper" in out
    assert "nothing was sent; `kiosk doctor` checks" in out
    assert printer_emulator.wait_for_receipts(0) == []
