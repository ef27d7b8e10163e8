"""The sandbox on the wire: OAuth shapes, validation, status rules, seed shape, faults."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest
import requests

from hardware.sim.sandbox import Fault, SandboxServer
from hardware.sim.sandbox_state import euro_text
from kiosk.secuconnect.models import SmartTransaction
from tests.fixtures.sandbox import CARD, LOCKED_CARD, TOPUP_EAN
from tests.test_models import SEED


def topup_body(amount: int = 1500, total: int | None = None, card: str = CARD) -> dict:
    return {"intent": "sale", "merchantRef": "r",
            "idents": [{"type": "card", "value": card}],
            "basket": {"products": [{"id": 1, "ean": TOPUP_EAN, "desc": "Kartenaufladung",
                                     "quantity": 1, "priceOne": amount, "tax": 0}]},
            "basket_info": {"sum": amount if total is None else total, "currency": "EUR"}}


class Wire:
    """Raw HTTP to the sandbox, with a token."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.http = requests.Session()
        answer = self.http.post(sandbox.token_url, json={
            "grant_type": "client_credentials", "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret})
        self.http.headers["Authorization"] = "Bearer " + answer.json()["access_token"]

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.sandbox.base_url + path, timeout=5, **kwargs)


@pytest.fixture
def wire(sandbox):
    w = Wire(sandbox)
    yield w
    w.http.close()


def test_sandbox_does_not_import_kiosk():
    code = ("import sys, hardware.sim.sandbox, hardware.sim.sandbox_state, "
            "hardware.sim.sandbox_faults; "
            "sys.exit(any(m == 'kiosk' or m.startswith('kiosk.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_token_endpoint_shapes(sandbox):
    url = sandbox.token_url
    form = {"grant_type": "client_credentials", "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret}
    for answer in (requests.post(url, data=form), requests.post(url, json=form)):
        assert answer.status_code == 200
        body = answer.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 1200
        assert "refresh_token" not in body
    bad = requests.post(url, data={**form, "client_secret": "nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    assert "error_description" in bad.json()
    assert requests.post(url, data={**form, "grant_type": "password"}).json()["error"] == \
        "unsupported_grant_type"
    refresh = requests.post(url, data={**form, "grant_type": "refresh_token",
                                       "refresh_token": "nope"})
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"


def test_device_grant_on_the_wire(sandbox):
    creds = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret,
             "grant_type": "device"}
    code = requests.post(sandbox.token_url, data={**creds, "uuid": "/vendor/x/kiosk/1"}).json()
    assert set(code) == {"device_code", "user_code", "verification_url", "expires_in", "interval"}
    poll = {**creds, "code": code["device_code"]}
    pending = requests.post(sandbox.token_url, data=poll)
    assert pending.status_code == 401 and pending.json()["error"] == "authorization_pending"
    # The merchant confirms on the (stand-in) SecuOffice page.
    page = requests.post(code["verification_url"], data={"user_code": code["user_code"]})
    assert "confirmed" in page.text
    granted = requests.post(sandbox.token_url, data=poll).json()
    assert granted["access_token"] and granted["refresh_token"]
    assert requests.post(sandbox.token_url, data=poll).json()["error"] == "invalid_grant"

    # One access token per device session: refreshing invalidates the previous token.
    renewed = requests.post(sandbox.token_url, data={
        **creds, "grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}).json()
    cards = sandbox.base_url + "/Loyalty/MerchantCards"
    q = {"q": f"card.cardnumber:{CARD}"}
    old = requests.get(cards, params=q,
                       headers={"Authorization": f"Bearer {granted['access_token']}"})
    new = requests.get(cards, params=q,
                       headers={"Authorization": f"Bearer {renewed['access_token']}"})
    assert old.status_code == 401 and new.status_code == 200


def test_bearer_refusals(sandbox):
    url = sandbox.base_url + "/Smart/Transactions"
    plain = requests.get(url)
    assert plain.status_code == 401
    assert plain.json()["error"] == "ProductUnauthorizedException"
    sandbox.refuse_tokens_with(403)
    refused = requests.get(url, headers={"Authorization": "Bearer stale"}).json()
    assert refused["error"] == "ProductNotAllowedException" and refused["code"] == 2003
    assert refused["error_details"] == "Valid auth token required"
    assert refused["error_user"] == "Es ist ein unbekannter Fehler aufgetreten (Code 2003)"
    assert len(refused["supportId"]) == 32


@pytest.mark.parametrize("body, details", [
    (topup_body(1500, total=1000), "does not match the basket total"),
    ({**topup_body(), "intent": "refund"}, "intent"),
    ({**topup_body(), "idents": []}, "idents"),
    ({**topup_body(), "basket": {"products": []}}, "must not be empty"),
    (topup_body(-100, total=-100), "greater than 0"),
    ("not an object", "JSON object"),
])
def test_create_validation(wire, body, details):
    answer = wire.call("POST", "/Smart/Transactions", json=body)
    assert answer.status_code == 400
    payload = answer.json()
    assert payload["error"] == "ProductFormatException" and payload["code"] == 1001
    assert details in payload["error_details"]


def test_invalid_json_body(wire):
    answer = wire.call("POST", "/Smart/Transactions", data=b"{nope",
                       headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == 1001


def test_status_rules(wire, sandbox):
    stx = wire.call("POST", "/Smart/Transactions", json=topup_body()).json()
    assert stx["status"] == "created" and stx["receipt"] == []
    sid = stx["id"]
    assert wire.call("POST", f"/Smart/Transactions/{sid}/cancel").json()["code"] == 1007
    assert wire.call("POST", f"/Smart/Transactions/{sid}/start/debit").status_code == 400
    done = wire.call("POST", f"/Smart/Transactions/{sid}/start/cash").json()
    assert done["status"] == "ok"
    again = wire.call("POST", f"/Smart/Transactions/{sid}/start/cash")
    assert again.status_code == 400
    assert "status ok cannot be started" in again.json()["error_details"]
    assert wire.call("POST", f"/Smart/Transactions/{sid}/abort").status_code == 400
    assert len(sandbox.ledger) == 1
    assert wire.call("GET", "/Smart/Transactions/STX_NONE").status_code == 404
    assert wire.call("DELETE", "/Smart/Transactions").status_code == 405
    assert wire.call("GET", "/Nowhere").status_code == 404


def test_card_locked_after_create_fails_the_start(wire, sandbox):
    sid = wire.call("POST", "/Smart/Transactions", json=topup_body()).json()["id"]
    sandbox.lock_card(CARD)
    answer = wire.call("POST", f"/Smart/Transactions/{sid}/start/cash")
    assert answer.status_code == 400 and answer.json()["error"] == "ProductBlacklistedException"
    assert wire.call("GET", f"/Smart/Transactions/{sid}").json()["status"] == "failed"
    assert sandbox.ledger == []


def test_first_topup_answer_matches_the_seed(wire, sandbox):
    # The demo card is the seed's card with balance 0: a 15 EUR top-up in a fresh sandbox
    # gives the seed's receipt line for line (TA codes included), and the seed's shape.
    seed = json.loads(SEED.read_text())
    body = topup_body()
    body["basket"]["products"][0]["desc"] = "Kartenaufladung 15 EUR"
    sid = wire.call("POST", "/Smart/Transactions", json=body).json()["id"]
    done = wire.call("POST", f"/Smart/Transactions/{sid}/start/cash").json()
    assert done["receipt"] == seed["receipt"]
    assert done.keys() == seed.keys()
    assert done["basket"]["products"][0].keys() == seed["basket"]["products"][0].keys()
    assert done["idents"][0].keys() == seed["idents"][0].keys()
    assert done["idents"][0]["merchantcard"].keys() == seed["idents"][0]["merchantcard"].keys()
    parsed = SmartTransaction.from_json(done)
    assert parsed.succeeded and parsed.card is not None and parsed.card.balance == 1500


def test_start_answer_carries_the_new_balance(wire, sandbox):
    sandbox.add_card("9276000000005555", balance=123456)
    sid = wire.call("POST", "/Smart/Transactions",
                    json=topup_body(card="9276000000005555")).json()["id"]
    done = wire.call("POST", f"/Smart/Transactions/{sid}/start/cash").json()
    assert done["object"] == "smart.transactions" and done["id"].startswith("STX_")
    assert done["transactions"][0]["object"] == "loyalty.transactions"
    card = done["idents"][0]["merchantcard"]
    assert card["balance"] == card["cash_balance"] == 124956
    assert card["card"]["cardnumber"] == "9276000000005555"
    lines = done["receipt"]
    assert lines[-1]["value"] == {"text": "1.249,56 EUR", "decoration": ["important"]}
    assert lines[8]["value"]["text"] == "1.234,56 EUR"  # balance before the top-up
    assert lines[2]["value"]["value"] == done["trans_id"]


def test_search_and_lookup(wire):
    for _ in range(3):
        wire.call("POST", "/Smart/Transactions", json=topup_body())
    everything = wire.call("GET", "/Smart/Transactions", params={"count": 2}).json()
    assert everything["count"] == 3 and len(everything["data"]) == 2
    assert wire.call("GET", "/Smart/Transactions", params={"q": 'merchantRef:"zz"'}).json() == \
        {"count": 0, "data": []}
    # Values are quoted (secuconnect-api.md): an unquoted one is a format error here.
    assert wire.call("GET", "/Smart/Transactions",
                     params={"q": "merchantRef:zz"}).status_code == 400
    assert wire.call("GET", "/Smart/Transactions", params={"q": "status:ok"}).status_code == 400
    assert wire.call("GET", "/Loyalty/MerchantCards", params={"q": "x"}).status_code == 400
    locked = wire.call("GET", "/Loyalty/MerchantCards",
                       params={"q": f"card.cardnumber:{LOCKED_CARD}"}).json()
    assert locked["count"] == 1 and locked["data"][0]["lock_status"] == "locked"
    assert wire.call("POST", "/Loyalty/MerchantCards/me/validateMerchantcard",
                     json={}).status_code == 400


def test_faults_per_attempt(wire, sandbox):
    sandbox.inject("get", Fault.server_error(503), attempt=2)
    sandbox.inject("search", Fault.not_json(), times=2)
    statuses = [wire.call("GET", "/Smart/Transactions/STX_NONE").status_code for _ in range(3)]
    assert statuses == [404, 503, 404]
    kinds = [wire.call("GET", "/Smart/Transactions").headers["Content-Type"] for _ in range(3)]
    assert [k.split(";")[0] for k in kinds] == ["text/html", "text/html", "application/json"]
    assert sandbox.attempts("get") == 3 and sandbox.attempts("search") == 3
    with pytest.raises(ValueError):
        sandbox.inject("teleport", Fault.drop_before_commit())


def test_keep_alive_and_request_log(wire, sandbox):
    for _ in range(3):
        wire.call("GET", "/Smart/Transactions")
    assert sandbox.connections_opened == 1  # the token request shared it too
    assert [tuple(r) for r in sandbox.requests] == [("POST", "/oauth/token", 200)] + \
        [("GET", "/api/v2/Smart/Transactions", 200)] * 3


def test_stop_drops_a_waiting_request_promptly(sandbox, wire):
    sandbox.inject("search", Fault.delay(30))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            wire.call("GET", "/Smart/Transactions")
        except requests.RequestException as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    assert sandbox.wait_for_requests(1)  # the token request; the search is now in flight
    sandbox.stop()
    worker.join(5)
    assert not worker.is_alive() and len(errors) == 1


def test_euro_text():
    assert euro_text(0) == "0,00 EUR"
    assert euro_text(1500) == "15,00 EUR"
    assert euro_text(123456789) == "1.234.567,89 EUR"
    assert euro_text(-5) == "-0,05 EUR"
