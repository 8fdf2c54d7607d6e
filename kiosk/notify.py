"""A dependency-free sd_notify client: service readiness, status and watchdog pings.

systemd (`Type=notify`, `WatchdogSec=` in systemd/hinge-kiosk.service) passes the address of
a datagram socket in `$NOTIFY_SOCKET` and, with a watchdog, the timeout in `$WATCHDOG_USEC`.
Messages are newline-separated `KEY=value` assignments sent as one datagram.

Contract: nothing here raises into the caller and nothing blocks for long. With no
`$NOTIFY_SOCKET` (a developer's shell, tests, `make demo`) every call is a no-op returning
False. A send that fails (systemd restarting, queue full) is dropped and reported once in
the log: the kiosk must keep drawing even when its supervisor is unreachable.

The `Watchdog` pings only from `tick()`, which the main loop calls once per iteration, never
from a background thread: a hung loop then stops pinging and systemd restarts it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

# A datagram to a full receive queue blocks; systemd drains it quickly, so wait a little
# rather than drop READY=1, but never long enough to stall a frame noticeably.
_SEND_TIMEOUT_S = 0.25


def parse_address(value: str | None) -> str | bytes | None:
    """`$NOTIFY_SOCKET` to a `socket.sendto` address, or None when unset/unsupported.

    `/path` is a filesystem socket; `@name` is Linux's abstract namespace (a leading NUL
    byte on the wire). Other schemes (e.g. `vsock:` for VMs) are not used on the kiosk.
    """
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    return None


def _clean(text: str) -> str:
    # A newline would start a new KEY=value assignment in the datagram.
    return " ".join(text.splitlines())


class Notifier:
    """Sends sd_notify messages to one socket address (None: every call is a no-op)."""

    def __init__(self, address: str | bytes | None) -> None:
        self._address = address
        self._sock: socket.socket | None = None
        self._warned = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        env = os.environ if environ is None else environ
        return cls(parse_address(env.get("NOTIFY_SOCKET")))

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def send(self, *assignments: str) -> bool:
        """Send `KEY=value` assignments as one datagram; True when it was handed to the socket."""
        if self._address is None or not assignments:
            return False
        payload = "\n".join(assignments).encode()
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                self._sock.settimeout(_SEND_TIMEOUT_S)
            self._sock.sendto(payload, self._address)
        except OSError as exc:
            if not self._warned:
                log.warning("sd_notify to %r failed (%s); further failures not logged", self._address, exc)
                self._warned = True
            self.close()  # reopen next time: systemd may have been re-executed
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """The service is up: systemd finishes `systemctl start` and starts the watchdog clock."""
        return self.send("READY=1", *([f"STATUS={_clean(status)}"] if status else []))

    def watchdog(self) -> bool:
        """Keep-alive; must arrive within `WatchdogSec=` of the previous one."""
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        """One line shown by `systemctl status hinge-kiosk` (e.g. "waiting for camera")."""
        return self.send(f"STATUS={_clean(text)}")

    def stopping(self) -> bool:
        """Shutting down on purpose: a slow exit is then not mistaken for a hang."""
        return self.send("STOPPING=1")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for `seconds` more before the start/stop timeout fires (a slow first calibration)."""
        return self.send(f"EXTEND_TIMEOUT_USEC={max(0, round(seconds * 1e6))}")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval_s(environ: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """Half of `$WATCHDOG_USEC` in seconds, or None when the watchdog is off for this process.

    Half, as sd_watchdog_enabled(3) advises, so one late iteration does not trip it.
    `$WATCHDOG_PID`, when set, names the process the watchdog is meant for; a child that
    inherited the environment must not ping on the parent's behalf.
    """
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    wpid = env.get("WATCHDOG_PID")
    if wpid and wpid != str(os.getpid() if pid is None else pid):
        return None
    return usec / 2e6


class Watchdog:
    """Rate-limited WATCHDOG=1 pings driven by the main loop.

    Call `tick()` once per loop iteration: it pings when `interval_s` has passed since the
    last ping (the first tick always pings). `clock` is injectable (seconds, monotonic) so
    tests count pings without sleeping. With `interval_s=None` every tick is a no-op.
    """

    def __init__(
        self,
        notifier: Notifier,
        interval_s: float | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._notifier = notifier
        self._interval_s = interval_s if notifier.enabled else None
        self._clock = clock
        self._last_s: float | None = None

    @classmethod
    def from_env(
        cls,
        notifier: Notifier,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> Watchdog:
        return cls(notifier, watchdog_interval_s(environ), clock)

    @property
    def enabled(self) -> bool:
        return self._interval_s is not None

    @property
    def interval_s(self) -> float | None:
        return self._interval_s

    def tick(self) -> bool:
        """Ping if due; True when a ping was sent."""
        if self._interval_s is None:
            return False
        now = self._clock()
        if self._last_s is not None and now - self._last_s < self._interval_s:
            return False
        self._last_s = now
        return self._notifier.watchdog()


_default: Notifier | None = None


def default_notifier() -> Notifier:
    """The process-wide notifier for `$NOTIFY_SOCKET`, created on first use."""
    global _default
    if _default is None:
        _default = Notifier.from_env()
    return _default


def ready(status: str | None = None) -> bool:
    return default_notifier().ready(status)


def watchdog() -> bool:
    return default_notifier().watchdog()


def status(text: str) -> bool:
    return default_notifier().status(text)


def stopping() -> bool:
    return default_notifier().stopping()
