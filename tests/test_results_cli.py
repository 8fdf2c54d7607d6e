"""`hinge-kiosk roster` and `hinge-kiosk results` as a coach uses them: import, list, show,
export (CSV round trip through the csv module), delete an athlete, override a verdict;
one-line errors; private export files."""

from __future__ import annotations

import csv
import math
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli.root import main
from kiosk.core.drill import RepResult
from kiosk.results.export import NUMERIC, REP_COLUMNS, SESSION_COLUMNS, unguard
from kiosk.results.silhouette import decode, encode
from kiosk.results.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]

# Names a spreadsheet or a CSV writer can get wrong: commas, quotes, non-ASCII, formulas.
NAMES = {
    "A1": 'Doe, "JJ" Jane',
    "A2": "=HYPERLINK(\"http://evil\",\"x\")",
    "A3": "Zoë Ünal 李",
    "A4": "+1 Plus",
    "A5": "-Minus, @At",
    "A6": "'=already quoted",
}


def rep(i: int, wall_in: float, faults: tuple[str, ...] = (), h2w_mm: float = -4.5,
        drill: str = "wall") -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=h2w_mm, max_knee_flexion_deg=11.0 + i,
                     max_trunk_angle_deg=45.5, faults=faults, passed=not faults, drill=drill)  # type: ignore[arg-type]


def run(*args: str) -> int:
    return main(list(args))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with the NAMES roster and one finished session per athlete (A6 unfinished)."""
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "team", "position", "barcode"])
        for i, (aid, name) in enumerate(NAMES.items()):
            w.writerow([aid, name, "Row, ing" if i % 2 else "=Team", "Bow", f"90{i}"])
    path = tmp_path / "state" / "results.sqlite3"
    assert run("roster", "import", str(roster), "--db", str(path)) == 0
    with ResultsStore.open(path, station_id="kiosk-7") as s:
        for aid in NAMES:
            sid = s.start_session(aid)
            s.save_rep(sid, rep(0, 6.0, h2w_mm=math.nan, drill="dowel"))
            rid = s.save_rep(sid, rep(1, 6.0))
            s.save_rep(sid, rep(2, 8.0, ("knees_bent", "back_rounded")))
            if aid != "A6":
                s.save_session(sid, notes=f"line one\nline two, \"quoted\" {NAMES[aid]}")
            sil = encode(__import__("numpy").array([[0.0, 0.2], [0.1, 1.5], [-0.3, 1.0]]))
            assert sil is not None
            s.save_silhouette(sid, rid, sil.png, width_px=sil.width_px, height_px=sil.height_px,
                              mm_per_px=sil.mm_per_px)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_export_round_trip(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "export" / "day1"
    assert run("results", "export", str(out), "--db", str(db)) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for name in ("sessions.csv", "reps.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    sessions = read_csv(out / "sessions.csv")
    reps = read_csv(out / "reps.csv")
    assert list(sessions[0]) == list(SESSION_COLUMNS) and list(reps[0]) == list(REP_COLUMNS)
    with ResultsStore.open(db, create=False) as s:
        stored = {x.id: x for x in s.sessions()}
        assert len(sessions) == len(stored) == 6 and len(reps) == 18
        for row in sessions:
            x = stored[row["session_id"]]
            # No text cell can start a formula; unguarding gives back exactly what was stored.
            assert not any(v.startswith(("=", "+", "-", "@")) for k, v in row.items() if k not in NUMERIC)
            assert unguard(row["name"]) == NAMES[x.athlete_id or ""] == x.name
            assert unguard(row["team"]) == x.team and unguard(row["notes"]) == x.notes
            assert row["started_utc"] == x.started_utc and row["started_utc"].endswith("Z")
            assert row["status"] == ("finished" if x.finished else "unfinished")
            if x.finished:
                assert float(row["hinge_depth_in"]) == x.hinge_depth_in == 6.0
                assert int(row["reps"]) == 3 and int(row["passed"]) == 2
                assert row["faults"] == "knees_bent=1; back_rounded=1"
        by_id = {r.id: r for x in stored.values() for r in s.reps(x.id)}
    for row in reps:
        r = by_id[row["rep_id"]]
        assert int(row["rep"]) == r.index and row["drill"] == r.drill
        if r.min_hip_to_wall_mm is None:
            assert row["min_hip_to_wall_mm"] == ""
        else:
            assert float(row["min_hip_to_wall_mm"]) == r.min_hip_to_wall_mm == -4.5  # a number, not guarded
        assert row["verdict"] == ("PASS" if r.passed else "FAIL")
        assert row["faults"].split("; ") == list(r.faults) or (row["faults"] == "" and not r.faults)
        assert unguard(row["name"]) == NAMES[unguard(row["athlete_id"])]


def test_list_show_and_silhouette(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("results", "list", "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert "6 sessions" in out and "Zoë Ünal 李" in out and "unfinished" in out and "kiosk-7" in out
    with ResultsStore.open(db, create=False) as s:
        sid = s.sessions(athlete_id="A1")[0].id
    png = tmp_path / "sil.png"
    assert run("results", "show", sid[:8], "--silhouette", str(png), "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert 'Doe, "JJ" Jane (A1)' in out and "FAIL: knees bent, back rounded" in out
    assert "2/3 reps passed; hinge depth 6 in" in out and "dowel" in out
    assert 'notes: line one / line two, "quoted"' in out  # no raw line breaks or escapes in the terminal
    assert decode(png.read_bytes()).any() and stat.S_IMODE(png.stat().st_mode) == 0o600
    assert run("roster", "list", "--team", "Row, ing", "--db", str(db)) == 0
    assert "3 athletes" in capsys.readouterr().out


def test_override_shows_in_show_and_export(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ResultsStore.open(db, create=False) as s:
        sid = s.sessions(athlete_id="A3")[0].id
    assert run("results", "override", sid, "2", "--pass", "--coach", "Coach K", "--reason", "glare",
               "--db", str(db)) == 0
    capsys.readouterr()
    assert run("results", "show", sid, "--db", str(db)) == 0
    out = capsys.readouterr().out
    assert "3/3 reps passed" in out and "overridden to PASS by Coach K" in out and "glare" in out
    assert run("results", "export", str(tmp_path / "x"), "--db", str(db)) == 0
    row = next(r for r in read_csv(tmp_path / "x" / "reps.csv") if r["session_id"] == sid and r["rep"] == "2")
    assert (row["verdict"], row["kiosk_verdict"], row["override_by"], row["override_reason"]) == (
        "PASS", "FAIL", "Coach K", "glare")
    no_rep = ("results", "override", sid, "9", "--fail", "--coach", "K", "--reason", "r", "--db", str(db))
    assert run(*no_rep) == 2


def test_delete_athlete(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert run("results", "delete-athlete", "A1", "--db", str(db)) == 2
    assert "needs --yes" in capsys.readouterr().err
    assert run("results", "delete-athlete", "A1", "--yes", "--db", str(db)) == 0
    assert "1 sessions, 3 reps" in capsys.readouterr().out
    with ResultsStore.open(db, create=False) as s:
        assert s.sessions(athlete_id="A1") == [] and s.athlete_name("A1") is None
        assert len(s.sessions()) == 5
    assert run("results", "delete-athlete", "A1", "--yes", "--db", str(db)) == 2


def hinge(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_errors_are_one_line_no_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\nA1,Jane\nA2,\n", encoding="utf-8")
    db = tmp_path / "r.sqlite3"
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database " * 500)
    empty = tmp_path / "empty.sqlite3"
    cases = [
        (("roster", "import", str(bad), "--db", str(db)), "line 3: name is empty"),
        (("roster", "import", str(tmp_path / "nope.csv"), "--db", str(db)), "nope.csv not found"),
        (("results", "list", "--db", str(db)), "no results database"),  # the bad imports made none
        (("results", "list", "--db", str(tmp_path / "missing.sqlite3")), "no results database"),
        (("results", "list", "--db", str(not_db)), "not a database"),
        (("results", "show", "0123", "--db", str(empty)), "no session"),
        (("results", "export", str(not_db), "--db", str(empty)), "cannot write the export"),
    ]
    ResultsStore.open(empty).close()
    for args, needle in cases:
        rc = run(*args)
        err = capsys.readouterr().err.strip()
        assert rc == 2, (args, err)
        assert len(err.splitlines()) == 1 and err.startswith("hinge-kiosk: error: ") and needle in err, err
    # The real entry point, as a process: no traceback either.
    res = hinge("roster", "import", str(bad), "--db", str(db))
    err = res.stderr.strip()
    assert res.returncode == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("hinge-kiosk: error: ") and "line 3: name is empty" in err, err
    assert not (tmp_path / "missing.sqlite3").exists()
    assert not db.exists()  # a roster that is not imported leaves no database behind


def test_team_filters_match_whatever_the_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: `results list --team rowing` listed "0 sessions" for the team "Rowing".
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,team\nR1,Ann Alpha,Rowing\nR2,Bo Beta,Rowing\nO1,Åsa Öst,Ökonomi\n"
                      "T1,Cy Track,Track\n", encoding="utf-8")
    db = tmp_path / "r.sqlite3"
    assert run("roster", "import", str(roster), "--db", str(db)) == 0
    with ResultsStore.open(db, station_id="kiosk-7") as s:
        for aid in ("R1", "R2", "O1", "T1"):
            sid = s.start_session(aid)
            s.save_rep(sid, rep(0, 6.0))
            s.save_session(sid)
    capsys.readouterr()
    for team, n in (("rowing", 2), ("ROWING", 2), ("Rowing", 2), ("öKONOMI", 1), ("row", 0)):
        assert run("results", "list", "--team", team, "--db", str(db)) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[-1] == f"{n} session{'s' if n != 1 else ''}", (team, out)
        assert run("roster", "list", "--team", team, "--db", str(db)) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[-1] == f"{n} athlete{'s' if n != 1 else ''}", (team, out)
    assert run("results", "export", str(tmp_path / "csv"), "--team", "rowing", "--db", str(db)) == 0
    assert "(2 sessions)" in capsys.readouterr().out
    assert sorted(r["name"] for r in read_csv(tmp_path / "csv" / "sessions.csv")) == ["Ann Alpha", "Bo Beta"]


def test_roster_import_of_a_missing_file_or_a_folder_says_so(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: `roster import missing.csv` said "missing.csv: 1 bad line, nothing imported: cannot
    # read (No such file or directory)", as if the file had a bad line.
    db = str(tmp_path / "r.sqlite3")
    res = hinge("roster", "import", "missing.csv", "--db", db, cwd=tmp_path)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr == ("hinge-kiosk: error: roster file missing.csv not found: check the file name and "
                          "folder; nothing imported\n"), res.stderr
    assert not (tmp_path / "r.sqlite3").exists()  # no empty database left behind by a bad file
    (tmp_path / "team.csv").mkdir()
    assert run("roster", "import", str(tmp_path / "team.csv"), "--db", db) == 2
    assert capsys.readouterr().err == (f"hinge-kiosk: error: roster file {tmp_path / 'team.csv'} is a "
                                       "folder, not a CSV file: give the path of the CSV in it; nothing "
                                       "imported\n")
    # A file that is there but has no athletes names no "bad line" either.
    (tmp_path / "empty.csv").write_text("\n\n")
    assert run("roster", "import", str(tmp_path / "empty.csv"), "--db", db) == 2
    assert capsys.readouterr().err == (f"hinge-kiosk: error: {tmp_path / 'empty.csv'}: nothing imported: "
                                       "empty file (expected a header line: id,name,team,position,barcode)\n")
