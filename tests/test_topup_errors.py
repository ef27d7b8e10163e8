"""Every API error payload of the reference leads to its defined customer outcome and message."""

from __future__ import annotations

import pytest

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.secuconnect.errors import ApiError
from kiosk.topup import REASON_TEXT, Outcome, Reason, reason_for_api_error
from tests.fixtures.sandbox import CARD

# The reference's error names (secuconnect-api.md "Errors"), each with the outcome the kiosk
# promises when `create` is refused with it. Written out here, not derived from the code.
CREATE_REFUSALS = [
    ("ProductException", None, Reason.TECHNICAL_ERROR),
    ("ProductUnauthorizedException", None, Reason.SERVICE_UNAVAILABLE),
    ("ProductNotAllowedException", None, Reason.SERVICE_UNAVAILABLE),
    ("ProductNotEnoughBalanceException", None, Reason.AMOUNT_REFUSED),
    ("ProductBlacklistedException", None, Reason.CARD_LOCKED),
    ("ProductInternalException", None, Reason.TECHNICAL_ERROR),
    ("ProductFormatException", None, Reason.AMOUNT_REFUSED),
    ("ProductNotFoundException", None, Reason.CARD_UNKNOWN),
    ("ProductMethodNotAllowedException", None, Reason.TECHNICAL_ERROR),
    ("ProductUpdateFailedException", None, Reason.TECHNICAL_ERROR),
    ("ProductDuplicateException", None, Reason.TECHNICAL_ERROR),
    ("ProductSecurityException", None, Reason.SERVICE_UNAVAILABLE),
    ("ProductBackendproviderException", None, Reason.SERVICE_UNAVAILABLE),
    ("ProductPasscodeIncorrectException", None, Reason.CARD_PASSCODE),
    ("ProductUnknownActionException", None, Reason.TECHNICAL_ERROR),
    # the internal codes, as ints and as text (the docs call `code` a string)
    ("ProductFormatException", 1001, Reason.AMOUNT_REFUSED),
    ("ProductException", 1003, Reason.TECHNICAL_ERROR),
    ("ProductNotFoundException", 1016, Reason.CARD_UNKNOWN),
    ("ProductBlacklistedException", 1016, Reason.CARD_LOCKED),
    ("ProductNotAllowedException", 1016, Reason.CARD_FOREIGN),
    ("ProductNotAllowedException", "1016", Reason.CARD_FOREIGN),
    ("ProductException", 2003, Reason.SERVICE_UNAVAILABLE),
    ("ProductException", "2003", Reason.SERVICE_UNAVAILABLE),
    # the name wins over a code that would say otherwise
    ("ProductBlacklistedException", 1001, Reason.CARD_LOCKED),
    ("ProductSecurityException", "1003", Reason.SERVICE_UNAVAILABLE),
    ("ProductSomethingNewException", "1001", Reason.AMOUNT_REFUSED),
    # a name this kiosk has never seen
    ("ProductSomethingNewException", None, Reason.TECHNICAL_ERROR),
]


@pytest.mark.parametrize("error, code, reason", CREATE_REFUSALS)
def test_create_refusal(env, error, code, reason):
    env.sandbox.inject("create", Fault.refuse(error, status=400, code=code))
    result = env.service.topup(CARD, 1500)
    assert (result.outcome, result.reason) == (Outcome.REFUSED, reason)
    assert result.support_id and f"supportId {result.support_id}" in result.message
    assert result.message.startswith(REASON_TEXT[reason])
    row = env.journal.get(result.reference)
    assert (row.state, row.reason, row.support_id) == (State.NOT_EXECUTED, reason.value,
                                                       result.support_id)
    assert error in row.last_error
    assert env.sandbox.ledger == [] and env.sandbox.attempts("start") == 0


@pytest.mark.parametrize("status", [401, 403])
def test_token_refusal_reauthenticates_once_and_credits(env, status):
    # 401, or 403 with code 2003: refused at the door, so the client may send it again once.
    code = 2003 if status == 403 else None
    env.sandbox.inject("create", Fault.refuse("ProductNotAllowedException", status=status,
                                              code=code))
    result = env.service.topup(CARD, 1500)
    assert result.credited and env.sandbox.attempts("create") == 2
    assert [c.amount for c in env.sandbox.ledger] == [1500]
    env.service.receipt_printed(result.reference)


@pytest.mark.parametrize(
    "error, code, reason",
    [("ProductFormatException", 1001, Reason.START_REFUSED),   # the name decides, not 1001
     ("ProductFormatException", "1001", Reason.START_REFUSED),
     ("ProductNotFoundException", None, Reason.START_REFUSED),
     ("ProductBackendproviderException", None, Reason.SERVICE_UNAVAILABLE),
     ("ProductBlacklistedException", 1016, Reason.CARD_LOCKED),
     ("ProductInternalException", None, Reason.TECHNICAL_ERROR)],
)
def test_start_refusal_aborts_and_reports_not_charged(env, error, code, reason):
    env.sandbox.inject("start", Fault.refuse(error, status=400, code=code))
    result = env.service.topup(CARD, 1500)
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, reason)
    assert result.support_id and f"supportId {result.support_id}" in result.message
    assert result.message.startswith(REASON_TEXT[reason])
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted"]
    assert env.sandbox.ledger == []


def test_5xx_with_api_error_body_is_unknown_not_refused(env):
    # A 5xx carries the API's JSON, yet the work may have happened: never a refusal. For a
    # create that moves no money, so the kiosk creates anew - no search decides anything.
    env.sandbox.inject("create", Fault.server_error(500, after_commit=True))
    result = env.service.topup(CARD, 1500)
    assert result.credited and env.sandbox.attempts("search") == 0
    first = env.journal.recent()[-1]
    assert (first.state, first.reason) == (State.NOT_EXECUTED, "not_created")
    assert first.support_id   # the 5xx's supportId is kept for support
    env.service.receipt_printed(result.reference)


def test_reversal_code_and_call_context():
    refused_cancel = ApiError(400, "ProductNotAllowedException", code=1007)
    assert reason_for_api_error(refused_cancel, "cancel") is Reason.REVERSAL_FAILED
    # "not found" names the card on create, the transaction on start.
    missing = ApiError(404, "ProductNotFoundException")
    assert reason_for_api_error(missing, "create") is Reason.CARD_UNKNOWN
    assert reason_for_api_error(missing, "start") is Reason.START_REFUSED


def test_every_reason_has_operator_text():
    assert set(REASON_TEXT) == set(Reason)
    for reason, text in REASON_TEXT.items():
        assert text and "TODO" not in text, reason
    # Outcomes that mean nothing moved say so; claims never claim "not charged".
    for reason in (Reason.UNRESOLVED_CREATE, Reason.UNRESOLVED_START, Reason.REVERSAL_FAILED,
                   Reason.SERVER_MISMATCH, Reason.STUCK_IN_PROGRESS):
        assert "not charged" not in REASON_TEXT[reason]
