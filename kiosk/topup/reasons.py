"""The top-up's vocabulary: outcomes, reason codes, their operator text, and the API's errors mapped to them."""

from __future__ import annotations

from enum import Enum

from kiosk.secuconnect.errors import ApiError


class Outcome(str, Enum):
    """What a top-up came to, in terms a customer can act on. Never "failed" while unknown."""

    CONFIRMED = "confirmed"  # the card is credited
    NOT_EXECUTED = "not_executed"  # a transaction existed but did not run: nothing charged
    REFUSED = "refused"  # refused before any money could move
    UNRESOLVED = "unresolved"  # not settled on the spot: claim slip, support settles it


class Reason(str, Enum):
    """Stable reason codes: printed on slips, kept in the journal, mapped to text by the UI."""

    # refusals before anything was sent
    CARD_INVALID = "card_invalid"
    AMOUNT_BELOW_MINIMUM = "amount_below_minimum"
    AMOUNT_ABOVE_MAXIMUM = "amount_above_maximum"
    RECOVERY_PENDING = "recovery_pending"
    # the API's verdicts
    CARD_UNKNOWN = "card_unknown"
    CARD_LOCKED = "card_locked"
    CARD_FOREIGN = "card_foreign"
    CARD_PASSCODE = "card_passcode"
    CARD_EXPIRED = "card_expired"
    CARD_AT_LIMIT = "card_at_limit"
    AMOUNT_REFUSED = "amount_refused"
    SERVICE_UNAVAILABLE = "service_unavailable"
    API_UNREACHABLE = "api_unreachable"
    TECHNICAL_ERROR = "technical_error"
    # not executed after a transaction existed
    NOT_CREATED = "not_created"
    START_REFUSED = "start_refused"
    PAYMENT_DECLINED = "payment_declined"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    PAYMENT_REVERSED = "payment_reversed"
    # claims: the outcome could not be settled on the spot
    UNRESOLVED_CREATE = "unresolved_create"
    UNRESOLVED_START = "unresolved_start"
    REVERSAL_FAILED = "reversal_failed"
    SERVER_MISMATCH = "server_mismatch"
    STUCK_IN_PROGRESS = "stuck_in_progress"


# Operator/technician text (CLI, logs). The UI has its own translated strings per reason code.
REASON_TEXT: dict[Reason, str] = {
    Reason.CARD_INVALID: "this is not a valid card number",
    Reason.AMOUNT_BELOW_MINIMUM: "the amount is below the minimum top-up",
    Reason.AMOUNT_ABOVE_MAXIMUM: "the amount is above the maximum top-up",
    Reason.RECOVERY_PENDING: "an earlier top-up is still being resolved; not charged",
    Reason.CARD_UNKNOWN: "the card is not known",
    Reason.CARD_LOCKED: "the card is locked",
    Reason.CARD_FOREIGN: "the card is not valid at this merchant",
    Reason.CARD_PASSCODE: "the card's PIN was not accepted",
    Reason.CARD_EXPIRED: "the card has expired",
    Reason.CARD_AT_LIMIT: "the card's balance is at its card group's balance limit",
    Reason.AMOUNT_REFUSED: "the amount was refused by the payment service",
    Reason.SERVICE_UNAVAILABLE: "the payment service refused the kiosk (authorisation); out of "
                                "service",
    Reason.API_UNREACHABLE: "the payment service cannot be reached; not charged",
    Reason.TECHNICAL_ERROR: "the payment service reported an error; not charged",
    Reason.NOT_CREATED: "the payment service's answer to creating the top-up was lost, so no "
                        "payment was started; not charged",
    Reason.START_REFUSED: "the payment service refused to carry out the top-up; not charged",
    Reason.PAYMENT_DECLINED: "the payment was declined; not charged",
    Reason.ABORTED: "the top-up was aborted; not charged",
    Reason.INTERRUPTED: "the kiosk was interrupted before the payment; not charged",
    Reason.PAYMENT_REVERSED: "the payment was reversed because the card could not be credited; "
                             "not charged",
    Reason.UNRESOLVED_CREATE: "the payment service did not answer; the outcome is being checked",
    Reason.UNRESOLVED_START: "the payment service did not answer; the outcome is being checked",
    Reason.REVERSAL_FAILED: "the payment went through but the card was not credited, and the "
                            "reversal was refused; support will settle it",
    Reason.SERVER_MISMATCH: "the payment service holds a different transaction than the kiosk "
                            "sent; support will settle it",
    Reason.STUCK_IN_PROGRESS: "the transaction stayed in progress; support will settle it",
}

# The API's error names (secuconnect-api.md "Errors") and what each means for a customer.
ERROR_REASONS: dict[str, Reason] = {
    "ProductException": Reason.TECHNICAL_ERROR,
    "ProductUnauthorizedException": Reason.SERVICE_UNAVAILABLE,
    "ProductNotAllowedException": Reason.SERVICE_UNAVAILABLE,
    "ProductNotEnoughBalanceException": Reason.AMOUNT_REFUSED,
    "ProductBlacklistedException": Reason.CARD_LOCKED,
    "ProductInternalException": Reason.TECHNICAL_ERROR,
    "ProductFormatException": Reason.AMOUNT_REFUSED,
    "ProductNotFoundException": Reason.CARD_UNKNOWN,
    "ProductMethodNotAllowedException": Reason.TECHNICAL_ERROR,
    "ProductUnknownActionException": Reason.TECHNICAL_ERROR,   # the host lacks the endpoint
    "ProductUpdateFailedException": Reason.TECHNICAL_ERROR,
    "ProductDuplicateException": Reason.TECHNICAL_ERROR,
    "ProductSecurityException": Reason.SERVICE_UNAVAILABLE,
    "ProductBackendproviderException": Reason.SERVICE_UNAVAILABLE,
    "ProductPasscodeIncorrectException": Reason.CARD_PASSCODE,
}
# The error names that say too little on their own: for these (and for names this kiosk does
# not know) the internal code refines the outcome. Every other name decides by itself - the
# reference says to branch on `error` first; `code` may be an int, text or absent.
GENERIC_ERRORS = frozenset({"ProductException", "ProductNotAllowedException"})
CODE_REASONS: dict[int, Reason] = {
    1001: Reason.AMOUNT_REFUSED,  # invalid params: card and form are checked locally first
    1003: Reason.TECHNICAL_ERROR,  # transaction creation failed
    1007: Reason.REVERSAL_FAILED,  # could not cancel loyalty transaction
    2003: Reason.SERVICE_UNAVAILABLE,  # valid auth token required
}
# 1016 "card validation failed" under a generic name means the card is not valid here.
CARD_VALIDATION_FAILED = 1016
CARD_ERROR_REASONS: dict[str, Reason] = {
    "ProductNotFoundException": Reason.CARD_UNKNOWN,
    "ProductBlacklistedException": Reason.CARD_LOCKED,
    "ProductPasscodeIncorrectException": Reason.CARD_PASSCODE,
}


def reason_for_api_error(error: ApiError, call: str = "create") -> Reason:
    """The customer outcome of a definite refusal by the API: by its name first.

    `call` matters for "not found": on create it is the card; on start, the transaction.
    """
    named = ERROR_REASONS.get(error.error)
    if named is None or error.error in GENERIC_ERRORS:
        if error.code == CARD_VALIDATION_FAILED:
            return Reason.CARD_FOREIGN
        named = CODE_REASONS.get(error.code or -1, named or Reason.TECHNICAL_ERROR)
    if error.code == CARD_VALIDATION_FAILED:
        # A card refusal: the name tells which one, whatever the call.
        return CARD_ERROR_REASONS.get(error.error, named)
    if call != "create" and named in (Reason.CARD_UNKNOWN, Reason.AMOUNT_REFUSED):
        return Reason.START_REFUSED
    return named
