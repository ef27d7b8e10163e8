"""SecuconnectClient against the sandbox: top-ups, token and connection reuse, reads, refusals."""

from __future__ import annotations

import dataclasses
import logging
import threading
from pathlib import Path

import pytest

from hardware.sim.sandbox import Credit, Fault
from kiosk.config import ApiConfig, ConfigError
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import ApiError, AuthError
from tests.fixtures.sandbox import (
    CARD,
    FOREIGN_CARD,
    FUNDED_CARD,
    LOCKED_CARD,
    UNKNOWN_CARD,
)
from tests.fixtures.sandbox import create_topup as create


def test_topup_credits_once_and_returns_receipt(secuconnect, sandbox):
    created = create(secuconnect, "ref-1")
    assert created.status == "created" and created.merchant_ref == "ref-1"
    assert created.amount == 1500 and created.is_demo and created.receipt == ()
    assert sandbox.ledger == []

    done = secuconnect.start(created.id, "cash")

    assert done.succeeded and done.id == created.id and done.payment_method == "cash"
    assert sandbox.ledger == [Credit(created.id, CARD, 1500, "ref-1")]
    assert sandbox.balance(CARD) == 1500
    texts = [line.text for line in done.receipt if line.type == "textline"]
    assert ["Folgender Betrag", "wurde aufgeladen:", "15,00 EUR"] == texts[4:7]
    assert texts[-2:] == ["Aktuelles Guthaben:", "15,00 EUR"]
    captions = [line.caption for line in done.receipt if line.type == "separator"]
    assert captions == ["Kundenkarte", "Kundenkarte Aufladung"]
    names = {line.name.strip() for line in done.receipt if line.type == "name-value"}
    assert names == {"Kartennummer:", "TA Code:"}
    assert done.trans_id and done.card is not None and done.card.balance == 1500


def test_second_topup_reuses_token_and_connection(secuconnect, sandbox):
    first = create(secuconnect, "ref-a")
    secuconnect.start(first.id, "cash")
    after_first = len(sandbox.requests)
    assert after_first == 3  # token, create, start

    second = create(secuconnect, "ref-b", card=FUNDED_CARD, amount=2000)
    done = secuconnect.start(second.id, "cash")

    new = sandbox.requests[after_first:]
    assert [(r.method, r.path.rsplit("/", 2)[-2:][-1]) for r in new] == [
        ("POST", "Transactions"), ("POST", "cash")]
    assert all(r.status == 200 for r in new)
    assert sandbox.attempts("token") == 1
    assert sandbox.connections_opened == 1
    assert sandbox.balance(FUNDED_CARD) == 4500
    assert done.receipt[-1].text == "45,00 EUR"


def test_reads_search_and_cards(secuconnect, sandbox):
    stx = create(secuconnect, "ref-read")
    assert secuconnect.get_transaction(stx.id).status == "created"
    found = secuconnect.find_by_merchant_ref("ref-read")
    assert [s.id for s in found] == [stx.id]
    assert secuconnect.find_by_merchant_ref("ref-none") == []

    card = secuconnect.lookup_card(FUNDED_CARD)
    assert card is not None and card.balance == 2500 and not card.locked
    assert card.cardnumber == FUNDED_CARD
    assert secuconnect.lookup_card(LOCKED_CARD).locked
    assert secuconnect.lookup_card(UNKNOWN_CARD) is None
    assert secuconnect.lookup_card(FOREIGN_CARD) is None

    valid = secuconnect.validate_card(CARD)
    assert valid.is_valid and not valid.is_locked
    assert secuconnect.validate_card(LOCKED_CARD).is_locked
    assert not secuconnect.validate_card(FOREIGN_CARD).is_valid
    assert not secuconnect.validate_card(UNKNOWN_CARD).is_valid
    secuconnect.ping()


def test_abort_and_cancel(secuconnect, sandbox):
    stx = create(secuconnect, "ref-abort")
    aborted = secuconnect.abort(stx.id)
    assert aborted.accepted and aborted.transaction.status == "aborted"
    with pytest.raises(ApiError) as refused:
        secuconnect.start(stx.id, "cash")
    assert refused.value.status == 400 and refused.value.error == "ProductNotAllowedException"
    assert sandbox.ledger == []

    stx = create(secuconnect, "ref-cancel")
    secuconnect.start(stx.id, "cash")
    cancelled = secuconnect.cancel(stx.id).transaction
    assert cancelled.status == "cancelled" and cancelled.reversed and not cancelled.not_executed
    assert sandbox.balance(CARD) == 0
    assert [c.amount for c in sandbox.ledger] == [1500, -1500]


def test_cashless_blocks_until_paid(secuconnect, sandbox):
    sandbox.terminal(wait=5.0, outcome="ok")
    stx = create(secuconnect, "ref-cashless")
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(stx=secuconnect.start(stx.id, "cashless")))
    worker.start()
    assert sandbox.terminal_waiting.wait(5)
    # While the customer pays, a second connection sees the transaction in progress.
    with SecuconnectClient(secuconnect.api, client_secret=sandbox.client_secret,
                           state_dir=Path("/nonexistent")) as reader:
        assert reader.get_transaction(stx.id).status == "processing"
    sandbox.release_terminal()
    worker.join(5)
    assert result["stx"].succeeded and result["stx"].payment_method == "cashless"
    assert sandbox.balance(CARD) == 1500


def test_cashless_aborted_at_terminal_ends_failed(secuconnect, sandbox):
    sandbox.terminal(wait=0.0, outcome="failed")
    stx = create(secuconnect, "ref-cashless-abort")
    done = secuconnect.start(stx.id, "cashless")
    assert done.status == "failed" and done.not_executed
    assert sandbox.ledger == []
    with pytest.raises(ApiError) as refused:  # a failed transaction is never restarted
        secuconnect.start(stx.id, "cash")
    assert "cannot be started" in refused.value.error_details


@pytest.mark.parametrize("overrides, card, details", [
    ({"amount": 0}, CARD, "greater than 0"),
    ({"ean": "4000000000000"}, CARD, "cannot charge a card"),
    ({"currency": "USD"}, CARD, "currency"),
    ({}, UNKNOWN_CARD, "Card not found"),
    ({}, LOCKED_CARD, "Card is locked"),
    ({}, FOREIGN_CARD, "not valid for this merchant"),
])
def test_create_refusals(secuconnect, sandbox, overrides, card, details):
    with pytest.raises(ApiError) as refused:
        create(secuconnect, "ref-bad", card=card, **overrides)
    error = refused.value
    assert error.status == 400 and details in error.error_details
    assert error.code in (1001, 1016) and len(error.support_id) == 32
    assert error.error_user.startswith("Es ist ein unbekannter Fehler")
    assert sandbox.transactions == []


def test_start_type_checked_before_sending(secuconnect, sandbox):
    with pytest.raises(ValueError):
        secuconnect.start("STX_X", "bitcoin")
    assert sandbox.requests == []


def test_ids_cannot_change_the_path(secuconnect, sandbox):
    with pytest.raises(ApiError) as refused:
        secuconnect.get_transaction("../../Loyalty/MerchantCards")
    assert refused.value.status == 404
    last = sandbox.requests[-1].path
    assert last == "/api/v2/Smart/Transactions/..%2F..%2FLoyalty%2FMerchantCards"


def test_logs_never_hold_card_numbers(secuconnect, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.inject("lookup_card", Fault.drop_before_commit())
    with pytest.raises(Exception) as lost:
        secuconnect.lookup_card(CARD)
    secuconnect.lookup_card(CARD)
    secuconnect.validate_card(CARD)
    create(secuconnect, "ref-log")
    text = caplog.text + str(lost.value)
    assert "card.cardnumber" in caplog.text  # urllib3 logged the URL ...
    assert CARD not in text and CARD[-4:] in text  # ... masked


def test_from_config_reads_the_secret_file(sandbox_config, sandbox):
    with SecuconnectClient.from_config(sandbox_config) as client:
        client.ping()
    assert sandbox.attempts("token") == 1


def test_from_config_refuses_missing_secret_file(sandbox_config, tmp_path):
    api = dataclasses.replace(sandbox_config.api, credentials_file=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="client secret file not found"):
        SecuconnectClient.from_config(dataclasses.replace(sandbox_config, api=api))
    api = dataclasses.replace(sandbox_config.api, credentials_file="")
    with pytest.raises(ConfigError, match="credentials_file"):
        SecuconnectClient.from_config(dataclasses.replace(sandbox_config, api=api))


def test_bad_client_secret_is_an_auth_error(sandbox, sandbox_api: ApiConfig, tmp_path):
    with SecuconnectClient(sandbox_api, client_secret="wrong", state_dir=tmp_path) as client:
        with pytest.raises(AuthError) as refused:
            client.lookup_card(CARD)
    assert refused.value.error == "invalid_client"
    assert refused.value.description == "Client credentials are invalid"
    assert sandbox.attempts("lookup_card") == 0
