"""The typed shape and bounds of every results row, for anything that comes from outside
the kiosk's own measurement: bundle members, the pending-results spill file, and the store's
own writes (so a row that passes here is a row `results list/show/export` and the club sync
can read). One place for the limits; roster.py uses the same text bounds.

Bounds are generous physical limits, not judgements: they only refuse what no kiosk could
have measured (a string where a number belongs, 1e308 mm, a name of 10,000 characters, an
unknown fault name, a control character that would drive a terminal or a spreadsheet).

    row = parse_row("reps", {...})      # RowError(field, problem) when it does not fit
    rep_row(session_id, rep_id, rep)    # a kiosk RepLike as the same model
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    model_validator,
)

# DESIGN.md "Rep verdicts": the fixed fault vocabulary.
FaultName = Literal["wall_not_reached", "knees_bent", "back_rounded", "head_not_neutral", "weight_on_toes"]
FAULT_NAMES: tuple[str, ...] = get_args(FaultName)
# Text bounds (characters). The roster import applies the athletes' ones (roster.py).
MAX_LEN = {"id": 64, "name": 200, "team": 100, "position": 100, "barcode": 64, "station_id": 64,
           "notes": 4000, "coach": 200, "reason": 2000}
MAX_REPS_PER_SESSION = 10_000
_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
# Ids the kiosk makes are UUID4 hex; older files and tests have short ones: letters, digits, - _.
_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
# Bidirectional overrides reorder what a terminal shows (a name could hide its own tail).
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


class RowError(ValueError):
    """A row that does not fit its model: `field` names the column, str() the problem."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def bad_chars(text: str, allow: str = "") -> bool:
    """True when `text` has a control character (C0, DEL, C1: terminal escape sequences start
    with one) or a bidirectional override, other than those in `allow`."""
    return any((unicodedata.category(ch) == "Cc" and ch not in allow) or ch in _BIDI for ch in text)


def _plain(v: str) -> str:
    if bad_chars(v):
        raise ValueError("has control or escape characters")
    return v


def _multiline(v: str) -> str:
    if bad_chars(v, allow="\n\t"):
        raise ValueError("has control or escape characters")
    return v


def _utc(v: str) -> str:
    if not _UTC.fullmatch(v):
        raise ValueError("is not a UTC time like 2024-05-01T14:03:22.123Z")
    try:
        year = datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%fZ").year
    except ValueError:
        raise ValueError("is not a real date and time") from None
    if not 2000 <= year <= 2200:
        raise ValueError("is not a year between 2000 and 2200")
    return v


def _uuid(v: str) -> str:
    if not _ID.fullmatch(v):
        raise ValueError("is not an id (1-64 letters, digits, - or _)")
    return v


def _fault_list(v: str) -> str:
    try:
        faults = json.loads(v)
    except ValueError:
        raise ValueError("is not a JSON list of fault names") from None
    if not isinstance(faults, list) or len(faults) > 20 or not all(f in FAULT_NAMES for f in faults):
        raise ValueError(f"is not a JSON list of fault names ({', '.join(FAULT_NAMES)})")
    return v


def _fault_counts(v: str) -> str:
    try:
        counts = json.loads(v)
    except ValueError:
        raise ValueError("is not a JSON object of fault counts") from None
    if not isinstance(counts, dict) or not all(
        k in FAULT_NAMES and type(n) is int and 0 < n <= MAX_REPS_PER_SESSION for k, n in counts.items()
    ):
        raise ValueError(f"is not a JSON object of fault name -> count ({', '.join(FAULT_NAMES)})")
    return v


Uuid = Annotated[str, AfterValidator(_uuid)]
Utc = Annotated[str, AfterValidator(_utc)]
AthleteId = Annotated[str, Field(min_length=1, max_length=MAX_LEN["id"]), AfterValidator(_plain)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_LEN["name"]), AfterValidator(_plain)]
Team = Annotated[str, Field(max_length=MAX_LEN["team"]), AfterValidator(_plain)]
Position = Annotated[str, Field(max_length=MAX_LEN["position"]), AfterValidator(_plain)]
Barcode = Annotated[str, Field(min_length=1, max_length=MAX_LEN["barcode"]), AfterValidator(_plain)]
StationId = Annotated[str, Field(min_length=1, max_length=MAX_LEN["station_id"]), AfterValidator(_plain)]
Notes = Annotated[str, Field(max_length=MAX_LEN["notes"]), AfterValidator(_multiline)]
Coach = Annotated[str, Field(min_length=1, max_length=MAX_LEN["coach"]), AfterValidator(_plain)]
Reason = Annotated[str, Field(min_length=1, max_length=MAX_LEN["reason"]), AfterValidator(_multiline)]
Bit = Annotated[StrictInt, Field(ge=0, le=1)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_REPS_PER_SESSION)]
# Numbers: JSON may carry 6 for 6.0, never "6"; NaN/inf are not numbers here (unmeasured: null).
Seconds = Annotated[StrictFloat | StrictInt, Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
WallIn = Annotated[StrictFloat | StrictInt, Field(ge=-100.0, le=1000.0, allow_inf_nan=False)]
Mm = Annotated[StrictFloat | StrictInt, Field(ge=-100_000.0, le=100_000.0, allow_inf_nan=False)]
Deg = Annotated[StrictFloat | StrictInt, Field(ge=-360.0, le=360.0, allow_inf_nan=False)]
MmPerPx = Annotated[StrictFloat | StrictInt, Field(ge=0.1, le=1000.0, allow_inf_nan=False)]
Px = Annotated[StrictInt, Field(ge=1, le=4096)]
FaultList = Annotated[str, AfterValidator(_fault_list)]
FaultCounts = Annotated[str, AfterValidator(_fault_counts)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AthleteRow(_Row):
    id: AthleteId
    name: Name
    team: Team
    position: Position
    barcode: Barcode | None
    imported_utc: Utc


class SessionRowIn(_Row):
    id: Uuid
    athlete_id: AthleteId | None
    station_id: StationId
    started_utc: Utc
    ended_utc: Utc | None
    reps: Count
    passed: Count
    hinge_depth_in: WallIn | None
    faults: FaultCounts
    notes: Notes

    @model_validator(mode="after")
    def _passed_of_reps(self) -> SessionRowIn:
        if self.passed > self.reps:
            raise ValueError("passed is more than reps")
        return self


class RepRowIn(_Row):
    id: Uuid
    session_id: Uuid
    idx: Annotated[StrictInt, Field(ge=0, le=MAX_REPS_PER_SESSION)]
    drill: Literal["dowel", "wall"]
    start_s: Seconds
    bottom_s: Seconds
    end_s: Seconds
    wall_distance_in: WallIn
    min_hip_to_wall_mm: Mm | None
    max_knee_flexion_deg: Deg | None
    max_trunk_angle_deg: Deg | None
    faults: FaultList
    passed: Bit
    saved_utc: Utc


class OverrideRowIn(_Row):
    id: Uuid
    rep_id: Uuid
    passed: Bit
    faults: FaultList
    coach: Coach
    reason: Reason
    station_id: StationId
    created_utc: Utc


class SilhouetteRowIn(_Row):
    session_id: Uuid
    rep_id: Uuid | None
    format: Literal["png"]
    width_px: Px
    height_px: Px
    mm_per_px: MmPerPx
    saved_utc: Utc


MODELS: dict[str, type[_Row]] = {
    "athletes": AthleteRow, "sessions": SessionRowIn, "reps": RepRowIn, "rep_overrides": OverrideRowIn,
    "silhouettes": SilhouetteRowIn,
}


def first_error(err: ValidationError) -> RowError:
    """The first problem of a pydantic error as (field, problem), never echoing the value."""
    e = err.errors(include_url=False, include_input=False)[0]
    field = str(e["loc"][0]) if e["loc"] else "row"  # not the union member ("x.float")
    kind = e["type"]
    if kind == "missing":
        return RowError(field, "is missing")
    if kind == "extra_forbidden":
        return RowError(field, "is not a column of this table")
    msg = str(e["msg"]).removeprefix("Value error, ")
    return RowError(field, msg[:1].lower() + msg[1:])


def parse_row(table: str, rec: object) -> _Row:
    """`rec` (a JSON object) as `table`'s model; RowError naming the first bad field."""
    if not isinstance(rec, dict):
        raise RowError("row", "is not a JSON object")
    try:
        return MODELS[table].model_validate(rec)
    except ValidationError as err:
        raise first_error(err) from None
