"""Security (issue 6): the running kiosk opens no network listener, and what it writes
about athletes is private to its user. (The unit's sandbox and exposure score are in
tests/test_systemd_unit.py; the operator PIN's hashing in tests/test_kiosk_operator.py.)"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LISTEN_TCP = "0A"  # /proc/net/tcp st column
UNCONNECTED_UDP = "07"


def socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def listening(pid: int, inodes: set[str]) -> list[str]:
    """Lines of the process's own TCP listeners and bound UDP sockets."""
    found = []
    for name, state in (("tcp", LISTEN_TCP), ("tcp6", LISTEN_TCP), ("udp", UNCONNECTED_UDP),
                        ("udp6", UNCONNECTED_UDP)):
        table = Path(f"/proc/{pid}/net/{name}")
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == state and cols[9] in inodes:
                found.append(f"{name}: {line.strip()}")
    return found


def test_running_kiosk_listens_on_no_port_and_keeps_results_private(tmp_path: Path) -> None:
    db = tmp_path / "state" / "results.sqlite3"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
           "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--source", "sim", "--frames", "90",
                             "--db", str(db)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen: list[str] = []
    samples = 0
    try:
        while proc.poll() is None:
            try:
                seen += listening(proc.pid, socket_inodes(proc.pid))
                samples += 1
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.2)
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert samples >= 5, "the kiosk was not watched while it ran"
    assert seen == []
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_the_listener_probe_sees_a_listener() -> None:
    """Guards the test above: a port this process listens on is found."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        assert len(listening(os.getpid(), socket_inodes(os.getpid()))) == 1
