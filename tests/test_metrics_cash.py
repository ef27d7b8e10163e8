"""Cash metrics: cashbox value and fill read from the journal at every scrape, near-full alarm, fault counter."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from kiosk.cash.ledger import CashLedger, NoteFate
from kiosk.journal import Journal
from kiosk.metrics import CASHBOX_NEAR_FULL_SHARE, KioskMetrics


def scrape(metrics: KioskMetrics) -> dict[str, float]:
    text = generate_latest(metrics.registry).decode()
    return {f"{s.name}{dict(sorted(s.labels.items())) or ''}": s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_cashbox_fill_and_value_follow_the_ledger_and_the_alarm_fires_near_capacity(tmp_path):
    journal = Journal.open_in(tmp_path)
    try:
        ledger = CashLedger(journal)
        metrics = KioskMetrics()
        metrics.watch_cashbox(ledger.cashbox, capacity=10)
        before = scrape(metrics)
        assert before["kiosk_cashbox_notes"] == 0 and before["kiosk_cashbox_near_full"] == 0
        assert before["kiosk_cashbox_capacity_notes"] == 10
        row = ledger.open(card_number="9276000000002845", currency="EUR", cap=100000)
        near = int(10 * CASHBOX_NEAR_FULL_SHARE)
        for i in range(near - 1):
            ledger.book_note(row.reference, 2000, 3, NoteFate.CREDITED)
        mid = scrape(metrics)
        assert mid["kiosk_cashbox_notes"] == near - 1
        assert mid["kiosk_cashbox_value_cents"] == (near - 1) * 2000
        assert mid["kiosk_cashbox_near_full"] == 0
        ledger.book_note(row.reference, 5000, 4, NoteFate.CREDITED)
        full = scrape(metrics)
        assert full["kiosk_cashbox_near_full"] == 1
        assert full["kiosk_cashbox_value_cents"] == (near - 1) * 2000 + 5000
        ledger.cashbox_emptied()
        assert scrape(metrics)["kiosk_cashbox_notes"] == 0
    finally:
        journal.close()


def test_cash_faults_are_counted_by_fault():
    metrics = KioskMetrics()
    metrics.cash_fault("jam")
    metrics.cash_fault("jam")
    metrics.cash_fault("rejected")
    values = scrape(metrics)
    assert values["kiosk_cash_faults_total{'fault': 'jam'}"] == 2
    assert values["kiosk_cash_faults_total{'fault': 'rejected'}"] == 1


def test_cashbox_capacity_comes_from_the_config_and_moves_the_alarm(tmp_path):
    from kiosk.config import parse_config
    config = parse_config('[cash]\ncashbox_capacity = 20\n', "k.toml")
    assert parse_config("", "k.toml").cash.cashbox_capacity == 300   # the NV9 USB+'s box
    journal = Journal.open_in(tmp_path)
    try:
        ledger = CashLedger(journal)
        metrics = KioskMetrics()
        metrics.watch_cashbox(ledger.cashbox, config.cash.cashbox_capacity)
        row = ledger.open(card_number="9276000000002845", currency="EUR", cap=100000)
        for i in range(int(20 * CASHBOX_NEAR_FULL_SHARE)):
            ledger.book_note(row.reference, 500, 1, NoteFate.CREDITED)
        seen = scrape(metrics)
        assert seen["kiosk_cashbox_capacity_notes"] == 20
        assert seen["kiosk_cashbox_near_full"] == 1
    finally:
        journal.close()
