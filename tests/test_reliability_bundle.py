"""Crafted bundles (issue 12, item 7): a station's real bundle with rows altered and every
checksum in the manifest recomputed, so only the row checks can catch them. Each is refused
whole, with one line naming the member, the line and the field, and the target database is
unchanged. A bundle that inflates past the bound is refused before it is read. CSV export
guards every column."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kiosk.cli.root import main
from kiosk.core.drill import RepResult
from kiosk.results import bundle
from kiosk.results.export import REP_COLUMNS, SESSION_COLUMNS, to_csv, unguard
from kiosk.results.model import StoreError
from kiosk.results.silhouette import encode
from kiosk.results.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]
TABLES = ("athletes", "sessions", "reps", "rep_overrides", "silhouettes")


def rep(i: int, passed: bool = True) -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=6.0 + 2 * i, min_hip_to_wall_mm=-4.0 if passed else 55.0,
                     max_knee_flexion_deg=14.0, max_trunk_angle_deg=50.0,
                     faults=() if passed else ("knees_bent",), passed=passed, drill="wall")


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The members of a real bundle: two athletes, two sessions with reps, an override, a
    silhouette."""
    import numpy as np

    d = tmp_path_factory.mktemp("station")
    with ResultsStore.open(d / "a.sqlite3", station_id="station-a") as s:
        with s.transaction() as c:
            c.executemany("INSERT INTO athletes (id, name, team, position, barcode, imported_utc) VALUES "
                          "(?, ?, 'Rowing', 'Bow', ?, '2024-05-01T10:00:00.000Z')",
                          [("A1", "Ana Lima", "QR-1"), ("A2", "Bo Chen", None)])
        for aid in ("A1", "A2"):
            sid = s.start_session(aid)
            sil = encode(np.array([[0.0, 0.2], [0.1, 1.5], [-0.3, 1.0]]))
            assert sil is not None
            rid = s.save_rep(sid, rep(0))
            s.save_silhouette(sid, rid, sil.png, width_px=sil.width_px, height_px=sil.height_px,
                              mm_per_px=sil.mm_per_px)
            s.save_rep(sid, rep(1, passed=False))
            s.save_session(sid)
        s.override_rep(rid, True, (), "K. Smith", "glare")
        bundle.export_bundle(s, d / "a.hkb")
    with zipfile.ZipFile(d / "a.hkb") as z:
        return {n: z.read(n) for n in z.namelist()}


def craft(members: dict[str, bytes], path: Path, table: str, line: int, field: str, value: object) -> Path:
    """The bundle with one row's field set to `value` and the manifest's checksums redone."""
    out = dict(members)
    lines = out[f"{table}.jsonl"].decode().splitlines()
    rec = json.loads(lines[line - 1])
    rec[field] = value
    lines[line - 1] = json.dumps(rec)
    out[f"{table}.jsonl"] = ("\n".join(lines) + "\n").encode()
    write_bundle(out, path)
    return path


def write_bundle(out: dict[str, bytes], path: Path) -> None:
    manifest = json.loads(out["manifest.json"])
    manifest["members"] = {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                           for n, d in out.items() if n != "manifest.json"}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest))
        for n, d in out.items():
            if n != "manifest.json":
                z.writestr(n, d)


def target(tmp_path: Path) -> ResultsStore:
    s = ResultsStore.open(tmp_path / "central.sqlite3", station_id="central")
    with s.transaction() as c:
        c.execute("INSERT INTO athletes (id, name, imported_utc) VALUES ('Z9', 'Zoe', "
                  "'2024-05-01T10:00:00.000Z')")
    return s


def snapshot(s: ResultsStore) -> dict[str, int]:
    return {t: s.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


ESC = "\x1b]0;owned\x07\x1b[2J"
CRAFTED = [
    # (table, line, field, value, what the error must name)
    ("reps", 1, "min_hip_to_wall_mm", '=HYPERLINK("http://evil","x")',
     "reps.jsonl line 1: min_hip_to_wall_mm"),
    ("reps", 2, "wall_distance_in", "@SUM(A1:A9)", "reps.jsonl line 2: wall_distance_in"),
    ("sessions", 1, "hinge_depth_in", "+cmd|' /C calc'!A0", "sessions.jsonl line 1: hinge_depth_in"),
    ("sessions", 2, "reps", "2", "sessions.jsonl line 2: reps"),
    ("athletes", 1, "name", "A" * 10_000 + ESC, "athletes.jsonl line 1: name"),
    ("athletes", 2, "name", f"Bo{ESC}Chen", "athletes.jsonl line 2: name"),
    ("athletes", 1, "team", "Row\u202eing", "athletes.jsonl line 1: team"),
    ("reps", 1, "faults", '["cheating"]', "reps.jsonl line 1: faults"),
    ("reps", 1, "passed", 2, "reps.jsonl line 1: passed"),
    ("reps", 3, "max_knee_flexion_deg", 1e308, "reps.jsonl line 3: max_knee_flexion_deg"),
    ("reps", 1, "drill", "squat", "reps.jsonl line 1: drill"),
    ("reps", 1, "saved_utc", "yesterday", "reps.jsonl line 1: saved_utc"),
    ("reps", 1, "session_id", "f" * 32, "reps.jsonl line 1: session_id"),
    ("sessions", 1, "faults", '{"knees_bent": "many"}', "sessions.jsonl line 1: faults"),
    ("sessions", 1, "notes", "x" * 5000, "sessions.jsonl line 1: notes"),
    ("rep_overrides", 1, "coach", "", "rep_overrides.jsonl line 1: coach"),
    ("silhouettes", 1, "width_px", -1, "silhouettes.jsonl line 1: width_px"),
    ("reps", 1, "shell", "$(reboot)", "reps.jsonl line 1: shell"),
]


@pytest.mark.parametrize(("table", "line", "field", "value", "named"), CRAFTED,
                         ids=[f"{c[0]}.{c[2]}" for c in CRAFTED])
def test_crafted_rows_are_refused_whole_naming_member_line_and_field(
        members: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        table: str, line: int, field: str, value: object, named: str) -> None:
    path = craft(members, tmp_path / "crafted.hkb", table, line, field, value)
    with target(tmp_path) as s:
        before = snapshot(s)
        with pytest.raises(StoreError, match="nothing imported") as err:
            bundle.import_bundle(s, path)
        assert named in str(err.value) and "\n" not in str(err.value), str(err.value)
        assert snapshot(s) == before
    assert main(["results", "bundle-import", str(path), "--db", str(tmp_path / "central.sqlite3")]) == 2
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and named in out.err and "\x1b" not in out.err, out.err


def test_the_untouched_bundle_imports(members: dict[str, bytes], tmp_path: Path) -> None:
    """The guard for the cases above: the same bundle, rewritten the same way, imports."""
    path = tmp_path / "same.hkb"
    write_bundle(members, path)
    with target(tmp_path) as s:
        report = bundle.import_bundle(s, path)
        assert report.added == {"athletes": 2, "sessions": 2, "reps": 4, "rep_overrides": 1, "silhouettes": 2}


BOMB = """
import sys
from kiosk.results import bundle
from kiosk.results.store import ResultsStore
with ResultsStore.open(sys.argv[2], station_id="central") as s:
    try:
        bundle.import_bundle(s, sys.argv[1])
        print("imported")
    except Exception as err:
        print("refused:", err)
# VmHWM, not ru_maxrss: that one keeps the forking parent's peak across exec.
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print("peak_mib", int(hwm.split()[1]) // 1024)
"""


def test_a_bundle_that_inflates_past_the_bound_is_refused_before_it_is_read(
        members: dict[str, bytes], tmp_path: Path) -> None:
    """A 0.3 MB zip of 300 MB of blank lines (checksums right): refused from the zip's
    directory, in a process that never grows past 150 MiB."""
    out = dict(members)
    out["reps.jsonl"] = members["reps.jsonl"] + b" " * (300 << 20)
    path = tmp_path / "bomb.hkb"
    write_bundle(out, path)
    assert path.stat().st_size < 2 << 20
    res = subprocess.run([sys.executable, "-c", BOMB, str(path), str(tmp_path / "c.sqlite3")], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    refused, rss = res.stdout.splitlines()
    assert refused.startswith("refused:") and "reps.jsonl" in refused and "nothing imported" in refused
    assert int(rss.split()[1]) < 150, rss


def test_csv_export_guards_every_column_even_numbers_stored_as_text() -> None:
    formula = '=HYPERLINK("http://evil","x")'
    for columns in (SESSION_COLUMNS, REP_COLUMNS):
        text = to_csv(columns, [dict.fromkeys(columns, formula), {c: -4.5 for c in columns}])
        rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
        assert all(cell == "'" + formula for cell in rows[1]), rows[1]
        assert all(unguard(cell) == formula for cell in rows[1])
        assert all(cell == "-4.5" for cell in rows[2])  # numbers stay numbers
