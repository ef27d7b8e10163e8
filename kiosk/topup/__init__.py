"""The money-moving procedure: journal the intent, call the API, resolve unknown outcomes, recover on boot."""

from kiosk.topup.balance import balance_from_receipt
from kiosk.topup.core import SecuconnectApi, handed_over
from kiosk.topup.procedure import local_refusal
from kiosk.topup.reasons import (
    CARD_ERROR_REASONS,
    CARD_VALIDATION_FAILED,
    CODE_REASONS,
    ERROR_REASONS,
    REASON_TEXT,
    Outcome,
    Reason,
    reason_for_api_error,
)
from kiosk.topup.resolve import CREATED_READS_BEFORE_ABORT
from kiosk.topup.results import CardCheckResult, CardStatus, PinResult, TopupResult
from kiosk.topup.service import TopupService

__all__ = [
    "CARD_ERROR_REASONS",
    "CARD_VALIDATION_FAILED",
    "CODE_REASONS",
    "CREATED_READS_BEFORE_ABORT",
    "ERROR_REASONS",
    "REASON_TEXT",
    "CardCheckResult",
    "CardStatus",
    "Outcome",
    "PinResult",
    "Reason",
    "SecuconnectApi",
    "TopupResult",
    "TopupService",
    "balance_from_receipt",
    "handed_over",
    "local_refusal",
    "reason_for_api_error",
]
