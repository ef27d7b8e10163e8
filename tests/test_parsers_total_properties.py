"""Property tests: every parser of API answers, scanner input and printer status is total.

One property per parser: for any input it returns its documented type (with the invariants
that type promises) or raises its documented error. The suite runs the "kiosk-ci" profile
(few examples, derandomized: fast and repeatable); `python -m tests.fuzz` runs the very same
properties under "kiosk-fuzz" with 100,000 inputs or more per parser.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from typing import Any, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware.printer.status import (
    ErrorCause,
    OfflineCause,
    PaperSensor,
    PrinterFlags,
    Query,
    is_valid_status_byte,
    parse_status,
)
from hardware.reader.decoder import KeyDecoder, LineDecoder
from hardware.reader.events import CardScanned, ScanRejected
from kiosk.secuconnect.auth import (
    MAX_TOKEN_LIFETIME_S,
    TOKEN_MARGIN_S,
    AccessToken,
    sort_token_answer,
    token_from_answer,
)
from kiosk.secuconnect.errors import ApiError, AuthError, OutcomeUnknownError
from kiosk.secuconnect.models import (
    INT64_MAX,
    MAX_RECEIPT_LINES,
    MAX_RECEIPT_TEXT,
    CardValidation,
    DeviceCode,
    MerchantCard,
    ModelError,
    ReceiptLine,
    SmartTransaction,
    json_int,
)
from kiosk.secuconnect.transport import decode_json

PROFILE_ENV = "KIOSK_HYPOTHESIS_PROFILE"
EXAMPLES_ENV = "KIOSK_FUZZ_EXAMPLES"
# The fuzz profile hands each example a batch of inputs: hypothesis's cost per example is
# several times its cost per generated value, so batches make 100,000 inputs affordable.
FUZZ_BATCH = 25
# Slow-generation health checks depend on the machine's load: off, so the suite stays repeatable.
settings.register_profile("kiosk-ci", max_examples=120, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "kiosk-fuzz", max_examples=-(-int(os.environ.get(EXAMPLES_ENV) or 100_000) // FUZZ_BATCH),
    deadline=None, suppress_health_check=list(HealthCheck), print_blob=True,
)
# Applied per test, never loaded globally: the other hypothesis tests keep their own settings.
PROFILE_NAME = os.environ.get(PROFILE_ENV) or "kiosk-ci"
PROFILE = settings.get_profile(PROFILE_NAME)
BATCH = FUZZ_BATCH if PROFILE_NAME == "kiosk-fuzz" else 1

# Inputs each parser was given in this process; `python -m tests.fuzz` reports them.
INPUTS: Counter[str] = Counter()


def total(parser: str, *arguments: st.SearchStrategy[Any]) -> Callable[[Callable[..., None]], Any]:
    """Make `check(*arguments)` a property over batches of BATCH inputs, counted for `parser`."""
    def wrap(check: Callable[..., None]) -> Any:
        def run(batch: list[tuple[Any, ...]]) -> None:
            for item in batch:
                INPUTS[parser] += 1
                check(*item)
        run.__name__ = run.__qualname__ = check.__name__
        run.__doc__ = check.__doc__
        inputs = st.lists(st.tuples(*arguments), min_size=BATCH, max_size=BATCH)
        return PROFILE(given(inputs)(run))
    return wrap


class Nested(list):
    """A list `depth` levels deep that hypothesis reports as nested(depth), not recursively."""

    def __init__(self, depth: int) -> None:
        value: Any = 0
        for _ in range(depth - 1):
            value = [value]
        super().__init__([value])
        self.depth = depth

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(f"Nested({self.depth})")


# --- what an answer may hold -----------------------------------------------------------------
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
json_like = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.text(max_size=6), inner, max_size=4), max_leaves=12)
# Numbers as an API writes them, and as it must not: Unicode digits, signs, huge, non-finite.
number_texts = st.one_of(
    st.integers(-2**70, 2**70).map(str),
    st.from_regex(r"[-+ ]{0,3}[0-9]{0,24}[ ]?", fullmatch=True),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), max_size=4),
    st.sampled_from(["²", "٣", "１５", "--5", "1e3", "1_000", "7" * 4_301]),
)
numbers = st.one_of(st.integers(), st.integers(-2**70, 2**70), st.floats(), number_texts,
                    st.booleans(), st.none(), st.just(10**4_301))
anything = st.one_of(numbers, json_like, st.integers(1, 3_000).map(Nested))
texts = st.one_of(st.text(max_size=30), st.text(min_size=90, max_size=300), anything)


def obj(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Objects with some of `fields` (and now and then no object at all)."""
    return st.one_of(st.fixed_dictionaries({}, optional=fields), anything)


receipt_lines = obj(
    type=st.sampled_from(["separator", "name-value", "textline", "space", "barcode"]) | texts,
    value=obj(caption=texts, name=texts, value=texts, text=texts,
              decoration=st.lists(st.sampled_from(["important", "align-center", "x"]) | texts,
                                  max_size=12) | anything),
)
cards = obj(id=texts, card=obj(cardnumber=texts), balance=numbers, cash_balance=numbers,
            bonus_balance=numbers, points=numbers, lock_status=texts, stock_status=texts)
receipts = st.one_of(st.lists(receipt_lines, max_size=8),
                     st.integers(0, 2 * MAX_RECEIPT_LINES).map(lambda n: [{"type": "space"}] * n),
                     anything)
transactions = obj(
    id=st.just("STX_1") | texts, status=st.sampled_from(["ok", "created", "pending"]) | texts,
    merchantRef=texts, trans_id=texts, basket_info=obj(sum=numbers, currency=texts),
    payment_method=texts, created=texts, merchant=obj(companyname=texts), receipt=receipts,
    idents=st.lists(obj(merchantcard=cards), max_size=3) | anything, is_demo=anything,
)


def in_int64(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)
            and -INT64_MAX - 1 <= value <= INT64_MAX)


# --- models.py ---------------------------------------------------------------------------------

@total("models.json_int", numbers | anything)
def test_json_int_is_a_64_bit_int_or_a_model_error(value) -> None:
    try:
        number = json_int(value, "field")
    except ModelError as exc:
        assert "field" in str(exc)
        return
    assert in_int64(number)
    if in_int64(value):
        assert number == value and json_int(str(value), "field") == value  # round trip


@total("models.ReceiptLine", receipt_lines)
def test_receipt_line_is_a_clipped_line_or_a_model_error(data) -> None:
    try:
        line = ReceiptLine.from_json(data)
    except ModelError:
        assert not isinstance(data, dict)
        return
    fields = (line.type, line.caption, line.name, line.value, line.text, *line.decorations)
    assert all(isinstance(f, str) and len(f) <= MAX_RECEIPT_TEXT for f in fields)
    if line.type in ("name-value", "textline"):
        assert ReceiptLine.from_json(line.to_json()) == line  # what the journal stores reads back


@total("models.MerchantCard", cards)
def test_merchant_card_has_64_bit_balances_or_is_a_model_error(data) -> None:
    try:
        card = MerchantCard.from_json(data)
    except ModelError:
        return
    assert all(in_int64(n) for n in (card.balance, card.cash_balance, card.bonus_balance,
                                     card.points))
    assert isinstance(card.cardnumber, str) and isinstance(card.locked, bool)


@total("models.CardValidation", obj(isValid=anything | st.booleans(),
                                     isLocked=anything | st.booleans(),
                                     hasPasscode=anything | st.booleans()))
def test_card_validation_has_real_flags_or_is_a_model_error(data) -> None:
    try:
        validation = CardValidation.from_json(data)
    except ModelError:
        return
    assert data["isValid"] is validation.is_valid  # only a JSON true makes a card valid
    assert all(isinstance(f, bool) for f in (validation.is_locked, validation.has_passcode))


@total("models.SmartTransaction", transactions)
def test_smart_transaction_is_bounded_or_a_model_error(data) -> None:
    try:
        stx = SmartTransaction.from_json(data)
    except ModelError:
        return
    assert stx.id and stx.status and in_int64(stx.amount)
    assert len(stx.receipt) <= MAX_RECEIPT_LINES
    assert all(isinstance(line, ReceiptLine) for line in stx.receipt)
    assert stx.card is None or isinstance(stx.card, MerchantCard)


@total("models.DeviceCode", obj(
    device_code=st.just("dc") | texts, user_code=st.just("AB-CD") | texts,
    verification_url=st.just("https://x.test") | texts, expires_in=numbers, interval=numbers))
def test_device_code_is_in_range_or_a_model_error(data) -> None:
    try:
        code = DeviceCode.from_json(data)
    except ModelError:
        return
    assert 1 <= code.expires_in <= 86_400 and 1 <= code.interval <= 600
    assert all(isinstance(t, str) and t for t in (code.device_code, code.user_code,
                                                    code.verification_url))


# --- errors.py, auth.py, transport.py ------------------------------------------------------------

@total("errors.ApiError.from_payload", st.integers(100, 599), obj(
    status=st.just("error") | texts, error=st.just("ProductException") | texts, code=numbers,
    error_details=texts, error_user=texts, supportId=texts))
def test_api_error_payload_is_an_api_error_or_none(status, payload) -> None:
    error = ApiError.from_payload(status, payload)
    if error is None:
        return
    assert isinstance(str(error), str) and isinstance(error.support_id, str)
    assert error.code is None or (in_int64(error.code) and error.code >= 0)


@total("auth.sort_token_answer", st.integers(-1, 700), obj(
    access_token=texts, error=st.just("invalid_grant") | texts, error_description=texts,
    error_details=texts))
def test_token_endpoint_answer_is_sorted_into_its_documented_outcomes(status, data) -> None:
    try:
        answer = sort_token_answer(status, data, what="POST /oauth/token", hint="")
    except AuthError as exc:
        assert 400 <= status < 500 and isinstance(exc.error, str) and exc.error
        assert isinstance(exc.description, str)
        return
    except OutcomeUnknownError:
        return
    assert status == 200 and isinstance(answer, dict)


@total("auth.token_from_answer", st.dictionaries(
    st.sampled_from(["access_token", "expires_in", "refresh_token"]),
    st.just("t0k.en-1") | numbers | texts), st.floats(0, 1e9))
def test_token_answer_gives_a_finite_bounded_token_or_outcome_unknown(data, now) -> None:
    try:
        token = token_from_answer(data, now)
    except OutcomeUnknownError:
        return
    assert isinstance(token, AccessToken) and token.value == data["access_token"]
    assert math.isfinite(token.usable_until)
    assert now - TOKEN_MARGIN_S <= token.usable_until <= now + MAX_TOKEN_LIFETIME_S - TOKEN_MARGIN_S


finite_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False,
                                                                 allow_infinity=False),
              st.text()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)
bodies = st.one_of(
    st.binary(),
    finite_json.map(lambda v: json.dumps(v).encode()),
    json_like.map(lambda v: json.dumps(v).encode()),  # may hold NaN and Infinity
    st.integers(0, 5_000).map(lambda n: b"[" * n + b"]" * n),
    st.text().map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@total("transport.decode_json", bodies, finite_json)
def test_a_body_is_plain_json_or_none(body, value) -> None:
    decoded = decode_json(body)
    if decoded is not None:
        # What came out can be stored and sent on: encodable, finite, not too deep to dump.
        json.dumps(decoded, ensure_ascii=False, allow_nan=False).encode("utf-8")
    assert decode_json(json.dumps(value).encode()) == value  # round trip of plain JSON


# --- hardware ------------------------------------------------------------------------------------

times = st.one_of(st.floats(0, 1e6), st.floats())
key_events = st.lists(st.tuples(st.integers(0, 600) | st.integers(), st.integers(-1, 3)
                                | st.integers(), times), max_size=60)


@total("reader.KeyDecoder", key_events)
def test_key_decoder_gives_scan_results_or_refuses_a_time_that_is_no_time(stream) -> None:
    decoder = KeyDecoder(length=16, prefixes=("9276",), gap_timeout=0.15, debounce=3)
    for code, value, when in stream:
        try:
            results = decoder.feed(code, value, when)
        except ValueError:
            assert not math.isfinite(when)
            continue
        assert all(isinstance(r, (CardScanned, ScanRejected)) for r in results)
        for r in results:
            assert not isinstance(r, CardScanned) or (
                len(r.number) == 16 and r.number.isascii() and r.number.isdigit())


@total("reader.LineDecoder", st.lists(st.tuples(st.binary(max_size=40), times), max_size=30))
def test_line_decoder_gives_scan_results_or_refuses_a_time_that_is_no_time(chunks) -> None:
    decoder = LineDecoder(length=16, prefixes=("9276",), gap_timeout=0.15, debounce=3)
    for data, when in chunks:
        try:
            results = decoder.feed(data, when)
        except ValueError:
            assert not math.isfinite(when)
            continue
        for r in results:
            assert isinstance(r, (CardScanned, ScanRejected))
            assert not isinstance(r, CardScanned) or (
                len(r.number) == 16 and r.number.isascii() and r.number.isdigit())


REPLY_TYPES = {Query.PRINTER: PrinterFlags, Query.OFFLINE_CAUSE: OfflineCause,
               Query.ERROR_CAUSE: ErrorCause, Query.PAPER: PaperSensor}


@total("printer.parse_status", st.sampled_from(list(Query)) | st.integers(-2, 8) | anything,
       st.integers(0, 255) | st.integers(-300, 600) | anything)
def test_printer_status_is_a_reply_none_or_a_value_error(query, byte) -> None:
    is_query = not isinstance(query, bool) and isinstance(query, int) and 1 <= query <= 4
    is_byte = not isinstance(byte, bool) and isinstance(byte, int) and 0 <= byte <= 255
    try:
        reply = parse_status(query, byte)
    except ValueError:
        assert not (is_query and is_byte)
        return
    assert is_query and is_byte
    assert (reply is None) == (not is_valid_status_byte(byte))
    assert reply is None or isinstance(reply, REPLY_TYPES[Query(query)])
