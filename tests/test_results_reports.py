"""Printed reports (issue 15): multi-page PDFs with real text and matplotlib charts, checked by
the words pdftotext finds against numbers worked out here from the data the test inserts;
PNG pages; the club's units in reports and the CSV export; one line without matplotlib."""

from __future__ import annotations

import csv
import math
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from core_synth import Pose, body_samples

from kiosk.cli.root import main
from kiosk.core.drill import RepResult
from kiosk.results import report_athlete, report_team
from kiosk.results.report_side import side_geometry
from kiosk.results.silhouette import Silhouette, decode, encode
from kiosk.results.store import ResultsStore

TEAM = "Rowing"
LAST_A1 = "2024-05-02T17:45"  # A1's latest session: an afternoon, so the time shows
H2W_MM = 45.0  # the best rep's hips-to-wall: far enough from the buttocks to tell the wall apart
def rep(i: int, wall_in: float, faults: tuple[str, ...] = (), h2w_mm: float = -3.0) -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=h2w_mm, max_knee_flexion_deg=12.0 + i,
                     max_trunk_angle_deg=52.0, faults=faults, passed=not faults, drill="wall")  # type: ignore[arg-type]


def hinge_points(trunk_deg: float = 60.0) -> tuple[np.ndarray, float]:
    """A hinged capsule body's surface points (x forward, y up, z) and its buttocks' x."""
    pts, _, truth = body_samples(Pose(shank_deg=8.0, knee_deg=16.0, trunk_deg=trunk_deg), dens=1.5e4, seed=3)
    return pts, float(truth.buttocks_x_m)


def add_session(store: ResultsStore, aid: str, day: str, reps: list[RepResult],
                sil: Silhouette | None = None) -> str:
    """A finished session started at `day` (a date: 09:00 UTC; or 'YYYY-MM-DDTHH:MM')."""
    start = day if "T" in day else f"{day}T09:00"
    sid = store.start_session(aid, started_utc=f"{start}:00.000Z")
    ids = [store.save_rep(sid, r) for r in reps]
    if sil is not None:  # the kiosk keeps the best rep's: here the deepest passed one
        best = max((r for r in reps if r.passed), key=lambda r: r.wall_distance_in)
        store.save_silhouette(sid, ids[reps.index(best)], sil.png, width_px=sil.width_px,
                              height_px=sil.height_px, mm_per_px=sil.mm_per_px)
    store.save_session(sid, ended_utc=f"{start[:10]}T23:10:00.000Z")
    return sid


def make_silhouette() -> Silhouette:
    s = encode(hinge_points()[0])
    assert s is not None
    return s


def build_store(path: Path, sil: Silhouette) -> ResultsStore:
    """Rowing: A1 progresses 8 -> 12 in over 4 sessions (a coach passed one rep), A2 reached
    14 then 10, A3 one session with back_rounded twice (needs a coach's eye). S1 in Sailing."""
    s = ResultsStore.open(path, station_id="kiosk-1")
    with s.transaction() as c:
        for aid, name, team, pos in (("A1", "Jane Doe", TEAM, "Bow"), ("A2", "Sam Lee", TEAM, "Stroke"),
                                     ("A3", "Alex Kim", TEAM, "Cox"), ("S1", "Sol Ray", "Sailing", "Helm")):
            c.execute("INSERT INTO athletes (id, name, team, position, imported_utc) "
                      "VALUES (?, ?, ?, ?, 'x')", (aid, name, team, pos))
    for day, top in (("2024-03-01", 8), ("2024-03-15", 10), ("2024-04-01", 10)):
        add_session(s, "A1", day, [rep(0, 6), rep(1, top), rep(2, top + 2, ("wall_not_reached",), 40.0)], sil)
    last = add_session(s, "A1", LAST_A1, [rep(0, 6), rep(1, 8), rep(2, 10, ("back_rounded",)),
                                               rep(3, 12, h2w_mm=H2W_MM),
                                               rep(4, 14, ("knees_bent",), 30.0)], sil)
    s.override_rep(s.reps(last)[2].id, True, (), "K. Smith", "glare on the back")
    add_session(s, "A2", "2024-04-01", [rep(0, 6), rep(1, 14), rep(2, 16, ("back_rounded",), 20.0)], sil)
    a2 = add_session(s, "A2", "2024-05-02", [rep(0, 6), rep(1, 10), rep(2, 12, ("knees_bent",))], sil)
    s.override_rep(s.reps(a2)[0].id, False, ("head_not_neutral",), "K. Smith", "looked up")
    add_session(s, "A3", "2024-05-02", [rep(0, 6), rep(1, 8, ("back_rounded",)),
                                        rep(2, 8, ("back_rounded", "head_not_neutral")), rep(3, 8)], sil)
    add_session(s, "S1", "2024-05-02", [rep(0, 6), rep(1, 20), rep(2, 22, ("back_rounded",)),
                                        rep(3, 22, ("back_rounded",))], sil)
    return s


@pytest.fixture(scope="module")
def sil() -> Silhouette:
    return make_silhouette()


def _set_zone(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()


@pytest.fixture(autouse=True)
def utc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reports print local times; these tests read them in UTC unless a test sets a zone."""
    _set_zone(monkeypatch, "UTC")
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def store(tmp_path: Path, sil: Silhouette) -> Iterator[ResultsStore]:
    s = build_store(tmp_path / "results.sqlite3", sil)
    yield s
    s.close()


def pdf_text(path: Path) -> str:
    """The PDF's text as pdftotext reads it (so real text, not a picture), whitespace folded."""
    assert path.read_bytes()[:5] == b"%PDF-"
    res = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(res.stdout.split())


def pdf_pages(path: Path) -> int:
    res = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(ln.split()[1] for ln in res.stdout.splitlines() if ln.startswith("Pages:")))


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                                   reason="poppler-utils (pdftotext, pdfinfo) not installed")


def test_side_geometry_finds_the_buttocks_and_places_the_wall_and_dowel() -> None:
    pts, buttocks_x = hinge_points()
    s = encode(pts)
    assert s is not None
    gray = decode(s.png)
    x0 = float(pts[:, 0].min()) - 0.05  # silhouette.rasterise's left edge for a body under 3 m
    geo = side_geometry(gray, s.mm_per_px, H2W_MM)
    assert geo.buttocks_px is not None and geo.wall_col is not None and geo.dowel_px is not None
    assert geo.buttocks_px[0] == math.floor((buttocks_x - x0) * 1000 / s.mm_per_px)
    assert geo.wall_col == pytest.approx(geo.buttocks_px[0] - H2W_MM / s.mm_per_px)
    (c0, r0), (c1, r1) = geo.dowel_px
    tilt_deg = math.degrees(math.atan2(abs(c1 - c0), abs(r1 - r0)))  # from vertical
    assert 50 < tilt_deg < 75  # along a 60 degree trunk, not the thighs or the arms
    assert min(c0, c1) <= geo.buttocks_px[0] + 3  # it reaches back to the sacrum


@needs_poppler
def test_times_are_the_clubs_local_time_and_say_so(
    store: ResultsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A1's latest session started 17:45 UTC (build_store): 12:45 in Chicago on 2 May (CDT).
    _set_zone(monkeypatch, "America/Chicago")
    (out,) = report_athlete.athlete_report(store, "A1", tmp_path / "a1.pdf")
    text = pdf_text(out)
    assert "latest session 2024-05-02 12:45 CDT" in text and "Times are local" in text
    assert "2024-04-01 04:00" in text  # the earlier sessions too (09:00 UTC)
    assert "17:45" not in text and "UTC" not in text


def test_athlete_pdf_has_real_text_pages_and_the_numbers(store: ResultsStore, tmp_path: Path) -> None:
    # What the test built (build_store): A1's depths by session 8, 10, 10, 12 in (the latest
    # at 17:45 UTC, with a coach's PASS on rep 2), the latest session's knee peaks 12..16 deg.
    depths = [8.0, 10.0, 10.0, 12.0]
    change = depths[-1] - depths[-2]
    knee_latest = sum(12.0 + i for i in range(5)) / 5
    (out,) = report_athlete.athlete_report(store, "A1", tmp_path / "a1.pdf")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = pdf_text(out)
    assert pdf_pages(out) == 2
    assert "Jane Doe" in text and "id A1, Rowing, Bow" in text
    assert f"Since last session {change:+.0f} in" in text
    assert f"{max(depths):.0f} in" in text and "vs 2024-04-01 09:00" in text
    assert "2024-05-02 17:45" in text  # session times, not only dates
    assert f"Target {max(depths):.0f}-{max(depths) + 2:.0f} in next wall step" in " ".join(text.split())
    assert "Knee flexion by session" in text and "Trunk angle by session" in text and "limit 35" in text
    row = f"2024-05-02 17:45 kiosk-1 4/5 12 in {change:+.0f} in {knee_latest:.0f} 52 1 rep"
    assert row in text
    assert "PASS set by K. Smith" in text and "glare on the back" in text  # the override, who and why
    assert "hips 1.8 in short of the wall" in text  # 45 mm of the kept rep, in inches


def test_athlete_report_in_centimetres(store: ResultsStore, tmp_path: Path) -> None:
    (out,) = report_athlete.athlete_report(store, "A1", tmp_path / "a1.pdf", report_athlete.ReportSettings(
        units=report_athlete.data.Units("cm"), target_in=(12 / 2.54, 16 / 2.54)))
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = pdf_text(out)
    assert f"Best hinge depth {12 * 2.54:.0f} cm" in text  # 12 in = 30.5 cm
    assert f"Since last session {2 * 2.54:+.0f} cm" in text
    assert "Target 12-16 cm target (coach)" in text
    assert "hinge depth (cm)" in text and "hips 4.5 cm short of the wall" in text
    assert " in " not in text.replace("passed with good form", "")  # no inch left anywhere


def test_png_pages_and_the_silhouette(store: ResultsStore, tmp_path: Path) -> None:
    files = report_athlete.athlete_report(store, "A1", tmp_path / "a1.png")
    assert files == [tmp_path / "a1.png", tmp_path / "a1-2.png"]
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and stat.S_IMODE(f.stat().st_mode) == 0o600
    import matplotlib.image as mpimg

    px = mpimg.imread(files[0])
    assert px.shape[:2] == (int(11.69 * 150), int(8.27 * 150))  # A4 at 150 dpi
    side = px[480:1150, 80:620, :3]  # the side view's panel (page 1, left)
    blue = (side[..., 2] > 0.7) & (side[..., 0] < 0.6)
    assert blue.sum() > 5000  # the silhouette is drawn


def test_athlete_report_with_one_session_and_none_passed(tmp_path: Path, sil: Silhouette) -> None:
    with ResultsStore.open(tmp_path / "r.sqlite3") as s:
        with s.transaction() as c:
            c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES ('B1', 'Bo', 'T', 'x')")
        add_session(s, "B1", "2024-05-02", [rep(0, 6, ("knees_bent",)), rep(1, 6, ("knees_bent",))])
        hist = report_athlete.athlete_history(s, "B1")
        nums = report_athlete.athlete_numbers(hist)
        assert nums.best_in is None and nums.change_in is None
        assert (nums.latest_passed, nums.latest_reps) == (0, 2)
        (out,) = report_athlete.athlete_report(s, "B1", tmp_path / "b1.pdf")
        if shutil.which("pdftotext") is not None:
            text = pdf_text(out)
            assert "Best hinge depth none" in text and "no silhouette saved" in text
            assert "Since last session - needs 2 sessions" in text


def test_team_ranking_spread_and_needs_attention(store: ResultsStore, tmp_path: Path) -> None:
    ranked = report_team.team_ranking(store, TEAM)
    assert [(r.athlete_id, r.best_in, r.latest_in, r.sessions, r.change_in) for r in ranked] == [
        ("A2", 14.0, 10.0, 2, -4.0), ("A1", 12.0, 12.0, 4, 2.0), ("A3", 8.0, 8.0, 1, None)]
    # A3: back rounded in 2 of 4 reps (and faults in half). A2's latest has 2 of 3 faulted
    # once the coach failed rep 0: half or more.
    attention = report_team.needs_attention(store, TEAM)
    assert [a.athlete_id for a in attention] == ["A3", "A2"]  # by name
    assert attention[0].reasons == ("faults in 2 of 4 reps", "back rounded in 2 reps")
    best = [14.0, 12.0, 8.0]
    mean = sum(best) / 3
    sd = math.sqrt(sum((b - mean) ** 2 for b in best) / 2)
    (out,) = report_team.team_report(store, TEAM, tmp_path / "team.pdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = pdf_text(out)
    assert pdf_pages(out) == 2
    assert f"best hinge depth 3 {mean:.1f} in {sd:.1f} in 12.0 in 8 in 14 in" in text
    assert "change since last session 2 -1.0 in" in text  # A2 -4, A1 +2
    for i, (name, b) in enumerate((("Sam Lee", 14), ("Jane Doe", 12), ("Alex Kim", 8)), start=1):
        assert f"{i} {name}" in text and f"{b} in" in text
    assert "Sol Ray" not in text  # another team
    assert "Needs a coach's eye" in text and "Alex Kim (A3)" in text and "back rounded in 2 reps" in text
    assert "2024-05-02 17:45" in text and "Hinge depth over time" in text


@needs_poppler
def test_cli_reports_units_from_the_config_and_target(store: ResultsStore, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    db = str(store.path)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[display]\nunits = "cm"\n')
    out = tmp_path / "a1.pdf"
    assert main(["results", "report", "A1", "--out", str(out), "--db", db, "--config", str(cfg),
                 "--target", "30-40"]) == 0
    assert capsys.readouterr().out == f"wrote {out} (athlete A1)\n"
    text = pdf_text(out)
    assert "Target 30-40 cm target (coach)" in text and f"{12 * 2.54:.0f} cm" in text
    assert main(["results", "team-report", "rowing", "--out", str(tmp_path / "t.pdf"), "--db", db,
                 "--units", "in"]) == 0  # --units wins over any config
    assert "Team Rowing" in pdf_text(tmp_path / "t.pdf") and "11.3 in" in pdf_text(tmp_path / "t.pdf")
    assert main(["results", "report", "A1", "--out", str(tmp_path / "x.pdf"), "--db", db,
                 "--target", "16-12"]) == 2
    assert main(["results", "report", "NOPE", "--out", str(tmp_path / "x.pdf"), "--db", db]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "LO must be below HI" in err[0] and "no athlete" in err[1]
    assert not (tmp_path / "x.pdf").exists()


def test_csv_export_in_the_clubs_units(store: ResultsStore, tmp_path: Path) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text('[display]\nunits = "cm"\n')
    assert main(["results", "export", str(tmp_path / "cm"), "--db", str(store.path), "--config", str(cfg),
                 "--athlete", "A1"]) == 0
    with open(tmp_path / "cm" / "sessions.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert "hinge_depth_cm" in rows[0] and "hinge_depth_in" not in rows[0]
    assert [float(r["hinge_depth_cm"]) for r in rows] == [round(d * 2.54, 1) for d in (8, 10, 10, 12)]
    with open(tmp_path / "cm" / "reps.csv", encoding="utf-8-sig", newline="") as f:
        reps = list(csv.DictReader(f))
    assert float(reps[0]["wall_distance_cm"]) == round(6 * 2.54, 1) and "min_hip_to_wall_mm" in reps[0]
    assert main(["results", "export", str(tmp_path / "in"), "--db", str(store.path), "--units", "in"]) == 0
    header = (tmp_path / "in" / "sessions.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "hinge_depth_in" in header.split(",")


def test_without_matplotlib_one_line_names_the_extra(store: ResultsStore, tmp_path: Path) -> None:
    code = ("import sys; sys.modules['matplotlib'] = None; from kiosk.cli.root import main; "
            f"sys.exit(main(['results', 'report', 'A1', '--out', {str(tmp_path / 'a.pdf')!r}, "
            f"'--db', {str(store.path)!r}]))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and "pip install 'hinge-kiosk[reports]'" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "a.pdf").exists()


def test_report_commands_print_their_line_and_no_pygame_banner(store: ResultsStore, tmp_path: Path) -> None:
    # Issue 15: every report command printed pygame's banner ("pygame-ce 2.5.8 (SDL ...)")
    # before its own line. The real entry point, as a process, without the variable that hides it.
    env = {k: v for k, v in os.environ.items() if k != "PYGAME_HIDE_SUPPORT_PROMPT"}
    db = str(store.path)
    a1, team = tmp_path / "a1.png", tmp_path / "t.pdf"
    a1_pages = f"wrote {a1}, {tmp_path / 'a1-2.png'} (athlete A1)"
    for args, line in ((("report", "A1", "--out", str(a1)), a1_pages),
                       # The team as the coach types it: the page and the line carry the roster's spelling.
                       (("team-report", "rowing", "--out", str(team)), f"wrote {team} (team {TEAM})")):
        res = subprocess.run([sys.executable, "-m", "kiosk.cli", "results", *args, "--db", db], env=env,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert res.stdout == line + "\n" and res.stderr == "", (res.stdout, res.stderr)


if __name__ == "__main__":  # python tests/test_results_reports.py OUTDIR: sample reports to look at
    import tempfile

    outdir = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp, build_store(Path(tmp) / "r.sqlite3", make_silhouette()) as st:
        for suffix in (".pdf", ".png"):
            report_athlete.athlete_report(st, "A1", outdir / f"report-athlete{suffix}")
            report_team.team_report(st, TEAM, outdir / f"report-team{suffix}")
