"""Reports from the club server's merged view (issue 15): `results report` and `team-report`
with `--db postgresql://...` read what two stations synced, and say what the same data in
one station's file says. A throwaway PostgreSQL on loopback (test_results_sync's fixture)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_results_reports import TEAM, add_session, make_silhouette, rep
from test_results_sync import dsn, pg_server  # noqa: F401 - fixtures

from kiosk.cli.root import main
from kiosk.results.store import ResultsStore

pytest.importorskip("psycopg")
pytest.importorskip("matplotlib")
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


def test_reports_from_the_servers_merged_view(tmp_path: Path, dsn: str,  # noqa: F811
                                              capsys: pytest.CaptureFixture[str]) -> None:
    sil = make_silhouette()
    stations = []
    # Jane's first two sessions on the east station, the latest on the west one.
    for name, days in (("kiosk-east", [("2024-03-01", 8), ("2024-04-01T16:30", 10)]),
                       ("kiosk-west", [("2024-05-02T17:45", 14)])):
        s = ResultsStore.open(tmp_path / f"{name}.sqlite3", station_id=name)
        with s.transaction() as c:
            for aid, who in (("A1", "Jane Doe"), ("A2", "Sam Lee")):
                c.execute("INSERT INTO athletes (id, name, team, position, imported_utc) "
                          "VALUES (?, ?, ?, 'Bow', '2024-01-01T00:00:00.000Z')", (aid, who, TEAM))
        for day, top in days:
            add_session(s, "A1", day, [rep(0, 6), rep(1, top), rep(2, top + 2, ("knees_bent",))], sil)
        stations.append(s)
    add_session(stations[1], "A2", "2024-05-02T18:00", [rep(0, 6), rep(1, 8)], sil)
    for s in stations:
        assert main(["results", "sync", "--db", str(s.path), "--to", dsn]) == 0
        s.close()
    capsys.readouterr()
    out = tmp_path / "a1.pdf"
    assert main(["results", "report", "A1", "--out", str(out), "--db", dsn]) == 0
    assert capsys.readouterr().out == f"wrote {out} (athlete A1)\n"
    t = text(out)
    # Depths 8, 10, 14 in across both stations: best 14, change +4 since 1 Apr 16:30.
    assert "Best hinge depth 14 in" in t and "Since last session +4 in vs 2024-04-01 16:30" in t
    assert "2024-05-02 17:45 kiosk-west 2/3 14 in +4 in" in t
    assert "2024-04-01 16:30 kiosk-east 2/3 10 in +2 in" in t
    # The kept silhouette came through the server: its rep went 3 mm past the wall.
    assert f"rep 1, wall 14 in, PASS hips {3 / 25.4:.1f} in past the wall" in t
    team = tmp_path / "team.pdf"
    assert main(["results", "team-report", "rowing", "--out", str(team), "--db", dsn, "--units", "cm"]) == 0
    t = text(team)
    # Best 14 in (Jane) and 8 in (Sam): mean 11 in = 27.9 cm.
    assert "Team Rowing" in t and f"best hinge depth 2 {11 * 2.54:.1f} cm" in t
    assert "1 Jane Doe" in t and "2 Sam Lee" in t
    # The password never shows, and the extra's message stays one line.
    assert main(["results", "report", "A1", "--out", str(out),
                 "--db", "postgresql://hinge:secret@127.0.0.1:1/x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "secret" not in err
