"""Every transport fault maps to its error class: NotSent, OutcomeUnknown, or ApiError."""

from __future__ import annotations

import dataclasses
import socket
from typing import Callable

import pytest

from hardware.sim.sandbox import Fault, SandboxServer
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import ApiError, NotSentError, OutcomeUnknownError
from tests.fixtures.sandbox import CARD, TEST_READ_TIMEOUT
from tests.fixtures.sandbox import create_topup as create

# (fault, whether the sandbox did the work although the client heard nothing useful)
LOST_ANSWERS: list[tuple[str, Fault, bool]] = [
    ("slow answer", Fault.delay(TEST_READ_TIMEOUT + 0.5), True),
    ("dropped before commit", Fault.drop_before_commit(), False),
    ("dropped after commit", Fault.drop_after_commit(), True),
    ("reset before commit", Fault.reset(), False),
    ("reset after commit", Fault.reset(after_commit=True), True),
    ("500 before commit", Fault.server_error(500), False),
    ("503 after commit", Fault.server_error(503, after_commit=True), True),
    ("proxy page", Fault.not_json(502), False),
    ("html with 200", Fault.not_json(200, after_commit=True), True),
    ("empty 200", Fault.empty_body(200), True),
]


def _done(sandbox: SandboxServer, call: str) -> bool:
    if call == "create":
        return len(sandbox.transactions) == 1
    return [c.amount for c in sandbox.ledger] == [1500]


@pytest.mark.parametrize("call", ["create", "start"])
@pytest.mark.parametrize("name, fault, work_done", LOST_ANSWERS,
                         ids=[n for n, _, _ in LOST_ANSWERS])
def test_lost_answer_is_outcome_unknown(secuconnect, sandbox, call, name, fault, work_done):
    stx = create(secuconnect, "ref-f") if call == "start" else None
    sandbox.inject(call, fault)
    action: Callable[[], object] = (
        (lambda: secuconnect.start(stx.id, "cash")) if stx else
        (lambda: create(secuconnect, "ref-f")))

    with pytest.raises(OutcomeUnknownError) as unknown:
        action()

    assert sandbox.wait_idle()
    assert _done(sandbox, call) is work_done
    if fault.kind == "server_error":
        assert unknown.value.api_error is not None
        assert unknown.value.api_error.error == "ProductInternalException"
        assert len(unknown.value.support_id) == 32
        assert unknown.value.support_id in str(unknown.value)
    else:
        assert unknown.value.api_error is None
    # The next call works (a fresh connection where the old one was lost).
    assert secuconnect.lookup_card(CARD) is not None


def test_refusal_is_an_api_error_and_nothing_happens(secuconnect, sandbox):
    stx = create(secuconnect, "ref-r")
    sandbox.inject("start", Fault.refuse("ProductNotEnoughBalanceException", code=1003))
    with pytest.raises(ApiError) as refused:
        secuconnect.start(stx.id, "cash")
    assert refused.value.error == "ProductNotEnoughBalanceException"
    assert sandbox.ledger == [] and secuconnect.get_transaction(stx.id).status == "created"


def test_connection_refused_is_not_sent(sandbox_api, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = dataclasses.replace(sandbox_api, base_url=f"http://127.0.0.1:{port}/api/v2",
                              token_url=f"http://127.0.0.1:{port}/oauth/token")
    with SecuconnectClient(api, client_secret="x", state_dir=tmp_path) as client:
        with pytest.raises(NotSentError, match="cannot connect"):
            client.lookup_card(CARD)


def test_api_unreachable_after_token_is_not_sent(secuconnect, sandbox):
    secuconnect.ping()
    sandbox.stop()
    with pytest.raises(NotSentError, match="cannot connect") as lost:
        secuconnect.lookup_card(CARD)
    assert CARD not in str(lost.value)


def test_unknown_host_is_not_sent(sandbox_api, tmp_path):
    api = dataclasses.replace(sandbox_api, base_url="http://no-such-host.invalid/api/v2",
                              token_url="http://no-such-host.invalid/oauth/token")
    with SecuconnectClient(api, client_secret="x", state_dir=tmp_path) as client:
        with pytest.raises(NotSentError, match="cannot connect"):
            client.ping()


def test_connect_timeout_is_not_sent(sandbox_api, tmp_path):
    # A listener that never accepts and whose backlog is full: the kernel drops further SYNs,
    # so connecting times out.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            api = dataclasses.replace(sandbox_api, connect_timeout=0.3,
                                      token_url=f"http://127.0.0.1:{port}/oauth/token")
            with SecuconnectClient(api, client_secret="x", state_dir=tmp_path) as client:
                with pytest.raises(NotSentError, match="no connection within 0.3 s"):
                    client.ping()
        finally:
            for filler in fillers:
                filler.close()


def test_stale_keepalive_connection_is_replaced(secuconnect, sandbox):
    secuconnect.ping()
    sandbox.close_connections()
    assert sandbox.wait_idle()
    assert secuconnect.lookup_card(CARD) is not None
    assert sandbox.connections_opened == 2


def test_4xx_proxy_page_is_outcome_unknown(secuconnect, sandbox):
    sandbox.inject("create", Fault.not_json(413))
    with pytest.raises(OutcomeUnknownError, match="HTTP 413 with text/html"):
        create(secuconnect, "ref-413")


def test_json_that_is_not_a_transaction_is_outcome_unknown(secuconnect, sandbox):
    sandbox.inject("create", Fault.other_json())
    with pytest.raises(OutcomeUnknownError, match="not a Smart Transaction"):
        create(secuconnect, "ref-shape")
    assert len(sandbox.transactions) == 1  # the work was done; only the answer was odd
