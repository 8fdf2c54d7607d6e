"""Printed reports: the athlete page (silhouette with wall and dowel, trend, rep table) and the
team page (ranking, needs a coach's eye), as PNG and PDF, checked by size and by content
found in the pixels (colours the report modules name)."""

from __future__ import annotations

import math
import os
import stat
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pygame
import pytest
from core_synth import Pose, body_samples

from kiosk.app.shapes import WALL
from kiosk.cli import main
from kiosk.core.drill import RepResult
from kiosk.results import report_athlete, report_draw, report_team
from kiosk.results.pdf import image_pdf
from kiosk.results.report_side import layout, side_geometry
from kiosk.results.silhouette import Silhouette, decode, encode
from kiosk.results.store import ResultsStore

TEAM = "Rowing"
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
    sid = store.start_session(aid, started_utc=f"{day}T09:00:00.000Z")
    ids = [store.save_rep(sid, r) for r in reps]
    if sil is not None:  # the kiosk keeps the best rep's: here the deepest passed one
        best = max((r for r in reps if r.passed), key=lambda r: r.wall_distance_in)
        store.save_silhouette(sid, ids[reps.index(best)], sil.png, width_px=sil.width_px,
                              height_px=sil.height_px, mm_per_px=sil.mm_per_px)
    store.save_session(sid, ended_utc=f"{day}T09:10:00.000Z")
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
    last = add_session(s, "A1", "2024-05-02", [rep(0, 6), rep(1, 8), rep(2, 10, ("back_rounded",)),
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


@pytest.fixture
def store(tmp_path: Path, sil: Silhouette) -> Iterator[ResultsStore]:
    s = build_store(tmp_path / "results.sqlite3", sil)
    yield s
    s.close()


def load(path: Path) -> np.ndarray:
    """(W, H, 3) pixels of a written PNG, loaded by pygame (so a valid PNG)."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = pygame.image.load(str(path))
    assert img.get_size() == report_draw.PAGE_SIZE
    return pygame.surfarray.array3d(img)


def colour_mask(px: np.ndarray, rect: pygame.Rect, colour: tuple[int, int, int]) -> np.ndarray:
    sub = px[rect.x:rect.right, rect.y:rect.bottom]
    return np.all(sub == np.array(colour), axis=2)


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of runs of True."""
    out, start = [], None
    for i, f in enumerate([*flags.tolist(), False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i))
            start = None
    return out


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


def test_athlete_report_png_shows_silhouette_wall_trend_and_is_private(store: ResultsStore, sil: Silhouette,
                                                                       tmp_path: Path) -> None:
    out = report_athlete.athlete_report(store, "A1", tmp_path / "a1.png")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert 20_000 < out.stat().st_size < 1_500_000
    px = load(out)
    side = report_athlete.SIDE_RECT
    panel = px[side.x:side.right, side.y:side.bottom]
    body = (panel[..., 2] > 150) & (panel[..., 0] < 150)
    assert body.sum() > 5000  # the silhouette is there, in blues
    gray = decode(sil.png)
    geo = side_geometry(gray, sil.mm_per_px, H2W_MM)  # the best rep: 12 in, 45 mm short of the wall
    assert geo.wall_col is not None
    scale, x0, _ = layout(side, gray.shape[1], gray.shape[0], geo.wall_col)
    wall_cols = np.flatnonzero(colour_mask(px, side, WALL).sum(axis=1) > 100) + side.x
    assert len(wall_cols) and abs(wall_cols.mean() - (x0 + geo.wall_col * scale)) <= 3
    dots = colour_mask(px, report_athlete.TREND_RECT, report_athlete.DOT)
    assert len(runs(dots.any(axis=1))) == 4  # one point per session


def test_athlete_report_with_one_session_and_none_passed(tmp_path: Path, sil: Silhouette) -> None:
    with ResultsStore.open(tmp_path / "r.sqlite3") as s:
        with s.transaction() as c:
            c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES ('B1', 'Bo', 'T', 'x')")
        add_session(s, "B1", "2024-05-02", [rep(0, 6, ("knees_bent",)), rep(1, 6, ("knees_bent",))])
        px = load(report_athlete.athlete_report(s, "B1", tmp_path / "b1.png"))
        assert not colour_mask(px, report_athlete.TREND_RECT, report_athlete.DOT).any()  # no depth: no dot
        with s.transaction() as c:
            c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES ('B2', 'Bea', 'T', 'x')")
        add_session(s, "B2", "2024-05-02", [rep(0, 6), rep(1, 8)], sil)
        px = load(report_athlete.athlete_report(s, "B2", tmp_path / "b2.png"))
        assert len(runs(colour_mask(px, report_athlete.TREND_RECT, report_athlete.DOT).any(axis=1))) == 1


def test_team_ranking_and_needs_attention(store: ResultsStore, tmp_path: Path) -> None:
    ranked = report_team.team_ranking(store, TEAM)
    assert [(r.athlete_id, r.best_in, r.latest_in, r.sessions) for r in ranked] == [
        ("A2", 14.0, 10.0, 2), ("A1", 12.0, 12.0, 4), ("A3", 8.0, 8.0, 1)]
    # A3: back rounded in 2 of 4 reps (and faults in half). A2's latest has 2 of 3 faulted
    # once the coach failed rep 0: half or more.
    attention = report_team.needs_attention(store, TEAM)
    assert [a.athlete_id for a in attention] == ["A3", "A2"]  # by name
    assert attention[0].reasons == ("faults in 2 of 4 reps", "back rounded in 2 reps")
    px = load(report_team.team_report(store, TEAM, tmp_path / "team.png"))
    bars = colour_mask(px, pygame.Rect(0, 0, *report_draw.PAGE_SIZE), report_team.BAR)
    rows = runs(bars.any(axis=0))
    widths = [int(bars[:, a].sum()) for a, _ in rows]
    assert len(widths) == 3 and widths[0] > widths[1] > widths[2]
    assert widths[1] / widths[0] == pytest.approx(12 / 14, abs=0.02)


def test_pdf_is_one_page_with_the_image() -> None:
    data = image_pdf(2, 1, bytes([255, 0, 0, 0, 0, 255]))
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    assert data.count(b"/Type /Page ") == 1 and b"/Count 1" in data and b"/FlateDecode" in data
    xref = int(data.split(b"startxref\n")[1].split(b"\n")[0])
    assert data[xref:xref + 4] == b"xref"
    offsets = [int(line[:10]) for line in data[xref:].split(b"\n")[3:8]]
    assert [data[o:].split(b"\n")[0] for o in offsets] == [f"{i} 0 obj".encode() for i in range(1, 6)]
    image = data.split(b"stream\n")[1].split(b"\nendstream")[0]
    assert zlib.decompress(image) == bytes([255, 0, 0, 0, 0, 255])
    with pytest.raises(ValueError):
        image_pdf(2, 2, b"\x00" * 3)


def test_cli_writes_png_and_pdf_reports(store: ResultsStore, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    db = str(store.path)
    assert main(["results", "report", "A1", "--out", str(tmp_path / "a1.pdf"), "--db", db]) == 0
    pdf = (tmp_path / "a1.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page ") == 1
    assert stat.S_IMODE((tmp_path / "a1.pdf").stat().st_mode) == 0o600
    assert main(["results", "team-report", TEAM, "--out", str(tmp_path / "t.png"), "--db", db]) == 0
    load(tmp_path / "t.png")
    assert main(["results", "report", "NOPE", "--out", str(tmp_path / "x.png"), "--db", db]) == 2
    assert "no athlete" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_report_commands_print_their_line_and_no_pygame_banner(store: ResultsStore, tmp_path: Path) -> None:
    # Issue 15: every report command printed pygame's banner ("pygame-ce 2.5.8 (SDL ...)")
    # before its own line. The real entry point, as a process, without the variable that hides it.
    env = {k: v for k, v in os.environ.items() if k != "PYGAME_HIDE_SUPPORT_PROMPT"}
    db = str(store.path)
    a1, team = tmp_path / "a1.png", tmp_path / "t.pdf"
    for args, line in ((("report", "A1", "--out", str(a1)), f"wrote {a1} (athlete A1)"),
                       # The team as the coach types it: the page and the line carry the roster's spelling.
                       (("team-report", "rowing", "--out", str(team)), f"wrote {team} (team {TEAM})")):
        res = subprocess.run([sys.executable, "-m", "kiosk.cli", "results", *args, "--db", db], env=env,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        assert res.stdout == line + "\n" and res.stderr == "", (res.stdout, res.stderr)


if __name__ == "__main__":  # python tests/test_results_reports.py OUTDIR: sample pages to look at
    import tempfile

    outdir = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp, build_store(Path(tmp) / "r.sqlite3", make_silhouette()) as st:
        report_athlete.athlete_report(st, "A1", outdir / "report-athlete.png")
        report_team.team_report(st, TEAM, outdir / "report-team.png")
