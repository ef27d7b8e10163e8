"""kiosk_journal_bytes and kiosk_state_free_bytes, read from the real files at every scrape."""

from __future__ import annotations

from kiosk.journal import Journal
from kiosk.journal_maint import MIB, free_bytes
from tests.test_metrics import clocks, metrics, scrape, server, value  # noqa: F401 - fixtures


def test_journal_size_and_free_space(server, metrics, tmp_path):  # noqa: F811
    samples = scrape(server)
    assert not any(name == "kiosk_journal_bytes" for name, _ in samples)   # nothing to watch
    with Journal(tmp_path / "journal.sqlite3") as journal:
        metrics.watch_storage(journal.path)
        small = value(scrape(server), "kiosk_journal_bytes")
        for _ in range(200):
            journal.begin(card_number="9276004429942845", amount=100, currency="EUR",
                          start_type="cash")
        samples = scrape(server)
        files = sum(p.stat().st_size for p in tmp_path.glob("journal.sqlite3*"))
        assert small < value(samples, "kiosk_journal_bytes") == files
        # Free space moves with everything else on the disk: compare within a few MB.
        assert abs(value(samples, "kiosk_state_free_bytes") - free_bytes(tmp_path)) < 64 * MIB
