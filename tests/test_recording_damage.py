"""Damaged recordings (issue 12, item 4): `analyze` on a recording with one corrupt depth
frame used to stop there and exit 0 ("0/0 reps passed ... 200 frames" where the intact
file gives 3/3 over 585), because the SDK ends the whole playback at the first message it
cannot read. Now the playback seeks past unreadable frames and goes on to the end, the
analysis counts them (`skipped_frames`, a warning line), and `analyze` exits 1 with one
line on stderr when the result cannot be trusted.

The recordings are real: written by the SDK's recorder (a software device, and the
simulated athlete for the end-to-end cases), then damaged where a disk or a copy would
damage them. A `.db3` is SQLite: every depth frame is one row of `messages` (topic
`/device_0/sensor_0/Depth_0/image/data...`, a CDR-wrapped PNG), so one frame is damaged
by cutting that row's blob in half; the playback then fails on exactly that frame.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hardware.frame import Intrinsics
from hardware.playback import PlaybackReport, RecordingSource
from hardware.software_device import SoftwareDepthDevice
from kiosk.analysis.recording import MAX_SKIP_RUN, skipped_warning, trust_problem

INTR = Intrinsics(width=848, height=480, fx=426.0, fy=426.0, ppx=423.5, ppy=239.5)
DEPTH_TOPIC = "/device_0/sensor_0/Depth_0/image/data%"


def _record(path: Path, n: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    frames = [rng.integers(300, 4000, size=(INTR.height, INTR.width), dtype=np.uint16) for _ in range(n)]
    dev = SoftwareDepthDevice(INTR, fps=30, record_to=path)
    for i, d in enumerate(frames):
        assert dev.push(d, i / 30.0, i) is not None
    dev.close()
    return frames


def damage_frames(src: Path, dst: Path, which: list[int] | range) -> None:
    """Copy `src` to `dst` with the depth frames `which` (0-based, in recording order) cut
    to half their bytes, as a bad sector or a torn copy leaves them."""
    dst.write_bytes(src.read_bytes())
    con = sqlite3.connect(dst)
    try:
        rows = con.execute(
            "SELECT m.id, m.data FROM messages m JOIN topics t ON t.id = m.topic_id "
            "WHERE t.name LIKE ? ORDER BY m.timestamp",
            (DEPTH_TOPIC,),
        ).fetchall()
        assert rows, "no depth messages: the recorder's layout changed"
        for i in which:
            mid, blob = rows[i]
            con.execute("UPDATE messages SET data = ? WHERE id = ?", (blob[: len(blob) // 2], mid))
        con.commit()
    finally:
        con.close()


def read_all(path: Path) -> tuple[list[int], PlaybackReport]:
    with RecordingSource(path) as src:
        indices = []
        while (f := src.read(5.0)) is not None:
            indices.append(f.index)
        return indices, src.report()


@pytest.fixture(scope="module")
def rec40(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damage") / "rec40.db3"
    _record(path, 40)
    return path


# --- the playback: skip, go on, count ----------------------------------------------------


def test_intact_recording_reports_nothing_skipped(rec40: Path) -> None:
    indices, rep = read_all(rec40)
    assert indices == list(range(40))
    assert rep == PlaybackReport(frames_read=40, frames_skipped=0, longest_skip=0, complete=True, exact=True)


def test_one_corrupt_frame_is_skipped_and_playback_goes_on(rec40: Path, tmp_path: Path) -> None:
    bad = tmp_path / "one_bad.db3"
    damage_frames(rec40, bad, [13])
    indices, rep = read_all(bad)
    assert indices == [i for i in range(40) if i != 13]  # before the fix: 0..12, then "the end"
    assert (rep.frames_read, rep.frames_skipped, rep.longest_skip) == (39, 1, 1)
    assert rep.complete and rep.exact
    assert rep.skips == ((pytest.approx(12 / 30.0, abs=1e-3), 1),)


def test_without_the_db3_index_the_count_is_estimated(
    rec40: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `.bag` path (no SQLite index): seeks step by the frame interval."""
    import hardware.playback as playback

    bad = tmp_path / "one_bad.db3"
    damage_frames(rec40, bad, [13, 25, 26])
    monkeypatch.setattr(playback, "depth_frame_times", lambda *a, **k: None)
    indices, rep = read_all(bad)
    assert indices == [i for i in range(40) if i not in (13, 25, 26)]
    assert rep.frames_skipped == 3 and rep.longest_skip == 2 and rep.complete and not rep.exact


def test_first_last_and_a_run_of_frames(rec40: Path, tmp_path: Path) -> None:
    bad = tmp_path / "several.db3"
    damage_frames(rec40, bad, [0, 7, 8, 9, 10, 39])
    indices, rep = read_all(bad)
    assert indices == [i for i in range(40) if i not in (0, 7, 8, 9, 10, 39)]
    assert rep.frames_skipped == 6 and rep.longest_skip == 4 and rep.complete
    assert [k for _, k in rep.skips] == [1, 4, 1] and rep.skips[0][0] is None


def test_damage_to_the_end_is_counted_not_mistaken_for_the_end(rec40: Path, tmp_path: Path) -> None:
    bad = tmp_path / "tail.db3"
    damage_frames(rec40, bad, range(10, 40))
    indices, rep = read_all(bad)
    assert indices == list(range(10))
    assert rep.frames_skipped == 30 and rep.longest_skip == 30 and rep.complete


# --- when the result can be trusted ------------------------------------------------------


def _report(read: int, skipped: int, longest: int, complete: bool = True) -> PlaybackReport:
    skips = ((6.6, longest),) if skipped else ()
    return PlaybackReport(read, skipped, longest, complete, exact=True, skips=skips)


@pytest.mark.parametrize(
    ("report", "needle"),
    [
        (_report(585, 0, 0), None),
        (_report(584, 1, 1), None),  # issue 12's file: one frame of 585
        (_report(574, 11, 1), None),  # 1.9 %, scattered
        (_report(1000, 15, MAX_SKIP_RUN), None),  # 0.5 s gap at 30 fps, 1.5 %
        (_report(1000, 16, MAX_SKIP_RUN + 1), "16 frames in a row"),
        (_report(573, 12, 3), "12 of 585 frames are unreadable"),  # 2.1 %
        (_report(200, 385, 385), "385 of 585 frames are unreadable"),
        (_report(570, 13, 13, complete=False), "stopped after 570 frames"),
    ],
)
def test_trust_rule(report: PlaybackReport, needle: str | None) -> None:
    problem = trust_problem(report)
    if needle is None:
        assert problem is None
    else:
        assert problem is not None and needle in problem and "\n" not in problem


def test_warning_line_says_how_many_and_where() -> None:
    assert skipped_warning(_report(585, 0, 0)) is None
    one = skipped_warning(_report(584, 1, 1))
    assert one == (
        "damaged recording: 1 unreadable frame skipped after 6.6 s; the analysis went on without them"
    )
    several = PlaybackReport(579, 6, 3, True, exact=False, skips=((None, 1), (3.3, 3), (10.0, 2)))
    line = skipped_warning(several)
    assert line is not None and "about 6 unreadable frames" in line
    assert "1 at the start, 3 after 3.3 s, 2 after 10.0 s" in line


# --- end to end: the simulated athlete, `hinge-kiosk analyze` ----------------------------

# Three clean dowel reps with brisk timings (~300 frames): the case of issue 12, shortened.
SCRIPT_OPTIONS: dict[str, Any] = {
    "reps": 3, "absent_s": 0.2, "walk_s": 0.8, "enter_x_m": -1.2, "exit_x_m": 1.2, "stand_s": 1.0,
    "descend_s": 0.8, "hold_s": 0.25, "ascend_s": 0.8, "pause_s": 0.6,
}


def run_analyze(rec: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """kiosk.cli.root.main as the console script runs it: exit code, stdout, stderr. An exception
    escaping main is what prints a traceback: it fails the test."""
    from kiosk.cli.root import main

    capsys.readouterr()
    try:
        rc = main(["analyze", str(rec), "--json", str(out)])
    except Exception as exc:
        pytest.fail(f"traceback: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    got = capsys.readouterr()
    return rc, got.out, got.err


@pytest.fixture(scope="module")
def athlete(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A simulated session through the SDK recorder and the number of depth frames in it."""
    from hardware.recorder import record_sim
    from hardware.sim.camera import Placement
    from hardware.sim.source import SimConfig

    rec = tmp_path_factory.mktemp("damage_e2e") / "dowel.db3"
    cfg = SimConfig(script="dowel_reps", script_options=SCRIPT_OPTIONS,
                    placement=Placement(distance_m=2.2, height_m=1.0, pitch_deg=0.5, side="right"), seed=11)
    res = record_sim(cfg, rec)
    return rec, res.frames


@pytest.fixture(scope="module")
def intact_doc(athlete: tuple[Path, int], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from kiosk.cli.root import main

    rec, n = athlete
    out = tmp_path_factory.mktemp("damage_intact") / "intact.json"
    assert main(["analyze", str(rec), "--json", str(out)]) == 0
    doc: dict[str, Any] = json.loads(out.read_text())
    assert len(doc["per_frame"]) == n and doc["skipped_frames"] == 0
    assert doc["summary"]["reps"] == 3  # the script's three reps
    return doc


def _verdicts(doc: dict[str, Any]) -> list[tuple[bool, list[str]]]:
    return [(r["passed"], r["faults"]) for r in doc["reps"]]


@pytest.mark.slow
def test_analyze_goes_past_one_corrupt_frame(
    athlete: tuple[Path, int], intact_doc: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, n = athlete
    bad = tmp_path / "one_bad.db3"
    damage_frames(rec, bad, [n // 3])  # mid-session, before the second rep
    rc, out, err = run_analyze(bad, tmp_path / "bad.json", capsys)
    assert rc == 0, err
    doc = json.loads((tmp_path / "bad.json").read_text())
    # It reached the end: every frame but the corrupt one, the same reps and verdicts.
    assert doc["skipped_frames"] == 1
    assert len(doc["per_frame"]) == n - 1
    assert doc["summary"] == intact_doc["summary"]
    assert _verdicts(doc) == _verdicts(intact_doc)
    # The DESIGN.md contract fields are all there, unchanged in kind.
    for key in ("recording", "fps", "facing", "per_frame", "reps", "summary"):
        assert key in doc
    assert doc["fps"] == pytest.approx(intact_doc["fps"], rel=0.01)
    assert any("1 unreadable frame skipped" in w for w in doc["warnings"])
    assert "warning: damaged recording: 1 unreadable frame skipped after" in out
    assert "3/3 reps passed" in out and err == ""


@pytest.mark.slow
def test_analyze_of_a_recording_damaged_to_the_end_exits_1(
    athlete: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec, n = athlete
    cut_at = n // 3
    bad = tmp_path / "torn.db3"
    damage_frames(rec, bad, range(cut_at, n))  # every frame from a third on is unreadable
    rc, _, err = run_analyze(bad, tmp_path / "torn.json", capsys)
    assert rc == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "torn.db3" in err and "cannot be trusted" in err and f"{n - cut_at} of {n} frames" in err
    doc = json.loads((tmp_path / "torn.json").read_text())  # written, with what was read and skipped
    assert doc["skipped_frames"] == n - cut_at and len(doc["per_frame"]) == cut_at


@pytest.mark.slow
def test_analyze_of_a_truncated_file_is_one_line(
    athlete: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file itself cut short at the page holding a third of the way's frame: SQLite
    cannot open it (its header promises pages that are gone)."""
    rec, n = athlete
    con = sqlite3.connect(f"{rec.resolve().as_uri()}?mode=ro", uri=True)
    blob = con.execute(
        "SELECT m.data FROM messages m JOIN topics t ON t.id = m.topic_id WHERE t.name LIKE ? "
        "ORDER BY m.timestamp LIMIT 1 OFFSET ?",
        (DEPTH_TOPIC, n // 3),
    ).fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = rec.read_bytes()
    at = data.find(blob[200:264])  # this frame's bytes on its b-tree page
    assert at > 0
    bad = tmp_path / "cut.db3"
    bad.write_bytes(data[: at // page * page])
    rc, _, err = run_analyze(bad, tmp_path / "cut.json", capsys)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "cut.db3" in err and "truncated or corrupt" in err
    assert not (tmp_path / "cut.json").exists()
