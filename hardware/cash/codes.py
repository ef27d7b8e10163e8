"""SSP command codes, generic response codes and note reject reasons, with their meanings."""

from __future__ import annotations

from enum import IntEnum


class Command(IntEnum):
    """The commands a note-validator host sends (cash-essp.md §5)."""

    RESET = 0x01
    SET_INHIBITS = 0x02
    DISPLAY_ON = 0x03
    DISPLAY_OFF = 0x04
    SETUP_REQUEST = 0x05
    HOST_PROTOCOL_VERSION = 0x06
    POLL = 0x07
    REJECT = 0x08
    DISABLE = 0x09
    ENABLE = 0x0A
    GET_SERIAL_NUMBER = 0x0C
    SYNC = 0x11
    LAST_REJECT_CODE = 0x17
    HOLD = 0x18
    GET_FIRMWARE_VERSION = 0x20
    GET_DATASET_VERSION = 0x21
    POLL_WITH_ACK = 0x56
    EVENT_ACK = 0x57
    GET_COUNTERS = 0x58
    RESET_COUNTERS = 0x59


class Response(IntEnum):
    """The generic response byte that opens every reply (cash-essp.md §4)."""

    OK = 0xF0
    COMMAND_NOT_KNOWN = 0xF2
    WRONG_PARAMETERS = 0xF3
    PARAMETER_OUT_OF_RANGE = 0xF4
    CANNOT_PROCESS = 0xF5
    SOFTWARE_ERROR = 0xF6
    CHECKSUM_ERROR = 0xF7  # named by ITL's SDK only
    FAIL = 0xF8
    HEADER_FAILURE = 0xF9  # named by ITL's SDK only
    KEY_NOT_SET = 0xFA
    ENCRYPTED = 0x7E  # not a response: the packet is eSSP-encrypted


RESPONSE_TEXT = {
    Response.OK: "ok",
    Response.COMMAND_NOT_KNOWN: "command not known to this unit",
    Response.WRONG_PARAMETERS: "wrong number of parameters",
    Response.PARAMETER_OUT_OF_RANGE: "parameter out of range",
    Response.CANNOT_PROCESS: "cannot be processed now (busy, no note in escrow, nothing to ack)",
    Response.SOFTWARE_ERROR: "software error in the unit",
    Response.CHECKSUM_ERROR: "checksum error",
    Response.FAIL: "command failed",
    Response.HEADER_FAILURE: "header failure",
    Response.KEY_NOT_SET: "unit is in encrypted (eSSP) mode: set it to plain SSP",
    Response.ENCRYPTED: "encrypted reply (eSSP): this driver speaks plain SSP only",
}


def response_text(code: int) -> str:
    try:
        return RESPONSE_TEXT[Response(code)]
    except ValueError:
        return f"unknown response 0x{code:02X}"


class RejectReason(IntEnum):
    """Why the last note was rejected: the reply to LAST REJECT CODE (cash-essp.md §10)."""

    ACCEPTED = 0x00
    LENGTH = 0x01
    NOT_RECOGNISED = 0x02  # "average"
    COASTLINE = 0x03
    GRAPH = 0x04
    BURIED = 0x05
    INHIBITED_IN_DATASET = 0x06
    SECOND_NOTE = 0x07
    REJECTED_BY_HOST = 0x08
    CROSS_CHANNEL = 0x09
    REAR_SENSOR = 0x0A
    TOO_LONG = 0x0B
    INHIBITED_BY_HOST = 0x0C
    SLOW_MECHANISM = 0x0D
    STRIMMING = 0x0E
    FRAUD_CHANNEL = 0x0F
    NO_NOTE_SEEN = 0x10
    PEAK_DETECT = 0x11
    TWISTED = 0x12
    ESCROW_TIMEOUT = 0x13
    BAR_CODE_SCAN = 0x14
    NO_CAM_ACTIVATE = 0x15
    SLOT_FAIL_1 = 0x16
    SLOT_FAIL_2 = 0x17
    LENS_OVERSAMPLE = 0x18
    WIDTH = 0x19
    SHORT_NOTE = 0x1A
    PAYOUT_NOTE = 0x1B
    DOUBLE_NOTE = 0x1C
    UNABLE_TO_STACK = 0x1D
    CREDIT_CARD = 0x1F  # NV9 only

    @classmethod
    def of(cls, code: int) -> "RejectReason | int":
        """The reason, or the bare code when the unit reports one not in the table."""
        try:
            return cls(code)
        except ValueError:
            return code
