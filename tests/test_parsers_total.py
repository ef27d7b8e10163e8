"""Issue 9, finding 2: each input that escaped a parser's documented error, one test apiece."""

from __future__ import annotations

import math

import pytest

from hardware.printer.status import PrinterFlags, Query, parse_status
from hardware.reader.decoder import KeyDecoder, LineDecoder, ScanValidator
from kiosk.secuconnect.auth import token_from_answer, sort_token_answer
from kiosk.secuconnect.errors import ApiError, AuthError, OutcomeUnknownError
from kiosk.secuconnect.models import (
    CardValidation,
    DeviceCode,
    MerchantCard,
    ModelError,
    ReceiptLine,
    SmartTransaction,
)
from kiosk.secuconnect.transport import decode_json

HUGE_DIGITS = "7" * 4_301  # one past CPython's int <-> str conversion limit
DEVICE = {"device_code": "dc", "user_code": "ABCD-EFGH", "verification_url": "https://x.test/d"}


def stx(**basket_info: object) -> dict[str, object]:
    return {"id": "STX_1", "status": "ok", "basket_info": basket_info}


# --- models.py: integers ---------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "--5", "-", "²", "٣", "１５", " 15", "15 ", "1_000", "+5", HUGE_DIGITS,
    "9" * 20, 2**63, -(2**63) - 1, 1e300, math.inf, -math.inf, math.nan, 12.5, True, [], {},
])
def test_a_malformed_amount_is_a_model_error(value):
    with pytest.raises(ModelError, match="basket_info.sum"):
        SmartTransaction.from_json(stx(sum=value, currency="EUR"))


@pytest.mark.parametrize("value, cents", [
    ("1500", 1500), ("-5", -5), (1500, 1500), (1500.0, 1500), (None, 0), ("", 0),
    (2**63 - 1, 2**63 - 1),
])
def test_a_well_formed_amount_reads_as_its_integer(value, cents):
    assert SmartTransaction.from_json(stx(sum=value)).amount == cents


def test_an_absent_amount_reads_as_zero():
    assert SmartTransaction.from_json({"id": "S", "status": "ok"}).amount == 0


@pytest.mark.parametrize("field", ["balance", "cash_balance", "bonus_balance", "points"])
def test_a_malformed_card_balance_is_a_model_error_naming_the_field(field):
    with pytest.raises(ModelError, match=field):
        MerchantCard.from_json({"id": "MCD_1", field: "²"})


@pytest.mark.parametrize("data", [None, [], "isValid", 5])
def test_merchant_card_and_validation_refuse_what_is_no_object(data):
    with pytest.raises(ModelError):
        MerchantCard.from_json(data)
    with pytest.raises(ModelError):
        CardValidation.from_json(data)


@pytest.mark.parametrize("flag", ["false", 0, 1, None, []])
def test_is_valid_must_be_a_json_boolean(flag):
    # bool("false") is True: a string must never make an invalid card valid.
    with pytest.raises(ModelError, match="isValid"):
        CardValidation.from_json({"isValid": flag})


@pytest.mark.parametrize("data", [None, 5, "text", ["type", "space"]])
def test_a_receipt_line_that_is_no_object_is_a_model_error(data):
    with pytest.raises(ModelError):
        ReceiptLine.from_json(data)


def nested(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_nested_containers_in_text_fields_never_reach_str():
    # str() of a deep list raises RecursionError; text fields read only scalars.
    deep = nested(100_000)
    parsed = SmartTransaction.from_json({"id": "S", "status": "ok", "merchantRef": deep,
                                         "receipt": [{"type": "textline",
                                                      "value": {"text": deep}}]})
    assert parsed.merchant_ref == "" and parsed.receipt[0].text == ""
    with pytest.raises(ModelError):
        SmartTransaction.from_json({"id": deep, "status": "ok"})


# --- models.py: device code --------------------------------------------------------------------

@pytest.mark.parametrize("extra", [
    {"expires_in": math.inf}, {"expires_in": "²"}, {"expires_in": HUGE_DIGITS},
    {"interval": math.inf}, {"interval": 10**30}, {"expires_in": 0}, {"expires_in": -5},
    {"expires_in": 10**12}, {"user_code": ["A"]}, {"verification_url": None},
    {"device_code": ""}, {"user_code": "A" * 10_000},
])
def test_a_malformed_device_code_answer_is_a_model_error(extra):
    with pytest.raises(ModelError):
        DeviceCode.from_json({**DEVICE, **extra})


def test_a_device_code_answer_reads_with_defaults_and_floor():
    code = DeviceCode.from_json({**DEVICE, "interval": 0})
    assert (code.expires_in, code.interval) == (1200, 1)
    assert DeviceCode.from_json({**DEVICE, "expires_in": "900", "interval": 7.0}).interval == 7


def test_device_code_refuses_what_is_no_object():
    with pytest.raises(ModelError):
        DeviceCode.from_json(["device_code"])


# --- errors.py --------------------------------------------------------------------------------

@pytest.mark.parametrize("code, expected", [
    ("²", None), ("٣", None), (HUGE_DIGITS, None), ("2003", 2003), (" 2003 ", 2003),
    (2003, 2003), (True, None), (10**30, None), (2003.0, None), (nested(100_000), None),
])
def test_api_error_code_is_an_ascii_integer_or_none(code, expected):
    error = ApiError.from_payload(400, {"error": "ProductException", "code": code})
    assert error is not None and error.code == expected


def test_api_error_text_fields_read_only_scalars():
    error = ApiError.from_payload(400, {"error": "E", "error_details": nested(100_000),
                                        "supportId": {"a": 1}})
    assert error is not None and (error.error_details, error.support_id) == ("", "")


# --- auth.py: token answers ---------------------------------------------------------------------

@pytest.mark.parametrize("lifetime, seconds", [
    (3600, 3600), ("3600", 3600), (3599.5, 3599.5), (None, 0), ("²", 0), ("٣", 0),
    (math.inf, 0), (math.nan, 0), (-5, 0), (10**400, 86_400), (1e300, 86_400), ([], 0),
])
def test_token_lifetime_is_finite_and_bounded(lifetime, seconds):
    token = token_from_answer({"access_token": "abc", "expires_in": lifetime}, now=100.0)
    assert token.usable_until == 100.0 + seconds - 10.0


@pytest.mark.parametrize("value", [None, "", 5, "a b", "tok\n", "tök", "x" * 5000, ["t"]])
def test_a_token_that_cannot_go_into_a_header_is_outcome_unknown(value):
    with pytest.raises(OutcomeUnknownError):
        token_from_answer({"access_token": value, "expires_in": 60}, now=0.0)


@pytest.mark.parametrize("status, data", [
    (400, {"error": nested(100_000)}), (400, {"error": ["invalid_grant"]}),
    (200, ["access_token"]), (500, {"error": "x"}), (400, None), (200, None),
])
def test_token_endpoint_answers_are_sorted_into_documented_errors(status, data):
    with pytest.raises(OutcomeUnknownError):
        sort_token_answer(status, data, what="POST /token", hint="")


def test_an_oauth_refusal_is_an_auth_error_with_scalar_texts():
    with pytest.raises(AuthError) as refused:
        sort_token_answer(400, {"error": "invalid_grant", "error_description": {"x": 1}},
                          what="POST /token", hint="")
    assert (refused.value.error, refused.value.description) == ("invalid_grant", "")


# --- transport.py -----------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"[" * 100_000, b"{\"a\":" * 100_000, b"NaN", b"[Infinity]", b"-Infinity", b"1e999",
    b"[1e999]", HUGE_DIGITS.encode(), b"\xff\xfe", b"", b"{\"a\":1", b"\"\\ud800\"x",
    b"{\"id\": \"S\\udc00\"}", b"[\"\\ud83d\"]",
])
def test_a_body_that_is_not_plain_json_decodes_to_none(body):
    assert decode_json(body) is None


def test_plain_json_decodes():
    assert decode_json(b'{"a": [1, 2.5, "\\u00e4", null, true]}') == {
        "a": [1, 2.5, "ä", None, True]}
    assert decode_json(b'["\\ud83d\\ude00", "\\\\ud800"]') == ["\U0001f600", "\\ud800"]


# --- hardware: scanner and printer status ------------------------------------------------------

@pytest.mark.parametrize("prefixes", [("٩٢٧٦",), ("92 76",), ("",), ()])
def test_card_prefixes_must_be_ascii_digits(prefixes):
    with pytest.raises(ValueError, match="prefix"):
        ScanValidator(16, prefixes, 3.0)


@pytest.mark.parametrize("gap", [math.nan, math.inf, 0.0, -1.0])
def test_decoders_refuse_a_gap_timeout_that_never_or_always_fires(gap):
    with pytest.raises(ValueError, match="gap_timeout"):
        KeyDecoder(gap_timeout=gap)
    with pytest.raises(ValueError, match="gap_timeout"):
        LineDecoder(gap_timeout=gap)


@pytest.mark.parametrize("debounce", [math.nan, math.inf, -1.0])
def test_decoders_refuse_a_debounce_that_is_no_duration(debounce):
    with pytest.raises(ValueError, match="debounce"):
        ScanValidator(16, ("9276",), debounce)


@pytest.mark.parametrize("when", [math.nan, math.inf, -math.inf])
def test_decoders_refuse_an_event_time_that_is_no_time(when):
    # A NaN time would leave a scan open for ever (every timeout comparison is False).
    with pytest.raises(ValueError, match="time"):
        KeyDecoder().feed(2, 1, when)
    with pytest.raises(ValueError, match="time"):
        LineDecoder().feed(b"1", when)
    with pytest.raises(ValueError, match="time"):
        KeyDecoder().check_timeout(when)


@pytest.mark.parametrize("byte", [18.0, "18", None, b"\x12", -1, 256, 10**100])
def test_a_status_reply_that_is_no_byte_is_a_value_error(byte):
    with pytest.raises(ValueError, match="status byte"):
        parse_status(Query.PRINTER, byte)


def test_a_status_query_that_is_no_query_is_a_value_error():
    with pytest.raises(ValueError, match="status query"):
        parse_status(9, 0x12)  # type: ignore[arg-type]
    assert isinstance(parse_status(Query.PRINTER, 0x12), PrinterFlags)
