"""The sandbox's HTTP side: routes secuconnect paths to the state, applies planned faults."""

from __future__ import annotations

import html
import json
import socket
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from hardware.sim.sandbox_cards import card_routes
from hardware.sim.sandbox_faults import Fault, FaultPlan
from hardware.sim.sandbox_payloads import Answer, api_error
from hardware.sim.sandbox_state import SandboxState
from hardware.sim.sandbox_terminal import SandboxTerminals

API_PREFIX = "/api/v2"
TOKEN_PATH = "/oauth/token"
# Terminal calls on a device id: path segment -> fault call name (sandbox_faults.CALLS).
TERMINAL_CALLS = {"endOfDay": "end_of_day", "diagnosis": "diagnosis"}

_PROXY_PAGE = (b"<html><head><title>502 Bad Gateway</title></head><body>"
               b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
               b"</body></html>\r\n")


class SandboxHooks(Protocol):
    """What the handler needs of the SandboxServer (sandbox.py) that runs it."""

    state: SandboxState
    faults: FaultPlan
    terminals: SandboxTerminals

    def confirm_device(self, user_code: str) -> None: ...
    def _opened(self, conn: socket.socket) -> None: ...
    def _closed(self, conn: socket.socket) -> None: ...
    def _begin(self) -> None: ...
    def _end(self, method: str, path: str, status: int) -> None: ...
    def _pause(self, seconds: float) -> bool: ...
    def _hold_late(self, work: Callable[[], Any]) -> None: ...
    def _cashless_outcome(self) -> str | None: ...


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, sandbox: SandboxHooks) -> None:
        self.sandbox = sandbox
        super().__init__(address, handler)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 so that clients keep it alive between calls."""

    protocol_version = "HTTP/1.1"
    # Buffered writes: status, headers and body leave in one segment (handle_one_request
    # flushes after each request), avoiding a delayed-ACK stall per answer.
    wbufsize = -1
    server: SandboxHTTPServer
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

    def _route(self, sandbox: SandboxHooks, method: str, path: str,
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
            elif len(rest) == 2 and rest[1] in TERMINAL_CALLS:
                routes = [("POST", TERMINAL_CALLS[rest[1]],
                           lambda: sandbox.terminals.run(rest[0], rest[1]))]
        elif parts[:2] == ["Smart", "Devices"] and len(parts) == 5 and parts[3] == "routing":
            routes = [("GET", "routing", lambda: sandbox.terminals.routing(parts[2], parts[4]))]
        elif parts[:1] == ["Loyalty"]:
            routes = card_routes(state.book, parts, query, body)
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
            sandbox._hold_late(work)   # the API does it later; the client hears nothing
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
