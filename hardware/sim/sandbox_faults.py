"""Faults the sandbox injects into a call: delays, answers lost before or after the work, junk."""

from __future__ import annotations

import threading
from dataclasses import dataclass

# Call names, one per kind of request the sandbox understands.
CALLS = ("token", "create", "get", "search", "start", "cancel", "abort",
         "lookup_card", "validate_card", "routing", "end_of_day", "diagnosis",
         "lock_reasons", "card_lock", "cardgroup", "passcode_enabled", "check_passcode",
         "balance_receipt")


@dataclass(frozen=True)
class Fault:
    """What goes wrong with one call.

    kind:
      delay          wait `seconds`, then handle the call normally (work done, answer sent)
      drop           close the connection without an answer
      reset          abort the connection with a TCP reset, no answer
      server_error   answer `status` (5xx) with the API's error JSON (ProductInternalException)
      not_json       answer `status` with a proxy's HTML page
      empty          answer `status` with an empty body
      other_json     answer `status` with JSON that is not the API's ({"message": "OK"})
      token_expired  the bearer token of this call expires just before it is checked
      refuse         answer `status` with the API error `error` / `code` (nothing done)
      late           close the connection without an answer and do nothing yet: the work is
                     held until SandboxServer.commit_late() (a request the API executes late)
    after_commit: for drop, reset, server_error, not_json and empty: the work is done first
    (the card credited), only the answer is lost. Otherwise nothing is done.
    (other_json is a lost answer too: the client cannot read the outcome from it.)
    """

    kind: str
    after_commit: bool = False
    seconds: float = 0.0
    status: int = 0
    error: str = ""
    code: int | str | None = None   # the API documents a string and sends ints
    details: str = ""

    @classmethod
    def delay(cls, seconds: float) -> "Fault":
        return cls("delay", seconds=seconds)

    @classmethod
    def drop_before_commit(cls) -> "Fault":
        return cls("drop")

    @classmethod
    def drop_after_commit(cls) -> "Fault":
        return cls("drop", after_commit=True)

    @classmethod
    def reset(cls, *, after_commit: bool = False) -> "Fault":
        return cls("reset", after_commit=after_commit)

    @classmethod
    def server_error(cls, status: int = 500, *, after_commit: bool = False) -> "Fault":
        return cls("server_error", after_commit=after_commit, status=status)

    @classmethod
    def not_json(cls, status: int = 502, *, after_commit: bool = False) -> "Fault":
        return cls("not_json", after_commit=after_commit, status=status)

    @classmethod
    def empty_body(cls, status: int = 200, *, after_commit: bool = True) -> "Fault":
        return cls("empty", after_commit=after_commit, status=status)

    @classmethod
    def other_json(cls, status: int = 200, *, after_commit: bool = True) -> "Fault":
        return cls("other_json", after_commit=after_commit, status=status)

    @classmethod
    def token_expired(cls) -> "Fault":
        return cls("token_expired")

    @classmethod
    def refuse(cls, error: str, *, status: int = 400, code: int | str | None = None,
               details: str = "") -> "Fault":
        return cls("refuse", status=status, error=error, code=code, details=details)

    @classmethod
    def late(cls) -> "Fault":
        return cls("late")

    @property
    def loses_answer(self) -> bool:
        return self.kind in ("drop", "reset", "server_error", "not_json", "empty", "other_json")


@dataclass
class _Rule:
    call: str
    fault: Fault
    attempt: int | None
    remaining: int


class FaultPlan:
    """Counts attempts per call name (1-based) and hands out the faults planned for them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._attempts: dict[str, int] = {}

    def inject(self, call: str, fault: Fault, *, attempt: int | None = None,
               times: int = 1) -> None:
        """Plan `fault` for attempt number `attempt` of `call`, else for its next `times` calls."""
        if call not in CALLS:
            raise ValueError(f"unknown call {call!r}; expected one of {', '.join(CALLS)}")
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(_Rule(call, fault, attempt, 1 if attempt else times))

    def next(self, call: str) -> tuple[int, Fault | None]:
        """Count one more attempt of `call`; return its number and its fault, if any."""
        with self._lock:
            attempt = self._attempts.get(call, 0) + 1
            self._attempts[call] = attempt
            for rule in self._rules:
                if rule.call == call and rule.remaining > 0 and rule.attempt in (None, attempt):
                    rule.remaining -= 1
                    return attempt, rule.fault
            return attempt, None

    def attempts(self, call: str) -> int:
        with self._lock:
            return self._attempts.get(call, 0)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
