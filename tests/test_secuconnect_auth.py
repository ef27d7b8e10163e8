"""Auth against the sandbox: token margin, one re-auth on 401/403-2003, one fetch, device flow."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from hardware.sim.sandbox import Fault, SandboxServer
from kiosk.config import ApiConfig
from kiosk.secuconnect.auth import REFRESH_TOKEN_FILE, DeviceAuth
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import ApiError, AuthError, NotSentError
from tests.fixtures.sandbox import CARD
from tests.fixtures.sandbox import create_topup as create


def calls(sandbox: SandboxServer, since: int = 0) -> list[tuple[str, int]]:
    return [(r.path.rsplit("/", 1)[-1], r.status) for r in sandbox.requests[since:]]


@pytest.mark.parametrize("refusal", [401, 403])
def test_refused_token_is_renewed_once(secuconnect, sandbox, refusal):
    secuconnect.ping()
    sandbox.refuse_tokens_with(refusal)
    sandbox.expire_tokens()
    before = len(sandbox.requests)

    assert secuconnect.lookup_card(CARD) is not None

    assert calls(sandbox, before) == [("MerchantCards", refusal), ("token", 200),
                                      ("MerchantCards", 200)]
    assert sandbox.token_grants == ["client_credentials", "client_credentials"]


def test_403_without_code_2003_is_not_retried(secuconnect, sandbox):
    sandbox.inject("lookup_card", Fault.refuse("ProductNotAllowedException", status=403,
                                               code=1003))
    with pytest.raises(ApiError) as refused:
        secuconnect.lookup_card(CARD)
    assert refused.value.status == 403 and refused.value.code == 1003
    assert sandbox.attempts("lookup_card") == 1 and sandbox.attempts("token") == 1


def test_reauthentication_happens_only_once(secuconnect, sandbox):
    sandbox.inject("lookup_card", Fault.token_expired(), times=2)
    with pytest.raises(ApiError) as refused:
        secuconnect.lookup_card(CARD)
    assert refused.value.status == 401
    assert refused.value.error == "ProductUnauthorizedException"
    assert sandbox.attempts("lookup_card") == 2 and sandbox.attempts("token") == 2


def test_start_refused_for_its_token_runs_exactly_once(secuconnect, sandbox):
    stx = create(secuconnect, "ref-401")
    sandbox.inject("start", Fault.token_expired(), attempt=1)
    done = secuconnect.start(stx.id, "cash")
    assert done.succeeded
    assert sandbox.attempts("start") == 2
    assert [c.amount for c in sandbox.ledger] == [1500]


def test_token_endpoint_failure_means_the_call_was_not_sent(secuconnect, sandbox):
    secuconnect.ping()
    sandbox.expire_tokens()
    sandbox.inject("token", Fault.server_error(503))
    with pytest.raises(NotSentError, match="no access token"):
        create(secuconnect, "ref-nt")
    assert sandbox.transactions == []


def test_token_kept_until_ten_seconds_before_expiry(sandbox, sandbox_api, tmp_path):
    short = SandboxServer(token_lifetime=10.0).start()
    try:
        short.seed_demo_cards()
        api = ApiConfig(base_url=short.base_url, token_url=short.token_url,
                        client_id=short.client_id, read_timeout=0.5)
        with SecuconnectClient(api, client_secret=short.client_secret,
                               state_dir=tmp_path) as client:
            client.ping()
            client.ping()
        assert short.attempts("token") == 2  # 10 s lifetime: never usable with the margin
    finally:
        short.stop()
    with SecuconnectClient(sandbox_api, client_secret=sandbox.client_secret,
                           state_dir=tmp_path) as client:
        client.ping()
        client.ping()
    assert sandbox.attempts("token") == 1


def test_no_concurrent_token_fetches(secuconnect, sandbox):
    sandbox.inject("token", Fault.delay(0.2))  # keep the first fetch in flight
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    results: list[object] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            results.append(secuconnect.lookup_card(CARD))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and len(results) == threads_n
    assert sandbox.attempts("token") == 1


# --- device flow ---------------------------------------------------------------------------


@pytest.fixture
def device_client(sandbox, sandbox_device_api, tmp_path):
    client = SecuconnectClient(sandbox_device_api, client_secret=sandbox.client_secret,
                               state_dir=tmp_path / "state")
    yield client
    client.close()


def test_device_flow_end_to_end(device_client, sandbox, sandbox_device_api, tmp_path):
    auth = device_client.auth
    assert isinstance(auth, DeviceAuth) and not auth.is_registered
    with pytest.raises(AuthError) as unregistered:
        device_client.lookup_card(CARD)
    assert unregistered.value.error == "not_registered"

    code = auth.request_device_code()
    assert len(code.user_code) == 8 and code.verification_url == sandbox.root_url + "/device"
    pending: list[float] = []

    def merchant_confirms(seconds_left: float) -> None:
        pending.append(seconds_left)
        sandbox.confirm_device(code.user_code)

    auth.wait_for_device_confirmation(code, on_pending=merchant_confirms)

    assert len(pending) == 1 and 0 < pending[0] <= code.expires_in
    assert [s for _, s in calls(sandbox) if _ == "token"] == [200, 401, 200]
    token_file = tmp_path / "state" / REFRESH_TOKEN_FILE
    assert auth.is_registered
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().strip() in sandbox.state.refresh_tokens
    device_client.lookup_card(CARD)  # the access token of the confirmation is used
    assert sandbox.attempts("token") == 3

    # Restart: a new client finds the refresh token and uses the refresh_token grant.
    with SecuconnectClient(sandbox_device_api, client_secret=sandbox.client_secret,
                           state_dir=tmp_path / "state") as restarted:
        assert restarted.lookup_card(CARD) is not None
    assert sandbox.token_grants == ["device", "device", "device", "refresh_token"]

    # One token per device session: the restart's token invalidated the first client's;
    # it re-authenticates once with the refresh token and carries on.
    assert device_client.lookup_card(CARD) is not None
    assert sandbox.token_grants[-1] == "refresh_token" and len(sandbox.token_grants) == 5


@pytest.mark.parametrize("outcome, error", [("expire", "expired_token"),
                                            ("deny", "access_denied")])
def test_device_code_expired_or_denied(device_client, sandbox, outcome, error):
    code = device_client.auth.request_device_code()
    if outcome == "expire":
        sandbox.expire_device_codes()
    else:
        sandbox.deny_device(code.user_code)
    with pytest.raises(AuthError) as refused:
        device_client.auth.wait_for_device_confirmation(code)
    assert refused.value.error == error
    assert not device_client.auth.is_registered


def test_device_wait_can_be_cancelled(device_client, sandbox):
    code = device_client.auth.request_device_code()
    stop = threading.Event()
    with pytest.raises(AuthError) as cancelled:
        device_client.auth.wait_for_device_confirmation(
            code, on_pending=lambda left: stop.set(), stop=stop)
    assert cancelled.value.error == "cancelled"


def test_refused_refresh_token_asks_for_new_registration(device_client, tmp_path):
    from kiosk.config import write_private_file
    write_private_file(tmp_path / "state" / REFRESH_TOKEN_FILE, "revoked\n")
    with pytest.raises(AuthError) as refused:
        device_client.ping()
    assert refused.value.error == "invalid_grant"
    assert "register this kiosk again" in refused.value.description


def test_refresh_token_readable_by_others_is_refused(device_client, tmp_path):
    path: Path = tmp_path / "state" / REFRESH_TOKEN_FILE
    path.parent.mkdir(parents=True)
    path.write_text("whatever\n")
    os.chmod(path, 0o644)
    with pytest.raises(AuthError) as refused:
        device_client.ping()
    assert refused.value.error == "refresh_token_unreadable"
    assert "chmod 600" in refused.value.description


def test_device_polling_survives_a_failed_poll(device_client, sandbox):
    code = device_client.auth.request_device_code()
    sandbox.inject("token", Fault.server_error(503), attempt=2)  # the first poll
    device_client.auth.wait_for_device_confirmation(
        code, on_pending=lambda left: sandbox.confirm_device(code.user_code))
    assert device_client.auth.is_registered
    assert [s for p, s in calls(sandbox) if p == "token"] == [200, 503, 200]
