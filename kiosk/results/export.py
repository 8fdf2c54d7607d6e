"""CSV export of results: `sessions.csv` (one row per session) and `reps.csv` (one per rep).

Chosen to open cleanly in Excel and LibreOffice Calc by double-click: UTF-8 with a BOM
(without one Excel reads UTF-8 as the ANSI code page and mangles accented names), comma
separated, CRLF line ends, RFC 4180 quoting (a field with a comma, quote or line break is
quoted, quotes doubled). Numbers are plain with a '.' decimal point; an unmeasured metric
is an empty cell. Times are ISO 8601 UTC text (`2024-05-01T14:03:22.123Z`). Sessions'
reps, passed, hinge_depth_in and faults, and each rep's verdict and faults, are the ones in
force (verdicts.py: a coach's override counts); reps.csv also has the kiosk's verdict and
the override's coach, time and reason.

CSV formula injection: a cell that begins with = + - @, a tab or a carriage return would be
run as a formula by a spreadsheet; it is written with a leading apostrophe
(`'=HYPERLINK(...)`), which spreadsheets show as text. Every column is guarded: a number
(an int or float value) is written as a number (a negative hip-to-wall stays a number), but
text in a numeric column (a file altered behind the kiosk's back) is guarded like any text.
`unguard` undoes it.

Units: wall distances and hinge depth are inches (`hinge_depth_in`, `wall_distance_in`), or
centimetres with `units="cm"` (the club's `[display] units`): then those columns are named
`hinge_depth_cm` and `wall_distance_cm` and hold centimetres (1 decimal). Hips-to-wall stays
`min_hip_to_wall_mm` either way (the measurement's own unit).

Files are written atomically (temporary + rename) with mode 0600 into a directory created
0700 if missing: exports carry athletes' names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.results import paths
from kiosk.results.model import RepRow, SessionRow, StoreError
from kiosk.results.store import ResultsStore

Cell = str | int | float | None

SESSION_COLUMNS = (
    "session_id", "athlete_id", "name", "team", "position", "station_id", "started_utc",
    "ended_utc", "status", "reps", "passed", "hinge_depth_in", "faults", "notes",
)
REP_COLUMNS = (
    "rep_id", "session_id", "athlete_id", "name", "team", "position", "station_id",
    "session_started_utc", "rep", "drill", "wall_distance_in", "min_hip_to_wall_mm",
    "max_knee_flexion_deg", "max_trunk_angle_deg", "verdict", "faults", "kiosk_verdict",
    "kiosk_faults", "override_by", "override_utc", "override_reason", "start_s", "bottom_s",
    "end_s", "saved_utc",
)
# Columns whose cells are numbers (or empty), for readers of the files.
NUMERIC = frozenset({
    "reps", "passed", "hinge_depth_in", "rep", "wall_distance_in", "min_hip_to_wall_mm",
    "max_knee_flexion_deg", "max_trunk_angle_deg", "start_s", "bottom_s", "end_s", "hinge_depth_cm",
    "wall_distance_cm",
})
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
IN_COLUMNS = ("hinge_depth_in", "wall_distance_in")  # named and valued in the export's units
CM_PER_IN = 2.54


def in_units(columns: Sequence[str], units: str) -> tuple[str, ...]:
    """The columns with the inch ones renamed for `units` ("in" or "cm")."""
    return tuple(c[:-3] + "_cm" if units == "cm" and c in IN_COLUMNS else c for c in columns)


def _convert(rec: dict[str, Cell], units: str) -> dict[str, Cell]:
    if units != "cm":
        return rec
    out = dict(rec)
    for c in IN_COLUMNS:
        v = out.pop(c, None)
        out[c[:-3] + "_cm"] = round(v * CM_PER_IN, 1) if isinstance(v, int | float) else v
    return out


def guard(text: str) -> str:
    """Text safe from formula evaluation in a spreadsheet cell (module docstring). Text that
    already looks guarded gets another apostrophe, so `unguard` always gives it back."""
    risky = text.startswith(_FORMULA_START) or (text.startswith("'") and unguard(text) != text)
    return "'" + text if risky else text


def unguard(text: str) -> str:
    """The original text of a guarded cell."""
    body = text[1:].lstrip("'")
    return text[1:] if text.startswith("'") and body.startswith(_FORMULA_START) else text


def _round(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def session_record(s: SessionRow) -> dict[str, Cell]:
    return {
        "session_id": s.id, "athlete_id": s.athlete_id, "name": s.name, "team": s.team,
        "position": s.position, "station_id": s.station_id, "started_utc": s.started_utc,
        "ended_utc": s.ended_utc, "status": s.status,
        "reps": s.reps, "passed": s.passed, "hinge_depth_in": s.hinge_depth_in,
        "faults": "; ".join(f"{k}={v}" for k, v in s.faults.items()), "notes": s.notes,
    }


def rep_record(s: SessionRow, r: RepRow) -> dict[str, Cell]:
    ov = r.override
    return {
        "rep_id": r.id, "session_id": s.id, "athlete_id": s.athlete_id, "name": s.name,
        "team": s.team, "position": s.position, "station_id": s.station_id,
        "session_started_utc": s.started_utc, "rep": r.index, "drill": r.drill,
        "wall_distance_in": r.wall_distance_in, "min_hip_to_wall_mm": _round(r.min_hip_to_wall_mm, 1),
        "max_knee_flexion_deg": _round(r.max_knee_flexion_deg, 1),
        "max_trunk_angle_deg": _round(r.max_trunk_angle_deg, 1),
        "verdict": _verdict(r.verdict_passed), "faults": "; ".join(r.faults_in_force),
        "kiosk_verdict": _verdict(r.passed), "kiosk_faults": "; ".join(r.faults),
        "override_by": ov.coach if ov else None, "override_utc": ov.created_utc if ov else None,
        "override_reason": ov.reason if ov else None,
        "start_s": round(r.start_s, 3), "bottom_s": round(r.bottom_s, 3), "end_s": round(r.end_s, 3),
        "saved_utc": r.saved_utc,
    }


def to_csv(columns: Sequence[str], records: Iterable[dict[str, Cell]]) -> bytes:
    """The CSV file's bytes (module docstring: BOM, CRLF, guarded text cells)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for rec in records:
        row: list[str | int | float] = []
        for col in columns:
            v = rec.get(col)
            if v is None:
                row.append("")
            elif isinstance(v, int | float) and not isinstance(v, bool):
                row.append(v)  # a number by its type, whatever the column
            else:
                row.append(guard(str(v)))
        w.writerow(row)
    return buf.getvalue().encode("utf-8-sig")


@dataclass(frozen=True)
class Exported:
    sessions_csv: Path
    reps_csv: Path
    sessions: int
    reps: int


def export_csv(store: ResultsStore, out_dir: Path, athlete_id: str | None = None,
               team: str | None = None, units: str = "in") -> Exported:
    """Write sessions.csv and reps.csv (oldest session first) into out_dir, replacing any;
    lengths in `units` ("in" or "cm", module docstring)."""
    sessions = list(reversed(store.sessions(athlete_id=athlete_id, team=team)))
    srecs = [_convert(session_record(s), units) for s in sessions]
    rrecs = [_convert(rep_record(s, r), units) for s in sessions for r in store.reps(s.id)]
    try:
        paths.ensure_private_dir(out_dir)
        s_path, r_path = out_dir / "sessions.csv", out_dir / "reps.csv"
        paths.write_private(s_path, to_csv(in_units(SESSION_COLUMNS, units), srecs))
        paths.write_private(r_path, to_csv(in_units(REP_COLUMNS, units), rrecs))
    except OSError as err:
        where = err.filename if err.filename is not None else out_dir
        raise StoreError(f"cannot write the export: {where}: {err.strerror or err}") from err
    return Exported(s_path, r_path, len(srecs), len(rrecs))
