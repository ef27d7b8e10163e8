"""Every API error payload the reference names becomes an ApiError with all its fields."""

from __future__ import annotations

import pytest

from hardware.sim.sandbox import Fault
from kiosk.secuconnect.errors import ApiError, OutcomeUnknownError
from tests.fixtures.sandbox import CARD
from tests.fixtures.sandbox import create_topup as create

# secuconnect-api.md, "Errors": names seen and internal codes.
NAMED_ERRORS = [
    ("ProductException", 1003), ("ProductUnauthorizedException", None),
    ("ProductNotAllowedException", 2003), ("ProductNotEnoughBalanceException", 1007),
    ("ProductBlacklistedException", 1016), ("ProductInternalException", None),
    ("ProductFormatException", 1001), ("ProductNotFoundException", 1016),
    ("ProductMethodNotAllowedException", None), ("ProductUpdateFailedException", 1007),
    ("ProductDuplicateException", None), ("ProductSecurityException", None),
    ("ProductBackendproviderException", 1003), ("ProductPasscodeIncorrectException", 1016),
]


@pytest.mark.parametrize("error, code", NAMED_ERRORS)
def test_named_error_payload_over_http(secuconnect, sandbox, error, code):
    # 403/2003 means "token" and triggers a re-auth: use 400 for the named payloads.
    sandbox.inject("create", Fault.refuse(error, code=code, details=f"{error} details"))
    with pytest.raises(ApiError) as refused:
        create(secuconnect, "ref-e")
    api_error = refused.value
    assert (api_error.status, api_error.error, api_error.code) == (400, error, code)
    assert api_error.error_details == f"{error} details"
    assert api_error.error_user.startswith("Es ist ein unbekannter Fehler aufgetreten")
    assert len(api_error.support_id) == 32
    assert api_error.support_id in str(api_error) and error in str(api_error)
    assert sandbox.transactions == []


def test_reference_example_payload():
    payload = {"status": "error", "error": "ProductNotAllowedException",
               "error_details": "Valid auth token required",
               "error_user": "Es ist ein unbekannter Fehler aufgetreten (Code 2003)",
               "code": 2003, "supportId": "f8e0173c15b92750819a91ac8d5cc878"}
    error = ApiError.from_payload(403, payload)
    assert error is not None
    assert (error.status, error.error, error.code) == (403, "ProductNotAllowedException", 2003)
    assert error.error_details == "Valid auth token required"
    assert error.error_user.endswith("(Code 2003)")
    assert error.support_id == "f8e0173c15b92750819a91ac8d5cc878"
    assert str(error) == ("HTTP 403 ProductNotAllowedException (code 2003): Valid auth token "
                          "required [supportId f8e0173c15b92750819a91ac8d5cc878]")


@pytest.mark.parametrize("payload, code", [
    ({"status": "error", "error": "ProductException", "code": "1003"}, 1003),
    ({"error": "ProductException", "code": None}, None),
    ({"error": "ProductException", "code": True}, None),
    ({"error": "ProductException"}, None),
])
def test_lenient_fields(payload, code):
    error = ApiError.from_payload(400, payload)
    assert error is not None and error.code == code and error.support_id == ""


@pytest.mark.parametrize("payload", [None, [], "text", {}, {"status": "ok"}, {"error": ""},
                                     {"status": "ok", "error": "x"}, {"message": "hi"}])
def test_not_an_api_error(payload):
    assert ApiError.from_payload(400, payload) is None


def test_5xx_with_api_payload_keeps_the_support_id(secuconnect, sandbox):
    sandbox.inject("lookup_card", Fault.server_error(502))
    with pytest.raises(OutcomeUnknownError) as unknown:
        secuconnect.lookup_card(CARD)
    assert unknown.value.api_error is not None and unknown.value.api_error.status == 502
    assert len(unknown.value.support_id) == 32


def test_card_numbers_in_details_are_masked_in_the_message():
    error = ApiError(400, "ProductException", error_details=f"card {CARD} unknown")
    assert CARD not in str(error) and CARD[-4:] in str(error)
    assert error.error_details == f"card {CARD} unknown"  # the field keeps what the API said
