"""The command line as a person uses it: real subprocesses, real files, real SDK paths.
Errors are one line on stderr with exit code 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.live import LiveSource, list_devices
from hardware.source import SourceError

REPO = Path(__file__).resolve().parents[1]


def hinge(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=600,
    )


def assert_one_line_error(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, res.stderr
    err = res.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("hinge-kiosk: error: ") and needle in err, err


def test_record_sim_then_calibrate_json(tmp_path: Path) -> None:
    out = tmp_path / "stand.db3"
    rec = hinge("record", "--source", "sim", "--script", "walk_in_stand", "--seconds", "4", str(out))
    assert rec.returncode == 0, rec.stderr
    assert out.stat().st_size > 0 and (tmp_path / "stand.truth.json").exists()
    assert "wrote" in rec.stdout and "(120 frames)" in rec.stdout
    cal = hinge(
        "calibrate",
        "--source",
        str(out),
        "--skip",
        "100",
        "--frames",
        "10",
        "--json",
        "--out",
        str(tmp_path / "cal.json"),
    )
    assert cal.returncode == 0, cal.stderr
    summary = json.loads(cal.stdout)
    assert set(summary) == {"camera_height_m", "camera_pitch_deg", "camera_roll_deg", "facing", "problems"}
    truth = json.loads((tmp_path / "stand.truth.json").read_text())["camera_pose"]
    assert abs(summary["camera_height_m"] - truth["height_m"]) < 0.01
    assert abs(summary["camera_pitch_deg"] - truth["pitch_deg"]) < 1.0
    assert summary["facing"] == "right" and isinstance(summary["problems"], list)
    assert (tmp_path / "cal.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["calibrate", "--source", "/nonexistent/take.db3"], "recording not found"),
        (["record", "--source", "sim", "--script", "moonwalk", "x.db3"], "unknown simulator script"),
        (["record", "--source", "sim", "--seconds", "1", "out.bag"], "name it *.db3"),
        (["record", "--source", "live", "x.db3"], "--seconds is required"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    assert_one_line_error(hinge(*args, cwd=tmp_path), needle)


def test_calibrate_garbage_recording_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.db3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    assert_one_line_error(hinge("calibrate", "--source", str(bad)), "garbage.db3")


def test_calibrate_skipping_past_a_short_recording_says_so(tmp_path: Path) -> None:
    # Issue 15: `calibrate --skip 90` on a one-frame recording said "no depth frames from one.db3"
    # (and, through `python -m kiosk.cli`, as a traceback).
    rec = hinge("record", "--source", "sim", "--script", "walk_in_stand", "--seconds", "0.02", "one.db3",
                cwd=tmp_path)
    assert rec.returncode == 0 and "(1 frame)" in rec.stdout, rec.stderr
    res = hinge("calibrate", "--source", "one.db3", "--skip", "90", "--out", "cal.json", cwd=tmp_path)
    assert res.returncode == 2 and res.stdout == "", res.stderr
    assert res.stderr == ("hinge-kiosk: error: one.db3 has only 1 frame and --skip 90 skips it: use "
                          "--skip 0, or a longer recording\n"), res.stderr
    assert not (tmp_path / "cal.json").exists()


@pytest.mark.skipif(bool(list_devices()), reason="a real camera is connected")
def test_live_source_without_camera_says_so() -> None:
    with pytest.raises(SourceError, match=r"no RealSense camera found.*--source sim"):
        LiveSource().start()
    assert_one_line_error(hinge("calibrate", "--source", "live"), "no RealSense camera found")
