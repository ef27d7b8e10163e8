"""secuconnect sandbox: an API look-alike on loopback with card balances, a ledger and faults."""

from __future__ import annotations

import json
import logging
import socket
import threading
from typing import Any, Callable, NamedTuple

from hardware.sim.sandbox_faults import Fault, FaultPlan
from hardware.sim.sandbox_http import (
    API_PREFIX,
    TOKEN_PATH,
    SandboxHTTPServer,
    SandboxRequestHandler,
)
from hardware.sim.sandbox_state import Card, Credit, SandboxState
from hardware.sim.sandbox_terminal import SandboxTerminals

__all__ = ["SandboxServer", "Fault", "Credit", "RequestRecord", "DEMO_CARDS"]

# Nothing here logs card numbers: paths are logged without their query.
log = logging.getLogger(__name__)

# Demo cards seeded by `kiosk sandbox` and the test fixtures (role -> number, balance, flags).
DEMO_CARDS: dict[str, tuple[str, int, dict[str, Any]]] = {
    "fresh": ("9276004429942845", 0, {}),
    "funded": ("9276001234567890", 2500, {}),
    "locked": ("9276000000001111", 1000, {"locked": True, "lock_reason": 1}),  # lost
    "foreign": ("9276000000002222", 0, {"foreign": True}),
}


class RequestRecord(NamedTuple):
    """One request as the sandbox saw it; status 0 when no answer was sent."""

    method: str
    path: str
    status: int


class SandboxServer:
    """A secuconnect look-alike: start it, point a client at `base_url`, inspect `ledger`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "kiosk-sim",
        client_secret: str = "sim-secret",
        token_lifetime: float = 1200.0,
        merchant_name: str = "Demo-Laden",
        device_code_lifetime: float = 1200.0,
        device_poll_interval: int = 1,
    ) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self.client_secret = client_secret
        self.state = SandboxState(
            client_id=client_id, client_secret=client_secret, token_lifetime=token_lifetime,
            merchant_name=merchant_name, device_code_lifetime=device_code_lifetime,
            device_poll_interval=device_poll_interval, root_url=lambda: self.root_url)
        self.faults = FaultPlan()
        # Device routing, terminal online state, end of day and diagnosis (for `cashless`).
        self.terminals = SandboxTerminals()
        self._httpd: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._connections: set[socket.socket] = set()
        self._requests: list[RequestRecord] = []
        self.connections_opened = 0
        self._late: list[Callable[[], Any]] = []   # work of calls hit by Fault.late()
        self._late_lock = threading.Lock()

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> "SandboxServer":
        self._stopping.clear()
        self._httpd = SandboxHTTPServer((self.host, self.port), SandboxRequestHandler,
                                        self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"sandbox:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests that wait (delays, the terminal) are dropped."""
        if self._httpd is None:
            return
        self._stopping.set()
        self.state.terminal_release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def serve_forever(self) -> None:
        """Block until interrupted (for the standalone command)."""
        assert self._thread is not None, "start() first"
        self._thread.join()

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.root_url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.root_url + TOKEN_PATH

    # --- scenario controls ----------------------------------------------------------------

    def add_card(self, number: str, *, balance: int = 0, locked: bool = False,
                 foreign: bool = False, **details: Any) -> Card:
        """A card with `balance` cents; `foreign`: exists but not valid for this merchant;
        `details`: further fields of sandbox_cards.Card (group, pin, passcode, lock_reason,
        stock_status, expiry_date, bonus_balance)."""
        return self.state.add_card(number, balance=balance, locked=locked, foreign=foreign,
                                   **details)

    def card_group(self, group_id: str, *, balance_limit: int = 0,
                   bonus_percent: int = 0) -> None:
        """A card group: `balance_limit` cents (0: none); `bonus_percent` of every top-up
        credited on top as bonus (the top-up EAN earns bonus)."""
        with self.state.lock:
            self.state.book.group(group_id, balance_limit=balance_limit,
                                  bonus_percent=bonus_percent)

    @property
    def pin_checks(self) -> list[Any]:
        """The `pin` of every checkPasscode request, as the kiosk sent it."""
        with self.state.lock:
            return list(self.state.book.pin_checks)

    def seed_demo_cards(self) -> dict[str, str]:
        """Add DEMO_CARDS; return role -> number."""
        for number, balance, flags in DEMO_CARDS.values():
            self.add_card(number, balance=balance, **flags)
        return {role: spec[0] for role, spec in DEMO_CARDS.items()}

    def lock_card(self, number: str, locked: bool = True) -> None:
        with self.state.lock:
            self.state.cards[number].locked = locked

    def balance(self, number: str) -> int:
        with self.state.lock:
            return self.state.cards[number].balance

    @property
    def ledger(self) -> list[Credit]:
        with self.state.lock:
            return list(self.state.ledger)

    @property
    def transactions(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return [json.loads(json.dumps(stx)) for stx in self.state.transactions.values()]

    def inject(self, call: str, fault: Fault, *, attempt: int | None = None,
               times: int = 1) -> None:
        """Plan `fault` for `call` (see sandbox_faults.CALLS): attempt N (1-based count of
        that call) or else its next `times` occurrences."""
        self.faults.inject(call, fault, attempt=attempt, times=times)

    def attempts(self, call: str) -> int:
        """How many times `call` reached the sandbox."""
        return self.faults.attempts(call)

    def _hold_late(self, work: Callable[[], Any]) -> None:
        """Keep the work of a call that Fault.late() leaves unanswered for commit_late()."""
        with self._late_lock:
            self._late.append(work)

    def commit_late(self) -> int:
        """Do now the work of every call that Fault.late() left unanswered; how many."""
        with self._late_lock:
            held, self._late = self._late, []
        for work in held:
            work()
        return len(held)

    def confirm_device(self, user_code: str) -> None:
        self.state.confirm_device(user_code)

    def deny_device(self, user_code: str) -> None:
        self.state.deny_device(user_code)

    def expire_device_codes(self) -> None:
        self.state.expire_device_codes()

    @property
    def auto_confirm_device(self) -> bool:
        return self.state.auto_confirm_device

    @auto_confirm_device.setter
    def auto_confirm_device(self, value: bool) -> None:
        self.state.auto_confirm_device = value

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working."""
        self.state.expire_tokens()

    def refuse_tokens_with(self, status: int) -> None:
        """Answer a bad token with 401, or with 403 ProductNotAllowedException code 2003."""
        if status not in (401, 403):
            raise ValueError("status must be 401 or 403")
        self.state.token_refusal_status = status

    def terminal(self, *, wait: float = 0.0, outcome: str = "ok") -> None:
        """How start/cashless behaves: block up to `wait` s (the customer paying), then end
        `ok` (card credited) or `failed` (customer aborted at the terminal)."""
        if outcome not in ("ok", "failed"):
            raise ValueError("outcome must be 'ok' or 'failed'")
        self.state.terminal_wait = wait
        self.state.terminal_outcome = outcome

    @property
    def terminal_waiting(self) -> threading.Event:
        """Set while a start/cashless waits for the customer at the terminal."""
        return self.state.terminal_waiting

    def release_terminal(self, outcome: str | None = None) -> None:
        """End the current terminal wait now, with `outcome` or the configured one."""
        self.state.terminal_released_outcome = outcome
        self.state.terminal_release.set()

    @property
    def token_grants(self) -> list[str]:
        """grant_type of every token request with valid client credentials, in order."""
        with self.state.lock:
            return list(self.state.grants)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._cond:
            return list(self._requests)

    def close_connections(self) -> None:
        """Close every idle keep-alive connection from the server side (a stale connection
        for the client's next call)."""
        with self._cond:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until `count` requests have been answered (or dropped) in all."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._requests) >= count, timeout)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no request is being handled (e.g. after a client gave up waiting)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._in_flight == 0, timeout)

    # --- called by the handler ------------------------------------------------------------

    def _opened(self, conn: socket.socket) -> None:
        with self._cond:
            self.connections_opened += 1
            self._connections.add(conn)

    def _closed(self, conn: socket.socket) -> None:
        with self._cond:
            self._connections.discard(conn)

    def _begin(self) -> None:
        with self._cond:
            self._in_flight += 1

    def _end(self, method: str, path: str, status: int) -> None:
        with self._cond:
            self._requests.append(RequestRecord(method, path, status))
            self._in_flight -= 1
            self._cond.notify_all()
        log.info("%s %s -> %s", method, path, status or "no answer")

    def _pause(self, seconds: float) -> bool:
        """Sleep unless stopping; False when the server is stopping."""
        return not self._stopping.wait(seconds)

    def _cashless_outcome(self) -> str | None:
        """Wait for the customer at the terminal; None when the server stops meanwhile."""
        state = self.state
        state.terminal_release.clear()
        state.terminal_released_outcome = None
        state.terminal_waiting.set()
        try:
            state.terminal_release.wait(state.terminal_wait)
        finally:
            state.terminal_waiting.clear()
        if self._stopping.is_set():
            return None
        return state.terminal_released_outcome or state.terminal_outcome
