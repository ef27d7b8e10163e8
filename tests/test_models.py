"""The seed's start/cash answer parses into the model with everything a receipt needs."""

import json
from pathlib import Path

import pytest

from kiosk.secuconnect.models import ModelError, ReceiptLine, SmartTransaction

SEED = Path(__file__).parent / "fixtures" / "seed-start-cash-response.json"


def test_seed_response_parses():
    stx = SmartTransaction.from_json(json.loads(SEED.read_text()))
    assert stx.id == "STX_PVEGYP82M2NRDMKPE3BCT5ZH0QJKA2"
    assert stx.status == "ok" and stx.succeeded and not stx.not_executed
    assert stx.amount == 1500 and stx.currency == "EUR"
    assert stx.trans_id == "29218171"
    assert stx.payment_method == "cash"
    assert stx.merchant_name == "John's Bakery"
    assert stx.card is not None and stx.card.balance == 0 and not stx.card.locked
    assert stx.card.cardnumber == "9276004429942845"
    assert len(stx.receipt) == 19
    assert stx.receipt[0] == ReceiptLine(type="separator", caption="Kundenkarte")
    assert stx.receipt[5].text == "15,00 EUR" and stx.receipt[5].decorations == ("important",)
    assert stx.receipt[-1].text == "15,00 EUR"


def test_receipt_line_roundtrip():
    raw = json.loads(SEED.read_text())["receipt"]
    assert [ReceiptLine.from_json(line).to_json() for line in raw] == raw


@pytest.mark.parametrize("data", [None, [], {}, {"id": "STX_1"}, {"status": "ok"}])
def test_not_a_transaction(data):
    with pytest.raises(ModelError):
        SmartTransaction.from_json(data)


def test_unknown_receipt_shapes_are_tolerated():
    line = ReceiptLine.from_json({"type": "barcode", "value": "x"})
    assert line.type == "barcode" and line.text == ""
