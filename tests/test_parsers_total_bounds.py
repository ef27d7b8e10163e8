"""Issue 9, findings 15 and 14: the API's receipt is bounded; idle metrics connections close."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import requests

from hardware.printer.escpos import encode
from kiosk.metrics import KioskMetrics, MetricsServer
from kiosk.receipt import api_lines, render_text, topup_receipt
from kiosk.secuconnect.models import (
    MAX_RECEIPT_LINES,
    MAX_RECEIPT_TEXT,
    RECEIPT_CUT_TEXT,
    ReceiptLine,
    SmartTransaction,
    bound_receipt,
)
from kiosk.topup import balance_from_receipt
from tests.fixtures.printer import FIXED_KIOSK, FIXED_REFERENCE, FIXED_WHEN, SEED_TOPUP

SEED = Path(__file__).parent / "fixtures" / "seed-start-cash-response.json"
CARD = "9276004429942845"


def seed_answer() -> dict:
    return json.loads(SEED.read_text())


def megabyte_answer() -> dict:
    """The seed's start answer with 1 MB more of receipt lines after its own 19."""
    answer = seed_answer()
    filler = {"type": "textline", "value": {"text": "x" * 1000, "decoration": ["important"]}}
    answer["receipt"] += [filler] * 1000
    return answer


def test_a_megabyte_of_receipt_is_cut_to_the_bound_with_a_marked_last_line():
    answer = megabyte_answer()
    assert len(json.dumps(answer["receipt"])) > 1_000_000
    stx = SmartTransaction.from_json(answer)
    assert len(stx.receipt) == MAX_RECEIPT_LINES
    assert stx.receipt[-1] == ReceiptLine(type="textline", text=RECEIPT_CUT_TEXT)
    assert all(len(line.text) <= MAX_RECEIPT_TEXT for line in stx.receipt)
    assert stx.receipt[19].text.endswith("...")


def test_the_money_path_reads_a_cut_answer_as_it_reads_the_seed():
    whole, cut = SmartTransaction.from_json(seed_answer()), SmartTransaction.from_json(
        megabyte_answer())
    assert (cut.id, cut.status, cut.amount, cut.currency, cut.card) == (
        whole.id, whole.status, whole.amount, whole.currency, whole.card)
    assert cut.receipt[:19] == whole.receipt
    assert balance_from_receipt(cut.receipt) == balance_from_receipt(whole.receipt) == 1500


def test_the_printed_receipt_of_a_megabyte_answer_stays_small():
    stx = SmartTransaction.from_json(megabyte_answer())
    doc = topup_receipt(FIXED_KIOSK, when=FIXED_WHEN, lines=stx.receipt, stx_id=stx.id,
                        reference=FIXED_REFERENCE, **SEED_TOPUP)
    text = render_text(doc, 32)
    # 60 filler lines of 96 double-width characters, 6 printed lines each at 32 columns
    # (403 lines in all; the uncut answer was ~24,000).
    assert len(text.splitlines()) < 500
    assert len(encode(doc, 32)) < 20_000
    assert RECEIPT_CUT_TEXT in " ".join(text.split())  # wrapped at 32 columns


def test_a_seed_sized_receipt_is_untouched():
    stx = SmartTransaction.from_json(seed_answer())
    assert bound_receipt(stx.receipt) == stx.receipt and len(stx.receipt) == 19


def test_the_bound_is_idempotent_and_also_applies_to_lines_from_elsewhere():
    # A journal row written before the bound holds lines that never went through the parser.
    long = [ReceiptLine(type="textline", text="y" * 5000, decorations=("important",) * 50)] * 500
    once = bound_receipt(long)
    assert bound_receipt(once) == once and len(once) == MAX_RECEIPT_LINES
    assert once[0].text == "y" * (MAX_RECEIPT_TEXT - 3) + "..." and len(once[0].decorations) == 8
    assert len(api_lines(long)) == len(api_lines(once))


def test_a_card_number_across_the_cut_is_masked_whole_not_left_half():
    text = "a" * (MAX_RECEIPT_TEXT - 8) + " " + CARD + " tail"
    line = ReceiptLine.from_json({"type": "textline", "value": {"text": text}})
    assert "92760044" not in line.text and len(line.text) == MAX_RECEIPT_TEXT


# --- finding 14: metrics server ------------------------------------------------------------------


def test_an_idle_metrics_connection_is_closed_after_the_timeout():
    server = MetricsServer(KioskMetrics(), 0, idle_timeout=0.2)
    try:
        silent = socket.create_connection((server.host, server.port))
        half = socket.create_connection((server.host, server.port))
        half.sendall(b"GET /metrics HT")  # a request line that never ends
        for conn in (silent, half):
            # Far longer than the server's timeout: only a missing timeout reaches it.
            conn.settimeout(30)
            assert conn.recv(1024) == b"", "the server must close the idle connection"
            conn.close()
        assert requests.get(f"{server.url}/metrics", timeout=10).status_code == 200
    finally:
        server.stop()
