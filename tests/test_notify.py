"""kiosk.notify against a real AF_UNIX datagram socket standing in for systemd.

Cadence is checked with an injected clock and exact counts; the one test that runs a real
thread waits for events with generous timeouts and never asserts on elapsed time.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import notify
from kiosk.notify import Notifier, Watchdog, parse_address, watchdog_interval_s

RECV_TIMEOUT_S = 10.0  # only ever reached when a message that should arrive is missing


class FakeClock:
    """Monotonic seconds from integer milliseconds, so interval arithmetic is exact."""

    def __init__(self) -> None:
        self.ms = 0

    def __call__(self) -> float:
        return self.ms / 1000


class Receiver:
    """A bound datagram socket: what systemd's notify socket would see."""

    def __init__(self, sock: socket.socket, env_value: str) -> None:
        self.sock = sock
        self.env_value = env_value

    def recv(self) -> str:
        self.sock.settimeout(RECV_TIMEOUT_S)
        return self.sock.recv(4096).decode()

    def drain(self) -> list[str]:
        """Every datagram already queued, without waiting."""
        out: list[str] = []
        self.sock.setblocking(False)
        try:
            while True:
                out.append(self.sock.recv(4096).decode())
        except BlockingIOError:
            return out
        finally:
            self.sock.setblocking(True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    # A short directory under /tmp: AF_UNIX paths are limited to 108 bytes.
    with tempfile.TemporaryDirectory(prefix="sdn-", dir="/tmp") as d:
        path = str(Path(d) / "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        try:
            yield Receiver(sock, path)
        finally:
            sock.close()


@pytest.fixture
def abstract_receiver() -> Iterator[Receiver]:
    name = f"hinge-kiosk-test-{uuid.uuid4().hex}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    try:
        yield Receiver(sock, "@" + name)
    finally:
        sock.close()


def test_parse_address() -> None:
    assert parse_address(None) is None
    assert parse_address("") is None
    assert parse_address("/run/systemd/notify") == "/run/systemd/notify"
    assert parse_address("@abc") == b"\0abc"
    assert parse_address("vsock:2:1234") is None


def test_ready_arrives(receiver: Receiver) -> None:
    n = Notifier.from_env({"NOTIFY_SOCKET": receiver.env_value})
    assert n.enabled
    assert n.ready()
    assert receiver.recv() == "READY=1"
    assert n.ready("showing the station")
    assert receiver.recv() == "READY=1\nSTATUS=showing the station"


def test_status_stopping_watchdog_messages(receiver: Receiver) -> None:
    n = Notifier.from_env({"NOTIFY_SOCKET": receiver.env_value})
    assert n.status("waiting for camera\nplug it in")
    assert receiver.recv() == "STATUS=waiting for camera plug it in"  # one line: no injected keys
    assert n.watchdog()
    assert receiver.recv() == "WATCHDOG=1"
    assert n.extend_timeout(2.5)
    assert receiver.recv() == "EXTEND_TIMEOUT_USEC=2500000"
    assert n.stopping()
    assert receiver.recv() == "STOPPING=1"
    n.close()


def test_abstract_socket_name(abstract_receiver: Receiver) -> None:
    n = Notifier.from_env({"NOTIFY_SOCKET": abstract_receiver.env_value})
    assert n.ready()
    assert abstract_receiver.recv() == "READY=1"


def test_module_functions_use_environment(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", receiver.env_value)
    monkeypatch.setattr(notify, "_default", None)
    assert notify.ready() and notify.status("ok") and notify.watchdog() and notify.stopping()
    assert [receiver.recv() for _ in range(4)] == ["READY=1", "STATUS=ok", "WATCHDOG=1", "STOPPING=1"]


def test_no_op_without_notify_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.setattr(notify, "_default", None)
    assert not notify.ready()
    assert not notify.watchdog()
    n = Notifier.from_env({})
    assert not n.enabled
    assert not n.ready() and not n.status("x") and not n.stopping()
    wd = Watchdog(n, 1.0)  # a watchdog interval but nowhere to send: stays off
    assert not wd.enabled and not wd.tick()


def test_unreachable_socket_does_not_raise() -> None:
    n = Notifier("/nonexistent/dir/notify")
    assert not n.ready()
    assert not n.watchdog()  # still no exception on repeated failure


def test_watchdog_interval_from_environment() -> None:
    me = os.getpid()
    assert watchdog_interval_s({"WATCHDOG_USEC": "10000000"}) == 5.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(me)}) == 5.0
    # Inherited by a child process: not ours to ping.
    assert watchdog_interval_s({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": str(me + 1)}) is None
    assert watchdog_interval_s({}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "soon"}) is None


def test_watchdog_cadence_and_hung_loop(receiver: Receiver) -> None:
    """10 s WatchdogSec -> a ping every 5 s of loop time at 30 fps; none once the loop hangs."""
    clock = FakeClock()
    env = {"NOTIFY_SOCKET": receiver.env_value, "WATCHDOG_USEC": "10000000"}
    wd = Watchdog.from_env(Notifier.from_env(env), env, clock=clock)
    assert wd.interval_s == 5.0

    sent = 0
    for frame in range(30 * 30):  # 30 s of a 30 fps loop
        clock.ms = frame * 1000 // 30
        sent += wd.tick()
    # Pings at loop times 0, 5, 10, 15, 20, 25 s (the frame at or just after each).
    assert sent == 6
    assert receiver.drain() == ["WATCHDOG=1"] * 6

    # The loop hangs: time passes, tick() is no longer called, nothing more is sent.
    clock.ms += 60_000
    assert receiver.drain() == []

    # The loop recovers (it was slow, not dead): the first tick pings at once.
    assert wd.tick()
    assert receiver.drain() == ["WATCHDOG=1"]


def test_watchdog_stops_when_a_real_loop_hangs(receiver: Receiver) -> None:
    """A loop thread with the real clock pings while it runs; after it blocks, silence."""
    env = {"NOTIFY_SOCKET": receiver.env_value, "WATCHDOG_USEC": "20000"}  # ping every 10 ms
    notifier = Notifier.from_env(env)
    wd = Watchdog.from_env(notifier, env)
    hang = threading.Event()
    release = threading.Event()

    def loop() -> None:
        while not hang.is_set():
            wd.tick()
            release.wait(0.001)  # one "frame"
        notifier.status("hung")  # the last thing the loop sends before it blocks
        release.wait(RECV_TIMEOUT_S)

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        for _ in range(3):  # the loop runs: pings keep arriving
            assert receiver.recv() == "WATCHDOG=1"
        hang.set()
        while (msg := receiver.recv()) != "STATUS=hung":
            assert msg == "WATCHDOG=1"
        # The loop is blocked now; a tick would be long due (10 ms), yet nothing arrives.
        receiver.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            receiver.sock.recv(4096)
    finally:
        release.set()
        t.join(RECV_TIMEOUT_S)
