"""secuconnect sandbox: an API look-alike on loopback with card balances, a ledger and faults."""

from __future__ import annotations

import html
import json
import logging
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from hardware.sim.sandbox_faults import Fault, FaultPlan
from hardware.sim.sandbox_state import Answer, Card, Credit, SandboxState, api_error

__all__ = ["SandboxServer", "Fault", "Credit", "RequestRecord", "DEMO_CARDS"]

# Nothing here logs card numbers: paths are logged without their query.
log = logging.getLogger(__name__)

API_PREFIX = "/api/v2"
TOKEN_PATH = "/oauth/token"

# Demo cards seeded by `kiosk sandbox` and the test fixtures (role -> number, balance, flags).
DEMO_CARDS: dict[str, tuple[str, int, dict[str, bool]]] = {
    "fresh": ("9276004429942845", 0, {}),
    "funded": ("9276001234567890", 2500, {}),
    "locked": ("9276000000001111", 1000, {"locked": True}),
    "foreign": ("9276000000002222", 0, {"foreign": True}),
}

_PROXY_PAGE = (b"<html><head><title>502 Bad Gateway</title></head><body>"
               b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
               b"</body></html>\r\n")


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
        self._httpd: _HTTPServer | None = None
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
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
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
        with self._cond:
            for conn in list(self._connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
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
                 foreign: bool = False) -> Card:
        """A card with `balance` cents; `foreign`: exists but not valid for this merchant."""
        return self.state.add_card(number, balance=balance, locked=locked, foreign=foreign)

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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 so that clients keep it alive between calls."""

    protocol_version = "HTTP/1.1"
    # Buffered writes: status, headers and body leave in one segment (handle_one_request
    # flushes after each request), avoiding a delayed-ACK stall per answer.
    wbufsize = -1
    server: _HTTPServer
    server_version = "secuconnect-sandbox/1"

    def setup(self) -> None:
        super().setup()
        self.server.sandbox._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.sandbox._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        # http.server would print the request line, query (card numbers) included.
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # --- dispatch -------------------------------------------------------------------------

    def _dispatch(self) -> None:
        sandbox = self.server.sandbox
        url = urlsplit(self.path)
        path = url.path
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        sandbox._begin()
        status = 0
        try:
            status = self._route(sandbox, self.command, path, query, raw)
        finally:
            sandbox._end(self.command, path, status)

    def _route(self, sandbox: SandboxServer, method: str, path: str,
               query: dict[str, str], raw: bytes) -> int:
        state = sandbox.state
        if path == TOKEN_PATH and method == "POST":
            form = self._form(raw)
            return self._with_faults("token", lambda: state.token(form), check_auth=False)
        if path == "/device":
            return self._device_page(method, raw)
        if not path.startswith(API_PREFIX + "/"):
            return self._json(*api_error(404, "ProductNotFoundException", "Unknown path"))
        parts = [unquote(p) for p in path[len(API_PREFIX) + 1:].split("/")]
        body = _json_or_none(raw)
        routes: list[tuple[str, str, Any]] = []
        if parts[:2] == ["Smart", "Transactions"]:
            rest = parts[2:]
            if not rest:
                routes = [("POST", "create", lambda: state.create(body)),
                          ("GET", "search", lambda: state.search(query))]
            elif len(rest) == 1:
                routes = [("GET", "get", lambda: state.get(rest[0]))]
            elif len(rest) == 3 and rest[1] == "start":
                routes = [("POST", "start", lambda: self._start(rest[0], rest[2]))]
            elif len(rest) == 2 and rest[1] in ("cancel", "abort"):
                action = state.cancel if rest[1] == "cancel" else state.abort
                routes = [("POST", rest[1], lambda: action(rest[0]))]
        elif parts == ["Loyalty", "MerchantCards"]:
            routes = [("GET", "lookup_card", lambda: state.lookup_card(query))]
        elif parts == ["Loyalty", "MerchantCards", "me", "validateMerchantcard"]:
            routes = [("POST", "validate_card", lambda: state.validate_card(body))]
        if not routes:
            return self._json(*api_error(404, "ProductNotFoundException", "Unknown path"))
        for route_method, call, work in routes:
            if route_method == method:
                if raw and body is None:
                    return self._with_faults(call, lambda: _bad_json())
                return self._with_faults(call, work)
        return self._json(*api_error(405, "ProductMethodNotAllowedException",
                                     f"{method} is not allowed here"))

    def _with_faults(self, call: str, work: Any, *, check_auth: bool = True) -> int:
        """Run `work` (which commits) inside the fault planned for this attempt of `call`."""
        sandbox = self.server.sandbox
        _, fault = sandbox.faults.next(call)
        if fault is not None and fault.kind == "delay":
            if not sandbox._pause(fault.seconds):
                return self._no_answer(reset=False)
        if fault is not None and fault.kind == "late":
            with sandbox._late_lock:
                sandbox._late.append(work)
            return self._no_answer(reset=False)
        if fault is not None and fault.kind == "refuse":
            return self._json(*api_error(fault.status, fault.error,
                                         fault.details or "Refused by the sandbox", fault.code))
        if fault is not None and fault.loses_answer and not fault.after_commit:
            return self._lost_answer(fault)
        header = self.headers.get("Authorization", "")
        if fault is not None and fault.kind == "token_expired":
            sandbox.state.expire_token(header)
        if check_auth:
            refusal = sandbox.state.check_bearer(header)
            if refusal is not None:
                return self._json(*refusal)
        answer = work()
        if answer is None:  # the server stopped while the call waited
            return self._no_answer(reset=False)
        if fault is not None and fault.loses_answer:
            return self._lost_answer(fault)
        return self._json(*answer)

    def _start(self, stx_id: str, start_type: str) -> Answer | None:
        sandbox = self.server.sandbox
        refusal = sandbox.state.begin_start(stx_id, start_type)
        if refusal is not None:
            return refusal
        outcome = "ok"
        if start_type == "cashless":
            waited = sandbox._cashless_outcome()
            if waited is None:
                return None
            outcome = waited
        return sandbox.state.finish_start(stx_id, outcome)

    # --- answers --------------------------------------------------------------------------

    def _lost_answer(self, fault: Fault) -> int:
        if fault.kind in ("drop", "reset"):
            return self._no_answer(reset=fault.kind == "reset")
        if fault.kind == "server_error":
            status, payload = api_error(fault.status, "ProductInternalException",
                                        "Internal error, please try again later")
            return self._json(status, payload)
        if fault.kind == "not_json":
            return self._send(fault.status, _PROXY_PAGE, "text/html")
        if fault.kind == "other_json":
            return self._json(fault.status, {"message": "OK"})
        return self._send(fault.status, b"", "application/json")  # empty

    def _no_answer(self, *, reset: bool) -> int:
        self.close_connection = True
        if reset:
            # Linger 0 turns the close into a TCP reset. Closing our socket object now (the
            # rfile still holds the descriptor) makes the server's later shutdown(SHUT_WR),
            # which would send a polite FIN first, fail harmlessly.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        return 0

    def _json(self, status: int, payload: Any) -> int:
        return self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> int:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status

    def _form(self, raw: bytes) -> dict[str, str]:
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            data = _json_or_none(raw)
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return dict(parse_qsl(raw.decode("utf-8", "replace")))

    def _device_page(self, method: str, raw: bytes) -> int:
        """A tiny stand-in for SecuOffice: confirm a device's user code in a browser."""
        message = ""
        if method == "POST":
            code = dict(parse_qsl(raw.decode("utf-8", "replace"))).get("user_code", "")
            try:
                self.server.sandbox.confirm_device(code)
                message = f"Device {html.escape(code)} confirmed."
            except KeyError:
                message = f"No pending device code {html.escape(code)}."
        page = (f"<html><body><h1>Sandbox SecuOffice</h1><p>{message}</p>"
                f"<form method='post'><input name='user_code' placeholder='user code'>"
                f"<button>Confirm device</button></form></body></html>")
        return self._send(200, page.encode("utf-8"), "text/html")


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _bad_json() -> Answer:
    return api_error(400, "ProductFormatException", "Request body is not valid JSON", 1001)
