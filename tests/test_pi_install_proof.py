"""The install proof's side of hardware/pi/install.sh, cheaply (the proof itself, `make
install-proof`, debootstraps a Debian root and takes minutes: not in `make test`).

- LIBREALSENSE_FROM_PYPI=1, the test/proof switch: refused on aarch64 (no wheel for bookworm's
  Python 3.11 there) and for any value but 0/1, before anything is installed; on x86_64 it pins
  Intel's wheel to the librealsense tag's version and builds nothing.
- Offline (a chroot or an image build: `systemctl is-system-running` says "offline"): the unit is
  enabled and getty@tty1 disabled, but nothing is reloaded, triggered, stopped or started (those
  fail there and stopped the installer before the proof found it).
- The Makefile target exists and stays out of `make test`.

Same scratch tree and stubs as tests/test_pi_install.py. The new script's shellcheck, `bash -n`
and mode are checked there (it shellchecks every hardware/**/*.sh).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.test_pi_install import INSTALL_SH, REPO, STUB, _write_exe, calls, scratch  # noqa: F401

BUILD_SH = REPO / "hardware" / "pi" / "build_librealsense.sh"
PROOF_SH = REPO / "hardware" / "pi" / "install_proof.sh"
MAKEFILE = REPO / "Makefile"
DOC = REPO / "docs" / "install-pi.md"


def default_tag() -> str:
    m = re.search(r"^DEFAULT_LIBREALSENSE_TAG=v(\d+\.\d+\.\d+)$", BUILD_SH.read_text(), re.M)
    assert m, "build_librealsense.sh has no DEFAULT_LIBREALSENSE_TAG=vX.Y.Z"
    return m.group(1)


def install(s: dict[str, Path], machine: str = "aarch64", **env: str) -> subprocess.CompletedProcess[str]:
    _write_exe(s["bin"] / "uname", f'#!/bin/sh\n[ "$1" = -m ] && echo {machine} || exec /bin/uname "$@"\n')
    full = {
        "PATH": f"{s['bin']}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HINGE_KIOSK_ROOT": str(s["root"]),
        "STUB_LOG": str(s["log"]),
        "STUB_ACTIVE": str(s["active"]),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(REPO),
        **env,
    }
    return subprocess.run(["bash", str(INSTALL_SH)], capture_output=True, text=True, env=full, timeout=60,
                          stdin=subprocess.DEVNULL)


def logged(s: dict[str, Path]) -> list[str]:
    return calls(s) if s["log"].exists() else []


def test_from_pypi_is_refused_on_aarch64_before_anything_is_installed(scratch: dict[str, Path]) -> None:  # noqa: F811
    res = install(scratch, "aarch64", LIBREALSENSE_FROM_PYPI="1")
    assert res.returncode == 1
    assert "LIBREALSENSE_FROM_PYPI=1 is a test switch for x86_64" in res.stderr
    assert "nothing installed" in res.stderr
    assert logged(scratch) == []  # not even apt-get


def test_from_pypi_takes_only_0_or_1(scratch: dict[str, Path]) -> None:  # noqa: F811
    res = install(scratch, "x86_64", LIBREALSENSE_FROM_PYPI="yes")
    assert res.returncode == 1 and "must be 0 or 1" in res.stderr
    assert logged(scratch) == []


def test_from_pypi_on_x86_64_pins_the_wheel_to_the_tag_and_builds_nothing(scratch: dict[str, Path]) -> None:  # noqa: F811
    res = install(scratch, "x86_64", LIBREALSENSE_FROM_PYPI="1")
    assert res.returncode == 0, res.stdout + res.stderr
    log = logged(scratch)
    wheel = f"python -m pip install -q pyrealsense2=={default_tag()}.*"
    kiosk = f"python -m pip install -q --upgrade {REPO}"
    assert wheel in log and kiosk in log
    assert log.index(wheel) < log.index(kiosk)  # the kiosk's >= requirement is then already met
    assert "building librealsense" not in res.stdout
    assert not any(c.startswith(("git ", "cmake", "make ")) for c in log)


def test_from_pypi_follows_librealsense_tag(scratch: dict[str, Path]) -> None:  # noqa: F811
    res = install(scratch, "x86_64", LIBREALSENSE_FROM_PYPI="1", LIBREALSENSE_TAG="v2.58.4")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "python -m pip install -q pyrealsense2==2.58.4.*" in logged(scratch)


def test_offline_install_enables_for_the_next_boot_and_starts_nothing(scratch: dict[str, Path]) -> None:  # noqa: F811
    # systemctl as in a chroot: is-system-running says "offline"; reload and --now fail there.
    _write_exe(scratch["bin"] / "systemctl", STUB + '[ "$1" = is-system-running ] && echo offline && exit 1\n'
               '[ "$1" = daemon-reload ] && exit 1\n'
               'for a in "$@"; do [ "$a" = --now ] && exit 1; done\n'
               '[ "$1" = is-active ] && exit 1\nexit 0\n')
    _write_exe(scratch["bin"] / "udevadm", STUB + '[ "$1" = control ] && exit 1\nexit 0\n')
    res = install(scratch, "aarch64")
    assert res.returncode == 0, res.stdout + res.stderr
    log = logged(scratch)
    assert "systemctl enable hinge-kiosk.service" in log
    assert "systemctl disable getty@tty1.service" in log
    assert not any(c.startswith("udevadm") for c in log)
    assert not any(c.startswith(("systemctl daemon-reload", "systemctl restart", "systemctl start",
                                 "systemctl reset-failed", "systemctl is-active")) for c in log)
    assert not any("--now" in c for c in log)
    assert "installing for the next boot" in res.stdout
    root = scratch["root"]
    assert (root / "etc/systemd/system/hinge-kiosk.service").is_file()
    assert (root / "etc/udev/rules.d/99-realsense.rules").is_file()


def test_booted_install_still_reloads_and_stops_the_getty(scratch: dict[str, Path]) -> None:  # noqa: F811
    """The stubs of tests/test_pi_install.py print nothing for is-system-running: a booted Pi."""
    res = install(scratch, "aarch64")
    assert res.returncode == 0, res.stdout + res.stderr
    log = logged(scratch)
    assert "systemctl daemon-reload" in log and "udevadm control --reload" in log
    assert "systemctl disable --now getty@tty1.service" in log
    assert "installing for the next boot" not in res.stdout


def make_targets() -> dict[str, str]:
    """target -> its recipe (the tab-indented lines under it)."""
    out: dict[str, str] = {}
    current = None
    for line in MAKEFILE.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+):", line)
        if m:
            current = m.group(1)
            out[current] = ""
        elif line.startswith("\t") and current:
            out[current] += line + "\n"
        elif line.strip() and not line.startswith("#"):
            current = None
    return out


def test_make_install_proof_runs_the_script_and_stays_out_of_make_test() -> None:
    targets = make_targets()
    assert "hardware/pi/install_proof.sh" in targets.get("install-proof", "")
    assert "install_proof" not in targets["test"] and "install-proof" not in targets["test"]
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE.read_text(), re.M)
    assert phony and "install-proof" in phony.group(1).split()


def test_proof_script_cleans_up_its_mounts_on_exit() -> None:
    text = PROOF_SH.read_text()
    assert re.search(r"^trap cleanup EXIT$", text, re.M)
    assert "rm -rf --one-file-system" in text and "LIBREALSENSE_FROM_PYPI=1" in text


def test_docs_say_what_ran_where() -> None:
    doc = DOC.read_text()
    assert "## What has run where" in doc
    section = doc.split("## What has run where", 1)[1].split("\n## ", 1)[0]
    assert "make install-proof" in section and "LIBREALSENSE_FROM_PYPI=1" in section
    assert "systemd-analyze verify" in section
    assert "not run on a real pi" in section.lower()


def test_reports_and_club_sync_extras_are_installed_only_when_asked(scratch: dict[str, Path]) -> None:  # noqa: F811
    res = install(scratch, "x86_64", LIBREALSENSE_FROM_PYPI="1", REPORTS="1", CLUB_SYNC="1")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"python -m pip install -q --upgrade {REPO}[club-sync,reports]" in logged(scratch)


def test_the_lean_install_has_no_extras(scratch: dict[str, Path]) -> None:  # noqa: F811
    res = install(scratch, "x86_64", LIBREALSENSE_FROM_PYPI="1")
    assert res.returncode == 0, res.stdout + res.stderr
    pips = [c for c in logged(scratch) if c.startswith("python -m pip install -q --upgrade /")]
    assert pips == [f"python -m pip install -q --upgrade {REPO}"]
