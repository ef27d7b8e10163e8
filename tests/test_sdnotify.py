"""sd_notify over real unix datagram sockets: addresses, no-op, errors, and the watchdog pinger."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from kiosk.sdnotify import Notifier, WatchdogPinger, notify_address, watchdog_interval

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def path_socket(tmp_path):
    """A bound datagram socket at a file path, as systemd offers /run/systemd/notify."""
    # AF_UNIX paths are limited to 108 bytes; pytest's tmp_path can be longer.
    path = f"/tmp/kiosk-notify-{uuid.uuid4().hex[:12]}.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)  # only a bound on a broken test, never reached when it passes
    yield sock, path
    sock.close()
    os.unlink(path)


@pytest.fixture
def abstract_socket():
    """A bound datagram socket in the abstract namespace, given to the service as "@name"."""
    name = f"kiosk-notify-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(10)
    yield sock, "@" + name
    sock.close()


def receive(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode("utf-8").split("\n")


def nothing_pending(sock: socket.socket) -> bool:
    """True if no datagram is queued; otherwise consumes one and returns False."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.recv(4096)
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(timeout)
    return False


def test_ready_with_status_reaches_a_path_socket(path_socket):
    sock, path = path_socket
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("Bereit\nzweite Zeile") is True
    # One datagram; the status newline must not start a bogus assignment.
    assert receive(sock) == ["READY=1", "STATUS=Bereit zweite Zeile"]


def test_abstract_namespace_address(abstract_socket):
    sock, address = abstract_socket
    assert notify_address({"NOTIFY_SOCKET": address}) == "\0" + address[1:]
    notifier = Notifier({"NOTIFY_SOCKET": address})
    assert notifier.status("Journal wird geprüft")
    assert receive(sock) == ["STATUS=Journal wird geprüft"]
    assert notifier.stopping("Beenden")
    assert receive(sock) == ["STOPPING=1", "STATUS=Beenden"]
    assert notifier.extend_timeout(12.5)
    assert receive(sock) == ["EXTEND_TIMEOUT_USEC=12500000"]


def test_without_notify_socket_everything_is_a_quiet_no_op(caplog):
    caplog.set_level(logging.DEBUG)
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert notifier.watchdog() is False
    pinger = WatchdogPinger(notifier, interval=1.0)
    assert pinger.tick(0.0) is False
    assert pinger.max_sleep(0.0) == WatchdogPinger.IDLE_SLEEP
    assert caplog.records == []


def test_a_failed_send_is_logged_with_the_address_and_not_raised(tmp_path, caplog):
    missing = str(tmp_path / "gone.sock")
    notifier = Notifier({"NOTIFY_SOCKET": missing})
    with caplog.at_level(logging.ERROR, logger="kiosk.sdnotify"):
        for _ in range(4):  # past the point where the socket is rebuilt
            assert notifier.watchdog() is False
    assert len(caplog.records) == 4
    assert missing in caplog.records[0].getMessage()
    assert "WATCHDOG=1" in caplog.records[0].getMessage()


def test_a_non_unix_address_is_refused_with_a_log(caplog):
    with caplog.at_level(logging.ERROR, logger="kiosk.sdnotify"):
        assert notify_address({"NOTIFY_SOCKET": "vsock:2:1234"}) is None
    assert "vsock:2:1234" in caplog.text


def test_assignment_without_equals_sign_is_a_programming_error(path_socket):
    with pytest.raises(ValueError):
        Notifier({"NOTIFY_SOCKET": path_socket[1]}).notify("READY")


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, None),
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "x"}, None),
    ],
)
def test_watchdog_interval(env, expected):
    assert watchdog_interval(env, pid=4242) == expected


def test_pinger_sends_at_most_once_per_interval_on_a_fake_clock(abstract_socket):
    sock, address = abstract_socket
    pinger = WatchdogPinger(Notifier({"NOTIFY_SOCKET": address}), interval=15.0)
    assert pinger.max_sleep(100.0) == 0.0  # never pinged: ping now
    assert pinger.tick(100.0) is True
    assert receive(sock) == ["WATCHDOG=1"]
    assert pinger.max_sleep(104.0) == WatchdogPinger.IDLE_SLEEP
    assert pinger.max_sleep(112.0) == pytest.approx(3.0)
    for now in (100.0, 105.0, 114.9):
        assert pinger.tick(now) is False
    assert nothing_pending(sock)
    assert pinger.tick(115.0) is True
    assert receive(sock) == ["WATCHDOG=1"]
    assert pinger.max_sleep(200.0) == 0.0  # overdue


def test_a_closed_gate_holds_the_pings_and_the_first_tick_after_it_opens_pings(abstract_socket):
    sock, address = abstract_socket
    threads_on_time = [False]
    pinger = WatchdogPinger(Notifier({"NOTIFY_SOCKET": address}), interval=15.0,
                            gate=lambda: threads_on_time[0])
    for now in (100.0, 130.0, 1000.0):
        assert pinger.tick(now) is False
    assert nothing_pending(sock)
    threads_on_time[0] = True
    assert pinger.tick(1000.5) is True
    assert receive(sock) == ["WATCHDOG=1"]
    threads_on_time[0] = False
    assert pinger.tick(1015.5) is False       # due again, but held back
    assert nothing_pending(sock)


def test_pinger_retries_a_failed_ping_soon_but_not_on_every_pass(caplog):
    path = f"/tmp/kiosk-notify-{uuid.uuid4().hex[:12]}.sock"
    pinger = WatchdogPinger(Notifier({"NOTIFY_SOCKET": path}), interval=10.0)
    with caplog.at_level(logging.ERROR, logger="kiosk.sdnotify"):
        assert pinger.tick(0.0) is False  # nobody listening yet
        for now in (0.1, 0.5, 0.9):  # a 10 fps loop must not log an error per frame
            assert pinger.tick(now) is False
    assert len(caplog.records) == 1
    assert pinger.max_sleep(0.5) == pytest.approx(WatchdogPinger.RETRY_S - 0.5)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    try:
        assert pinger.tick(WatchdogPinger.RETRY_S) is True  # not held back for a whole interval
        assert sock.recv(100) == b"WATCHDOG=1"
    finally:
        sock.close()
        os.unlink(path)


# A main loop shaped like the UI's: start-up, READY=1, then wait for events no longer than the
# pinger allows and tick on every pass. "stuck" makes it hang the way a deadlocked UI would.
HARNESS = textwrap.dedent(
    """
    import queue, sys, threading
    from kiosk.sdnotify import Notifier, WatchdogPinger

    notifier = Notifier()
    pinger = WatchdogPinger.from_environment(notifier)
    notifier.status("Journal wird geprüft")
    # ... the real kiosk recovers its journal and opens its devices here ...
    notifier.ready("Bereit")
    events = queue.Queue()

    def read_commands():
        for line in sys.stdin:
            events.put(line.strip())
        events.put("quit")

    threading.Thread(target=read_commands, daemon=True).start()
    release = threading.Event()
    while True:
        pinger.tick()
        try:
            event = events.get(timeout=pinger.max_sleep())
        except queue.Empty:
            continue
        if event == "stuck":
            print("stuck", flush=True)
            # Hangs like a deadlock: only "go" (read by the other thread) lets it on.
            while events.get() != "go":
                pass
            print("unstuck", flush=True)
        elif event == "quit":
            notifier.stopping()
            break
    """
)


@pytest.mark.parametrize("kind", ["path", "abstract"])
def test_main_loop_harness_readies_pings_and_goes_quiet_when_stuck(kind, request):
    sock, address = request.getfixturevalue(f"{kind}_socket")
    env = dict(os.environ, NOTIFY_SOCKET=address, WATCHDOG_USEC="40000")  # ping every 20 ms
    env.pop("WATCHDOG_PID", None)
    child = subprocess.Popen(
        [sys.executable, "-c", HARNESS], cwd=REPO, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        assert receive(sock) == ["STATUS=Journal wird geprüft"]
        assert receive(sock) == ["READY=1", "STATUS=Bereit"]
        for _ in range(3):  # periodic pings from the loop
            assert receive(sock) == ["WATCHDOG=1"]

        child.stdin.write("stuck\n")
        child.stdin.flush()
        assert child.stdout.readline() == "stuck\n"
        # Pings sent before the loop hung are already queued (unix datagrams are delivered at
        # send time): drain them, then ten whole intervals pass without a single one.
        while not nothing_pending(sock):
            pass
        sock.settimeout(0.2)
        with pytest.raises(socket.timeout):
            sock.recv(4096)
        sock.settimeout(10)

        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline() == "unstuck\n"
        assert receive(sock) == ["WATCHDOG=1"]  # pings resume with the loop

        child.stdin.close()
        assert child.wait(timeout=10) == 0
        trailing = []
        sock.setblocking(False)
        while True:
            try:
                trailing.append(sock.recv(4096))
            except BlockingIOError:
                break
        sock.settimeout(10)
        assert trailing[-1] == b"STOPPING=1"
        assert set(trailing[:-1]) <= {b"WATCHDOG=1"}
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_harness_without_systemd_runs_and_sends_nothing():
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    result = subprocess.run(
        [sys.executable, "-c", HARNESS], cwd=REPO, env=env, input="stuck\ngo\n",
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "stuck\nunstuck\n"
    assert result.stderr == ""
