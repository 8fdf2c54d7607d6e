"""The operator PIN (issue 12, item 9): `run --hash-pin` without a terminal reads the PIN from
standard input (it used to end in an EOFError traceback), and a live kiosk started without
a `pin_hash` never accepts the development default; it gets a random PIN, logged once.
(hardware/pi/install.sh setting a PIN: tests/test_pi_install.py.)"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.app.config import KioskConfig
from kiosk.app.operator import DEFAULT_PIN_HASH, hash_pin, verify_pin
from kiosk.cli.run import with_operator_pin
from tests.pin_text import shows_pin

REPO = Path(__file__).resolve().parents[1]


def hash_pin_cli(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--hash-pin"], input=stdin, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("stdin", ["4711\n", "4711\n4711\n", "  4711  \n"])
def test_hash_pin_reads_standard_input_without_a_terminal(stdin: str) -> None:
    res = hash_pin_cli(stdin)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    head, line = res.stdout.splitlines()
    assert head == "[operator]" and line.startswith('pin_hash = "')
    assert verify_pin("4711", line.split('"')[1]) and not shows_pin(line, "4711")


@pytest.mark.parametrize(("stdin", "needle"), [("", "no PIN on standard input"), ("\n", "no PIN"),
                                               ("12\n", "3-8 digits"), ("4711\n4712\n", "differ"),
                                               ("12ab\n", "3-8 digits")])
def test_hash_pin_refuses_in_one_line(stdin: str, needle: str) -> None:
    res = hash_pin_cli(stdin)
    assert res.returncode == 2 and res.stdout == "" and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1 and needle in res.stderr, res.stderr


def test_a_live_kiosk_without_a_pin_hash_gets_a_random_pin_not_the_default(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk")
    pins = []
    for _ in range(2):
        cfg = with_operator_pin(KioskConfig(), "live")
        pin_hash = cfg.operator.effective_pin_hash
        assert pin_hash != DEFAULT_PIN_HASH
        (line,) = [r.getMessage() for r in caplog.records if "PIN for this run" in r.getMessage()]
        caplog.clear()
        pin = line.split("PIN for this run is ")[1].split()[0]
        assert verify_pin(pin, pin_hash) and len(pin) == 6
        pins.append(pin)
    assert pins[0] != pins[1]
    # A configured PIN is kept; the simulator and recordings keep the development default.
    mine = KioskConfig.model_validate({"operator": {"pin_hash": pin_hash}})
    assert with_operator_pin(mine, "live") is mine
    assert with_operator_pin(KioskConfig(), "sim").operator.effective_pin_hash == DEFAULT_PIN_HASH


def test_the_pin_check_looks_past_hashes_but_finds_a_stray_pin() -> None:
    # a salt that spells the PIN in hex: the check must not call that a leak
    stored = hash_pin("4711", salt=bytes.fromhex("00004711" * 4), iterations=1_000)
    assert "4711" in stored and not shows_pin(f'pin_hash = "{stored}"', "4711")
    assert shows_pin(f'pin_hash = "{stored}" # 4711', "4711")
