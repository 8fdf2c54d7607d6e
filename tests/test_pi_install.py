"""The Raspberry Pi side: shell scripts, the udev rule, the config example, and what
hardware/pi/install.sh does when run twice.

install.sh runs against a scratch tree (HINGE_KIOSK_ROOT) with the system tools it calls
(apt-get, useradd, systemctl, udevadm, ...) replaced by stubs that log their arguments, and a
fake venv python whose `import pyrealsense2` succeeds so the 45-minute librealsense build is
skipped. Nothing outside the scratch tree is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.app.operator import verify_pin

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((REPO / "hardware").rglob("*.sh"))
INSTALL_SH = REPO / "hardware" / "pi" / "install.sh"
UDEV_RULES = REPO / "hardware" / "udev" / "99-realsense.rules"
TOML_EXAMPLE = REPO / "hardware" / "pi" / "kiosk.toml.example"


def test_scripts_found() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"install.sh", "build_librealsense.sh", "setup_host.sh"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_bash_syntax_and_mode(script: Path) -> None:
    res = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert script.stat().st_mode & stat.S_IXUSR, f"{script.name} is not executable"


def test_shellcheck() -> None:
    exe = shutil.which("shellcheck")
    if exe is None:
        pytest.skip("shellcheck not installed (apt-get install -y shellcheck)")
    res = subprocess.run([exe, "--severity=style", *map(str, SCRIPTS)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# --- udev rule ------------------------------------------------------------------------------

_UDEV_PAIR = re.compile(r'\s*([A-Za-z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*')


def udev_rules(text: str) -> list[list[tuple[str, str, str]]]:
    """Each rule line as (key, operator, value) triples; fails on anything udev would reject."""
    rules = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pairs = []
        for part in line.split(","):
            m = _UDEV_PAIR.fullmatch(part)
            assert m, f"line {n}: cannot parse {part!r}"
            pairs.append((m.group(1), m.group(2), m.group(3)))
        rules.append(pairs)
    return rules


def test_udev_rule_covers_the_cameras() -> None:
    rules = udev_rules(UDEV_RULES.read_text())
    flat = [p for r in rules for p in r]
    products = {v for k, op, v in flat if k == "ATTR{idProduct}" and op == "=="}
    # D415, D435, D435i, D455, D405
    assert {"0ad3", "0b07", "0b3a", "0b5c", "0b5b"} <= products
    assert ("ATTR{idVendor}", "!=", "8086") in flat
    assert ("MODE", ":=", "0660") in flat
    assert ("GROUP", ":=", "plugdev") in flat
    assert ("ATTR{power/control}", "=", "on") in flat
    # Only the USB device node (what libusb opens), not its interfaces.
    assert ("ENV{DEVTYPE}", "!=", "usb_device") in flat
    gotos = {v for k, _, v in flat if k == "GOTO"}
    labels = {v for k, _, v in flat if k == "LABEL"}
    assert gotos and gotos <= labels


def test_udev_rule_says_where_it_is_installed() -> None:
    assert "/etc/udev/rules.d/99-realsense.rules" in UDEV_RULES.read_text()
    assert "/etc/udev/rules.d/99-realsense.rules" in INSTALL_SH.read_text()


# --- kiosk.toml example ---------------------------------------------------------------------


def test_kiosk_toml_example_parses() -> None:
    cfg = tomllib.loads(TOML_EXAMPLE.read_text())
    assert cfg["camera"]["source"] == "live"
    assert (cfg["camera"]["width"], cfg["camera"]["height"]) == (848, 480)
    assert cfg["station"]["calibration"].startswith("/var/lib/hinge-kiosk/")
    assert cfg["display"]["units"] in {"in", "cm"}
    assert isinstance(cfg["audio"]["mute"], bool)
    assert cfg["operator"]["pin_hash"] == ""  # never ship a PIN


# --- install.sh, end to end on a scratch tree -----------------------------------------------

STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
"""

STUBS: dict[str, str] = {
    "apt-get": STUB,
    "groupadd": STUB,
    "usermod": STUB,
    "udevadm": STUB,
    "id": '#!/bin/sh\n[ "$1" = -u ] && echo 0 || exec /usr/bin/id "$@"\n',
    "uname": '#!/bin/sh\n[ "$1" = -m ] && echo aarch64 || exec /bin/uname "$@"\n',
    "tty": "#!/bin/sh\necho 'not a tty'\nexit 1\n",
    # getent: every group exists; the user exists once useradd has run.
    "getent": STUB + '[ "$1" = group ] && exit 0\ngrep -q useradd "$STUB_LOG"\n',
    "useradd": STUB,
    "chown": STUB,  # the service user's group does not exist here
    # systemctl: the service counts as running once the state file says so.
    "systemctl": STUB + '[ "$1" = is-active ] && [ -e "$STUB_ACTIVE" ] && exit 0\n'
    '[ "$1" = is-active ] && exit 3\nexit 0\n',
    # install: the service user does not exist here, so drop owner/group.
    "install": '#!/bin/bash\nargs=()\nwhile [ $# -gt 0 ]; do\n'
    '  case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac\ndone\n'
    'exec /usr/bin/install "${args[@]}"\n',
}


def _write_exe(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def scratch(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "root"
    for d in ("etc/udev/rules.d", "etc/systemd/system", "boot/firmware", "sys/fs/cgroup"):
        (root / d).mkdir(parents=True)
    (root / "etc/os-release").write_text('PRETTY_NAME="Raspbian bookworm"\nVERSION_CODENAME=bookworm\n')
    (root / "boot/firmware/cmdline.txt").write_text("console=tty1 root=PARTUUID=1234-02 rootwait\n")
    (root / "sys/fs/cgroup/cgroup.controllers").write_text("cpuset cpu io pids\n")  # no memory
    # A venv that "has" pyrealsense2: the librealsense build is skipped. Its hinge-kiosk is
    # this checkout's (the installer hashes the operator PIN with it).
    _write_exe(root / "opt/hinge-kiosk/venv/bin/python", STUB)
    _write_exe(root / "opt/hinge-kiosk/venv/bin/hinge-kiosk",
               f'#!/bin/sh\nexec "{sys.executable}" -m kiosk.cli "$@"\n')
    bin_dir = tmp_path / "bin"
    for name, text in STUBS.items():
        _write_exe(bin_dir / name, text)
    return {"root": root, "bin": bin_dir, "log": tmp_path / "calls.log", "active": tmp_path / "active"}


def run_install(s: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{s['bin']}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HINGE_KIOSK_ROOT": str(s["root"]),
        "STUB_LOG": str(s["log"]),
        "STUB_ACTIVE": str(s["active"]),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(REPO),
    }
    # No terminal: the installer picks a random operator PIN and shows it once.
    res = subprocess.run(["bash", str(INSTALL_SH)], capture_output=True, text=True, env=env, timeout=60,
                         stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def calls(s: dict[str, Path]) -> list[str]:
    return s["log"].read_text().splitlines()


def test_install_first_run(scratch: dict[str, Path]) -> None:
    root = scratch["root"]
    res = run_install(scratch)
    log = calls(scratch)

    assert any(c.startswith("apt-get install") and "python3-venv" in c and "libusb-1.0-0" in c for c in log)
    assert sum(c.startswith("useradd") for c in log) == 1
    assert "usermod --append --groups video,render,input,plugdev,audio hinge-kiosk" in log
    # pyrealsense2 imports: no build; the kiosk goes in as a regular install of this checkout.
    assert f"python -m pip install -q --upgrade {REPO}" in log
    assert "udevadm control --reload" in log
    assert any(c.startswith("udevadm trigger") for c in log)
    assert "systemctl daemon-reload" in log
    assert "systemctl disable --now getty@tty1.service" in log
    assert "systemctl enable hinge-kiosk.service" in log
    assert "systemctl restart hinge-kiosk.service" not in log  # not running yet: calibrate first

    assert (root / "etc/udev/rules.d/99-realsense.rules").read_text() == UDEV_RULES.read_text()
    unit = REPO / "systemd/hinge-kiosk.service"
    assert (root / "etc/systemd/system/hinge-kiosk.service").read_text() == unit.read_text()
    cfg = root / "etc/hinge-kiosk/kiosk.toml"
    pin = shown_pin(res.stdout)
    pin_hash = tomllib.loads(cfg.read_text())["operator"]["pin_hash"]
    assert verify_pin(pin, pin_hash) and pin not in cfg.read_text()
    assert cfg.read_text() == TOML_EXAMPLE.read_text().replace('pin_hash = ""', f'pin_hash = "{pin_hash}"')
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640
    assert (root / "opt/hinge-kiosk/docs/install-pi.md").is_file()
    assert (root / "var/lib/hinge-kiosk").is_dir()

    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline == "console=tty1 root=PARTUUID=1234-02 rootwait cgroup_enable=memory\n"
    assert (root / "boot/firmware/cmdline.txt.hinge-kiosk.bak").is_file()

    out = res.stdout
    assert "Next steps" in out and "sudo reboot" in out
    assert "hinge-kiosk calibrate --source live" in out
    assert "journalctl -u hinge-kiosk.service" in out


def test_install_second_run_keeps_config_and_restarts(scratch: dict[str, Path]) -> None:
    root = scratch["root"]
    run_install(scratch)
    cfg = root / "etc/hinge-kiosk/kiosk.toml"
    cfg.write_text(cfg.read_text().replace('units = "in"', 'units = "cm"'))  # the operator's edit
    cmdline_before = (root / "boot/firmware/cmdline.txt").read_text()
    scratch["log"].write_text("useradd (first run)\n")  # the user exists now
    scratch["active"].touch()  # and the service is running

    res = run_install(scratch)
    log = calls(scratch)

    assert 'units = "cm"' in cfg.read_text()
    assert "kept the existing" in res.stdout
    assert "operator PIN already set" in res.stdout and "operator PIN:" not in res.stdout  # shown once
    assert (root / "etc/hinge-kiosk/kiosk.toml.example").read_text() == TOML_EXAMPLE.read_text()
    assert (root / "boot/firmware/cmdline.txt").read_text() == cmdline_before  # not appended twice
    assert sum(c.startswith("useradd") for c in log) == 1  # only the marker line above
    assert "systemctl restart hinge-kiosk.service" in log  # an update runs the new code


def shown_pin(stdout: str) -> str:
    (line,) = [ln for ln in stdout.splitlines() if ln.startswith("operator PIN: ")]
    pin = line.split()[2]
    assert pin.isdigit() and len(pin) == 6, line
    return pin


def test_install_gives_an_older_config_without_a_pin_a_random_one(scratch: dict[str, Path]) -> None:
    root = scratch["root"]
    cfg = root / "etc/hinge-kiosk/kiosk.toml"
    cfg.parent.mkdir(parents=True)
    pins = set()
    for _ in range(2):
        cfg.write_text('[display]\nunits = "cm"\n\n[operator]\npin_hash = ""\n')  # as older installs left it
        res = run_install(scratch)
        pin = shown_pin(res.stdout)
        assert verify_pin(pin, tomllib.loads(cfg.read_text())["operator"]["pin_hash"])
        assert 'units = "cm"' in cfg.read_text()
        pins.add(pin)
    assert len(pins) == 2  # random, not a constant


def test_install_asks_for_the_pin_on_a_terminal(scratch: dict[str, Path]) -> None:
    exe = shutil.which("script")
    if exe is None:
        pytest.skip("util-linux `script` (a pseudo-terminal) not installed")
    env = {
        "PATH": f"{scratch['bin']}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HINGE_KIOSK_ROOT": str(scratch["root"]), "STUB_LOG": str(scratch["log"]),
        "STUB_ACTIVE": str(scratch["active"]), "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(REPO),
    }
    # Typed: a mismatch, then a PIN that is not digits, then 4711 twice.
    typed = "4711\n4712\nabc\nabc\n4711\n4711\n"
    res = subprocess.run([exe, "-qec", f"bash {INSTALL_SH}", "/dev/null"], input=typed, capture_output=True,
                         text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "the two PINs differ" in res.stdout and "a PIN is 3-8 digits" in res.stdout
    assert "operator PIN set" in res.stdout and "operator PIN: " not in res.stdout
    cfg = tomllib.loads((scratch["root"] / "etc/hinge-kiosk/kiosk.toml").read_text())
    assert verify_pin("4711", cfg["operator"]["pin_hash"])


def test_install_with_memory_cgroup_on_needs_no_reboot(scratch: dict[str, Path]) -> None:
    root = scratch["root"]
    (root / "sys/fs/cgroup/cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    res = run_install(scratch)
    assert "cgroup_enable" not in (root / "boot/firmware/cmdline.txt").read_text()
    assert "sudo reboot" not in res.stdout
