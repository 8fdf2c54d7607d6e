"""Never a black screen: systemd/hinge-kiosk-fallback.service and kiosk/fallback_screen/.

- both units pass `systemd-analyze verify` with no output (required, as in test_systemd_unit.py);
- they are wired: the kiosk's OnFailure= names the fallback, the fallback Conflicts= with the
  kiosk and is ordered against it, and takes the display the way the kiosk does;
- the notice renders under SDL's dummy driver (a subprocess with a fake journalctl/systemctl on
  PATH): a 1280x720 PNG whose every text line lies inside its box and the screen, also for a
  log line far too long for the screen, a journalctl that fails, is missing or hangs;
- SIGTERM ends it with status 0 within 2 s;
- install.sh installs it (not enabled) and the systemd >= 254 drop-in only where it is known.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pygame
import pytest

from kiosk import fallback_screen as fs
from tests.test_pi_install import calls, run_install, scratch  # noqa: F401 - scratch is a fixture
from tests.test_systemd_unit import (
    Unit,
    one,
    parse_unit,
    run_verify,
    systemd_analyze,
    values,
    words,
)

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "systemd" / "hinge-kiosk.service"
FALLBACK = REPO / "systemd" / "hinge-kiosk-fallback.service"
DROP_IN = REPO / "systemd" / "hinge-kiosk.service.d" / "restart-mode-direct.conf"
MAIN_BINARY = "/opt/hinge-kiosk/venv/bin/hinge-kiosk"
FALLBACK_BINARY = "/opt/hinge-kiosk/venv/bin/python"
SCREENS = REPO / "docs" / "screens"

EXCEPTION = "RuntimeError: Frame didn't arrive within 2000 ms; the camera reset itself"
# One log line far wider than the screen, with a 600-character "word" (a hex dump, a path)
# that can only be broken inside.
LONG_LINE = f"{EXCEPTION} {'0123456789abcdef' * 40} and the stream could not be reopened after 5 attempts"
TRACEBACK = (
    '  File "/opt/hinge-kiosk/venv/lib/python3.11/site-packages/kiosk/app/loop.py", line 312, in run',
    "    frame = self.source.next_frame(timeout_ms=2000)",
    LONG_LINE,
)


# --- the unit files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def main_unit() -> Unit:
    return parse_unit(MAIN.read_text())


@pytest.fixture(scope="module")
def fallback_unit() -> Unit:
    return parse_unit(FALLBACK.read_text())


def verifiable_pair(tmp_path: Path, fallback_extra: str = "") -> tuple[Path, Path]:
    """Both units with their ExecStart= binaries (which exist only on an installed kiosk)
    swapped for this interpreter; side by side, as /etc/systemd/system holds them."""
    main = MAIN.read_text()
    fallback = FALLBACK.read_text()
    assert main.count(MAIN_BINARY) == 1 and fallback.count(FALLBACK_BINARY) == 1
    if fallback_extra:
        fallback = fallback.replace("[Service]\n", "[Service]\n" + fallback_extra, 1)
    (tmp_path / MAIN.name).write_text(main.replace(MAIN_BINARY, sys.executable))
    (tmp_path / FALLBACK.name).write_text(fallback.replace(FALLBACK_BINARY, sys.executable))
    return tmp_path / MAIN.name, tmp_path / FALLBACK.name


def verify(*paths: Path) -> str:
    out = ""
    for path in paths:
        res = run_verify(path)
        assert res.returncode == 0, res.stdout + res.stderr
        out += res.stdout + res.stderr
    return out.strip()


def test_both_units_verify_with_no_output(tmp_path: Path) -> None:
    assert verify(*verifiable_pair(tmp_path)) == ""


def test_verify_reads_the_fallback_unit(tmp_path: Path) -> None:
    """Guards the test above: a bogus key in the fallback unit is reported."""
    _, fallback = verifiable_pair(tmp_path, "NoSuchSetting=yes\n")
    assert "NoSuchSetting" in verify(fallback)


def test_fallback_security_exposure_is_low(tmp_path: Path) -> None:
    _, fallback = verifiable_pair(tmp_path)
    res = subprocess.run(
        [systemd_analyze(), "security", "--offline=yes", "--no-pager", str(fallback)],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_LOG_COLOR": "0", "LANG": "C"},
    )
    if "--offline" in res.stderr and "unrecognized" in res.stderr:
        pytest.skip("systemd-analyze security --offline needs systemd >= 250")
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", res.stdout + res.stderr)
    assert m, res.stdout + res.stderr
    assert float(m.group(1)) <= 2.0, res.stdout  # 1.4 when written, as the kiosk's unit


def systemd_version() -> int:
    out = subprocess.run([systemd_analyze(), "--version"], capture_output=True, text=True).stdout
    m = re.match(r"systemd (\d+)", out)
    assert m, out
    return int(m.group(1))


def test_restart_mode_drop_in_is_only_that_key(tmp_path: Path) -> None:
    """The drop-in install.sh adds on systemd >= 254 sets RestartMode=direct and nothing else;
    verify accepts it there, and older systemd (bookworm's 252) knows no such key, which is
    why the installer leaves it out there."""
    extra = parse_unit(DROP_IN.read_text())
    assert extra == {"Service": [("RestartMode", "direct")]}
    main, _ = verifiable_pair(tmp_path)
    d = tmp_path / "hinge-kiosk.service.d"
    d.mkdir()
    (d / DROP_IN.name).write_text(DROP_IN.read_text())
    out = verify(main)
    if systemd_version() >= 254:
        assert out == ""
    else:
        assert "Unknown key" in out and "RestartMode" in out, out


def test_main_unit_ends_failed_and_triggers_the_fallback(main_unit: Unit) -> None:
    assert one(main_unit, "Unit", "OnFailure") == FALLBACK.name
    # Restarts are bounded: after StartLimitBurst starts in StartLimitIntervalSec the unit ends
    # in `failed`, which is what runs OnFailure=. (Restart=always with no limit never would.)
    assert one(main_unit, "Service", "Restart") == "on-failure"
    burst = int(one(main_unit, "Unit", "StartLimitBurst"))
    interval = int(one(main_unit, "Unit", "StartLimitIntervalSec"))
    restart_sec = int(one(main_unit, "Service", "RestartSec").removesuffix("s"))
    assert 1 <= burst <= 10 and interval > 0
    # The burst must fit in the interval, else the limit is never reached and the kiosk loops.
    assert burst * restart_sec < interval
    assert values(main_unit, "Unit", "StartLimitAction") in ([], ["none"])


def test_fallback_gives_the_display_back(main_unit: Unit, fallback_unit: Unit) -> None:
    # Starting the kiosk stops the notice (Conflicts= works both ways) ...
    assert "hinge-kiosk.service" in words(fallback_unit, "Unit", "Conflicts")
    # ... and, being ordered, stops it before the kiosk opens the display.
    ordered = "hinge-kiosk.service" in words(fallback_unit, "Unit", "Before") or FALLBACK.name in words(
        main_unit, "Unit", "After")
    assert ordered
    # Only OnFailure= starts it: no [Install], no OnFailure= of its own (no loops), bounded retries.
    assert "Install" not in fallback_unit
    assert values(fallback_unit, "Unit", "OnFailure") == []
    assert int(one(fallback_unit, "Unit", "StartLimitBurst")) >= 1
    # SIGTERM is how it is stopped; it must not outlast the kiosk's start.
    stop = int(one(fallback_unit, "Service", "TimeoutStopSec").removesuffix("s"))
    assert stop <= 10


def test_fallback_takes_the_display_as_the_kiosk_does(main_unit: Unit, fallback_unit: Unit) -> None:
    for key in ("User", "Group", "TTYPath", "StandardInput", "TTYVHangup", "TTYReset"):
        assert one(fallback_unit, "Service", key) == one(main_unit, "Service", key), key
    assert "getty@tty1.service" in words(fallback_unit, "Unit", "Conflicts")
    groups = words(fallback_unit, "Service", "SupplementaryGroups")
    assert {"video", "render", "input"} <= groups
    # Nothing the kiosk does not have, except reading the journal (its last log lines).
    assert groups - words(main_unit, "Service", "SupplementaryGroups") == {"systemd-journal"}
    assert "SDL_VIDEODRIVER=kmsdrm" in words(fallback_unit, "Service", "Environment")
    devices = {"char-drm rw", "char-input r", "/dev/tty1 rw"}
    assert set(values(fallback_unit, "Service", "DeviceAllow")) == devices
    exec_start = one(fallback_unit, "Service", "ExecStart").split()
    assert exec_start[:3] == [FALLBACK_BINARY, "-m", "kiosk.fallback_screen"]
    assert exec_start[3:] == ["--unit", MAIN.name]


def test_fallback_hardening_matches_the_kiosk(main_unit: Unit, fallback_unit: Unit) -> None:
    for key in ("NoNewPrivileges", "CapabilityBoundingSet", "ProtectSystem", "ProtectHome", "PrivateTmp",
                "DevicePolicy", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
                "ProtectControlGroups", "ProtectClock", "ProtectProc", "RestrictNamespaces",
                "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "SystemCallArchitectures",
                "SystemCallErrorNumber"):
        assert one(fallback_unit, "Service", key) == one(main_unit, "Service", key), key
    filters = values(main_unit, "Service", "SystemCallFilter")
    assert values(fallback_unit, "Service", "SystemCallFilter") == filters
    assert words(fallback_unit, "Service", "RestrictAddressFamilies") <= {"AF_UNIX", "AF_NETLINK"}
    assert values(fallback_unit, "Service", "PrivateDevices") == []
    assert re.fullmatch(r"\d+M", one(fallback_unit, "Service", "MemoryMax"))


# --- the notice, rendered -------------------------------------------------------------------


def fake_bin(tmp_path: Path, journalctl: str | None, systemctl: str | None = None) -> Path:
    """A PATH directory holding only the given fake commands (shell script bodies)."""
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for name, body in (("journalctl", journalctl), ("systemctl", systemctl)):
        if body is not None:
            (d / name).write_text("#!/bin/sh\n" + body)
            (d / name).chmod(0o755)
    return d


def printing(lines: tuple[str, ...]) -> str:
    return "".join(f"printf '%s\\n' {_sh_quote(ln)}\n" for ln in lines)


def _sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def env_for(bin_dir: Path, **extra: str) -> dict[str, str]:
    return {"PATH": str(bin_dir), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
            "PYTHONPATH": str(REPO), "PYGAME_HIDE_SUPPORT_PROMPT": "1", **extra}


def render(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[Path, dict[str, Any], str]:
    png, lay = tmp_path / "fallback.png", tmp_path / "layout.json"
    res = subprocess.run(
        [sys.executable, "-m", "kiosk.fallback_screen", "--once", "--screenshot", str(png),
         "--layout-json", str(lay), *args],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    return png, json.loads(lay.read_text()), res.stdout


def check_inside(layout: dict[str, Any]) -> list[str]:
    """Every text line inside its box and the screen; the problems found."""
    screen = pygame.Rect(0, 0, *layout["size"])
    problems = []
    for line in layout["lines"]:
        rect, box = pygame.Rect(line["rect"]), pygame.Rect(line["box"])
        if not (screen.contains(rect) and box.contains(rect)):
            problems.append(f"{line['text'][:40]!r} at {tuple(rect)} outside box {tuple(box)} / screen")
    return problems


def log_text(layout: dict[str, Any]) -> str:
    """The text drawn in the log's box (the monospaced lines, or the note in their place)."""
    lines = layout["lines"]
    boxes = [tuple(ln["box"]) for ln in lines]
    label = next(i for i, ln in enumerate(lines) if ln["text"] == "Last lines in its log")
    log_box = boxes[label + 1]
    return " ".join(ln["text"] for ln in lines if tuple(ln["box"]) == log_box)


def png_stats(png: Path) -> tuple[tuple[int, int], float]:
    """(size, share of pixels that are not the background colour)."""
    img = pygame.image.load(str(png))
    arr = pygame.surfarray.array3d(img).reshape(-1, 3)
    not_bg = (abs(arr.astype(int) - fs.BG).sum(axis=1) > 12).mean()
    return img.get_size(), float(not_bg)


def test_check_inside_catches_overflow() -> None:
    """Guards the layout checks below: a line sticking out of its box is reported."""
    ok = {"text": "x", "rect": [10, 10, 100, 20], "box": [0, 0, 200, 40]}
    wide = {"text": "y", "rect": [10, 10, 300, 20], "box": [0, 0, 200, 40]}
    low = {"text": "z", "rect": [10, 700, 100, 30], "box": [0, 680, 1280, 60]}
    assert check_inside({"size": [1280, 720], "lines": [ok]}) == []
    assert len(check_inside({"size": [1280, 720], "lines": [ok, wide, low]})) == 2


def test_renders_a_long_traceback_inside_the_screen(tmp_path: Path) -> None:
    systemctl = "printf 'NRestarts=5\\nResult=start-limit-hit\\n'\n"
    env = env_for(fake_bin(tmp_path, printing(TRACEBACK), systemctl))
    png, lay, out = render(tmp_path, env)
    size, ink = png_stats(png)
    assert size == (1280, 720)
    assert 0.15 < ink < 0.9, ink  # a drawn notice, not a black (or blank) panel
    assert check_inside(lay) == []
    # The fake line really is too long: one line of it at the log's largest size would not fit.
    fonts = fs.Fonts()
    assert fonts.get(True, 32).size(LONG_LINE)[0] > 2 * 1280
    # The exception (the newest line) is shown, wrapped and cut with an ellipsis.
    shown = log_text(lay)
    assert shown.startswith(EXCEPTION), shown
    assert shown.endswith("…")
    texts = " ".join(ln["text"] for ln in lay["lines"])
    assert "after 5 automatic restarts" in texts and "stopped restarting it" in texts
    # The command on one line (a wrapped command gets typed wrong).
    assert any(ln["text"] == "sudo systemctl reset-failed hinge-kiosk && sudo systemctl start hinge-kiosk"
               for ln in lay["lines"])
    assert "This kiosk is out of order" in texts
    assert "after 5 automatic restarts" in out  # the journal gets the same words
    # docs/screens/fallback.png is this picture: HINGE_SAVE_SCREENS=1 pytest -k long_traceback
    if os.environ.get("HINGE_SAVE_SCREENS") == "1" and SCREENS.is_dir():
        (SCREENS / "fallback.png").write_bytes(png.read_bytes())


def test_short_log_lines_are_all_shown(tmp_path: Path) -> None:
    lines = ("Traceback (most recent call last):", "  raise ConfigError(msg)", "ConfigError: units = 'mm'")
    env = env_for(fake_bin(tmp_path, printing(lines)), HINGE_KIOSK_SUPPORT="Call Sam on 0123 456 789")
    _, lay, _ = render(tmp_path, env)
    assert check_inside(lay) == []
    shown = log_text(lay)
    assert all(ln.strip() in shown for ln in lines), shown
    texts = " ".join(ln["text"] for ln in lay["lines"])
    assert "Support: Call Sam on 0123 456 789" in texts
    assert "automatic restart" not in texts  # systemctl missing: no count is made up


def test_journalctl_failing_is_said_on_screen(tmp_path: Path) -> None:
    env = env_for(fake_bin(tmp_path, "echo 'Failed to open journal: Permission denied' >&2\nexit 1\n"),
                  MONITOR_SERVICE_RESULT="watchdog")
    png, lay, _ = render(tmp_path, env)
    assert png_stats(png)[0] == (1280, 720)
    assert check_inside(lay) == []
    shown = log_text(lay)
    assert "journalctl failed (exit status 1)" in shown and "Permission denied" in shown, shown
    texts = " ".join(ln["text"] for ln in lay["lines"])
    assert "stopped responding (watchdog)" in texts


def test_journalctl_missing_is_said_on_screen(tmp_path: Path) -> None:
    _, lay, _ = render(tmp_path, env_for(fake_bin(tmp_path, None)))
    assert check_inside(lay) == []
    assert "journalctl is not installed" in log_text(lay)


def test_journalctl_hanging_does_not_hold_the_screen(tmp_path: Path) -> None:
    env = env_for(fake_bin(tmp_path, "exec /bin/sleep 60\n"))
    t0 = time.monotonic()
    _, lay, _ = render(tmp_path, env, "--timeout", "1")
    assert time.monotonic() - t0 < 20
    assert "no answer within 1 s" in log_text(lay)


def test_empty_journal_falls_back_to_systemds_lines(tmp_path: Path) -> None:
    """No output from the kiosk's process (it never ran): systemd's own lines about the unit."""
    script = ('case "$*" in *_SYSTEMD_UNIT=*) exit 0 ;; esac\n'
              "echo 'hinge-kiosk.service: Failed to locate executable /opt/hinge-kiosk/bin/x'\n")
    _, lay, _ = render(tmp_path, env_for(fake_bin(tmp_path, script)))
    assert "Failed to locate executable" in log_text(lay)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080), (800, 480), (640, 480)])
@pytest.mark.parametrize("case", ["long", "many", "none", "unicode"])
def test_layout_never_overflows(size: tuple[int, int], case: str) -> None:
    log = {
        "long": TRACEBACK,
        "many": tuple(f"line {i}: " + "word " * 60 for i in range(12)),
        "none": (),
        "unicode": ("Fehler: Kamera getrennt — ÄÖÜ ß ✓ ✗ 漢字 \x1b[31mred\x1b[0m\tTab",),
    }[case]
    facts = fs.Facts(unit="hinge-kiosk.service", result="start-limit-hit", restarts=12345,
                     log_lines=tuple(fs.clean(x) for x in log), log_problem="the log has no lines",
                     support="Call the club office, extension 2204, or write to it@example.org " * 3)
    lay = fs.layout(fs.notice_for(facts), fs.Fonts(), size)
    as_json = {"size": list(size), "lines": [{"text": p.text, "rect": list(p.rect), "box": list(p.box)}
                                             for p in lay.lines]}
    assert check_inside(as_json) == []
    # Lines in one box never overlap each other.
    for a, b in zip(lay.lines, lay.lines[1:], strict=False):
        if a.box == b.box:
            assert a.rect[1] + a.rect[3] <= b.rect[1] + 1, (a.text, b.text)
    # The newest log line always makes it onto the screen (its start, at least).
    if log:
        assert any(fs.clean(log[-1])[:20] in p.text for p in lay.lines), case


def test_clean_strips_control_characters_and_caps_length() -> None:
    assert fs.clean("\x1b[31mred\x1b[0m\tx\r\n") == "[31mred[0m    x"
    assert len(fs.clean("y" * 100_000)) == fs.MAX_LINE_CHARS


# --- the service's life ---------------------------------------------------------------------


def test_sigterm_exits_zero_within_two_seconds(tmp_path: Path) -> None:
    env = env_for(fake_bin(tmp_path, printing(TRACEBACK)))
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.fallback_screen"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sel = selectors.DefaultSelector()
        assert proc.stdout is not None
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline, seen = time.monotonic() + 30, ""
        while "fallback screen: up" not in seen:
            assert time.monotonic() < deadline and proc.poll() is None, seen
            if sel.select(timeout=0.5):
                seen += proc.stdout.readline()
        time.sleep(0.5)  # into the redraw loop
        assert proc.poll() is None  # it keeps the screen up
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=2)
        assert time.monotonic() - t0 < 2
        assert rc == 0, proc.stderr.read() if proc.stderr else ""
        assert "stopped (signal 15)" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the installer --------------------------------------------------------------------------

def systemctl_stub(version: str, active: str) -> str:
    """Logs its arguments; `--version` says `systemd <version>`; `is-active` is true for the
    units in `active` only."""
    return f"""#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
[ "$1" = --version ] && [ -n "{version}" ] && echo "systemd {version} (test)"
[ "$1" = is-active ] && {{ for u in {active or "none"}; do [ "$3" = "$u" ] && exit 0; done; exit 3; }}
exit 0
"""


def install_with(s: dict[str, Path], version: str, active: str = "") -> list[str]:
    stub = s["bin"] / "systemctl"
    stub.write_text(systemctl_stub(version, active))
    stub.chmod(0o755)
    if s["log"].exists():
        s["log"].write_text("useradd (earlier run)\n")  # the service user exists from then on
    run_install(s)
    return calls(s)


def test_install_puts_the_fallback_unit_beside_the_kiosk(scratch: dict[str, Path]) -> None:  # noqa: F811
    root = scratch["root"]
    log = install_with(scratch, "252")
    installed = root / "etc/systemd/system" / FALLBACK.name
    assert installed.read_text() == FALLBACK.read_text()
    assert (root / "etc/systemd/system" / MAIN.name).read_text() == MAIN.read_text()
    assert f"systemctl enable {MAIN.name}" in log
    assert not any(c.startswith("systemctl enable") and FALLBACK.name in c for c in log)  # OnFailure= only
    # installed before the daemon-reload that makes systemd read it
    assert log.index("systemctl daemon-reload") > log.index("systemctl --version")
    # bookworm (252): no RestartMode= drop-in, it would only draw a warning
    assert not (root / "etc/systemd/system/hinge-kiosk.service.d/restart-mode-direct.conf").exists()
    assert f"systemctl restart {MAIN.name}" not in log


def test_install_adds_restart_mode_direct_on_systemd_254_and_later(scratch: dict[str, Path]) -> None:  # noqa: F811
    root = scratch["root"]
    drop_in = root / "etc/systemd/system/hinge-kiosk.service.d/restart-mode-direct.conf"
    install_with(scratch, "257")
    assert drop_in.read_text() == DROP_IN.read_text()
    install_with(scratch, "252")  # e.g. a card moved back to an older OS: removed again
    assert not drop_in.exists()


def test_install_over_a_failed_kiosk_tries_the_new_code(scratch: dict[str, Path]) -> None:  # noqa: F811
    log = install_with(scratch, "252", active=FALLBACK.name)
    i = log.index(f"systemctl reset-failed {MAIN.name}")
    assert log[i + 1] == f"systemctl restart {MAIN.name}"


def test_no_display_is_reported_not_a_traceback(tmp_path: Path) -> None:
    """A display that cannot be opened: exit status 1 (systemd retries a few times), the notice's
    words still in the journal, no traceback."""
    env = {**env_for(fake_bin(tmp_path, printing(TRACEBACK))), "SDL_VIDEODRIVER": "no-such-driver"}
    res = subprocess.run([sys.executable, "-m", "kiosk.fallback_screen", "--once"], capture_output=True,
                         text=True, env=env, timeout=60, cwd=tmp_path)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "cannot open the display" in res.stderr and "Traceback" not in res.stderr
    assert EXCEPTION in res.stdout
