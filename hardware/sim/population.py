"""The validation population: MakeHuman/MPFB2 people the measurement core is never tuned on.

48 people, 24 female (F01-F24) and 24 male (M01-M24), with stable ids: statures
1.50-2.00 m, BMI 18.5-35, builds lean / average / soft (MakeHuman's muscle macro; the
weight macro is solved for the BMI), ages 18-60, varied proportions and ethnic mix, a
loose shirt on a third and a ponytail on a third of them. The values come from fixed
low-discrepancy sequences (no random generator), so the list never changes unless this
file does.

    from hardware.sim.population import population
    from hardware.sim.source import SimConfig
    spec = population()[7]
    cfg = SimConfig(script="wall_pass", body=spec.body)   # body = "mpfb:F04"

A second, held-out population (holdout_population(): HF01-HF12, HM01-HM12) comes from the
same generator at other points of its sequences. Every validation person has been looked
at while diagnosing the measurement; nobody looks at the held-out people until a change to
the measurement is frozen, then it is run once (`make accuracy-holdout`) and reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from hardware.sim.mpfb import MPFB_PREFIX
from hardware.sim.mpfb.body import FAMILY, MpfbBody
from hardware.sim.mpfb.model import PersonSpec

SIZE_PER_SEX = 24
HOLDOUT_PER_SEX = 12
HOLDOUT_PREFIX = "H"
# The held-out people sit this far along every sequence (no overlap with the validation
# people). A report shows its people's cases, so each frozen change is reported on new
# ones: 53 on 2026-12-06, 77 from 2026-12-07, 101 from stop 26 (2026-12-07).
_HOLDOUT_SHIFT = 101
_STATURE_M = {"F": (1.50, 1.86), "M": (1.60, 2.00)}
# BMI ranges per sex and build: what MakeHuman's macros reach at the build's muscle band
# (a lean woman's body does not carry BMI 27; a soft one reaches 34).
_BMI = {("F", "lean"): (18.5, 23.5), ("F", "average"): (19.0, 25.5), ("F", "soft"): (23.0, 34.0),
        ("M", "lean"): (20.0, 27.0), ("M", "average"): (19.5, 28.0), ("M", "soft"): (23.0, 35.0)}
_BUILDS = ("lean", "average", "soft")
_ETHNIC = ((0.7, 0.15, 0.15), (0.15, 0.7, 0.15), (0.15, 0.15, 0.7), (1 / 3, 1 / 3, 1 / 3))
_PHI = (math.sqrt(5.0) - 1.0) / 2.0  # golden-ratio steps spread samples evenly


@dataclass(frozen=True)
class PopulationEntry:
    """One person for the accuracy harness: `body` is the SimConfig.body spec."""

    id: str
    family: str
    sex: str
    stature_m: float
    bmi: float
    build: str
    age_years: float
    shirt: bool
    hair: str
    label: str

    @property
    def body(self) -> str:
        return f"{MPFB_PREFIX}{self.id}"


def _frac(i: int, step: float, start: float = 0.5) -> float:
    return (start + i * step) % 1.0


def _lerp(lo_hi: tuple[float, float], u: float) -> float:
    return lo_hi[0] + (lo_hi[1] - lo_hi[0]) * u


@lru_cache(maxsize=1)
def person_specs() -> tuple[PersonSpec, ...]:
    """The population as PersonSpecs (the MPFB body family's input), F01..F24, M01..M24."""
    return _specs(SIZE_PER_SEX, "", 0)


@lru_cache(maxsize=1)
def holdout_specs() -> tuple[PersonSpec, ...]:
    """The held-out people as PersonSpecs, HF01..HF12, HM01..HM12 (module docstring)."""
    return _specs(HOLDOUT_PER_SEX, HOLDOUT_PREFIX, _HOLDOUT_SHIFT)


def _specs(per_sex: int, prefix: str, shift: int) -> tuple[PersonSpec, ...]:
    out: list[PersonSpec] = []
    for sex in ("F", "M"):
        for n in range(per_sex):
            i = n + shift
            k = i + (0 if sex == "F" else 7)  # shift the men's sequences off the women's
            build = _BUILDS[n % 3]
            stature = round(_lerp(_STATURE_M[sex], _frac(i, _PHI)), 3)
            hair_pick = (i // 3 + (0 if sex == "F" else 1)) % 3
            out.append(PersonSpec(
                id=f"{prefix}{sex}{n + 1:02d}", sex=sex, stature_m=stature,
                bmi=round(_lerp(_BMI[sex, build], _frac(k, _PHI * 2.0, 0.2)), 1), build=build,
                age_years=round(_lerp((18.0, 60.0), _frac(k, 0.381966, 0.1))),
                height_macro=round(0.3 + 0.4 * (stature - _STATURE_M[sex][0]) / 0.4, 3),
                proportions=round(_lerp((0.25, 0.85), _frac(k, 0.7548776, 0.3)), 3),
                ethnic=_ETHNIC[k % 4],
                shirt_ease_m=round(0.015 + 0.02 * _frac(k, _PHI), 4) if (i + (sex == "M")) % 3 == 1 else None,
                shirt_hem_m=round(0.04 + 0.05 * _frac(k, 0.41421356), 3),
                hair=("ponytail", "short", "none")[hair_pick],
                hair_m=round(0.005 + 0.007 * _frac(k, 0.2360679), 4),
                tail_m=round(0.18 + 0.16 * _frac(k, 0.6180339, 0.7), 3),
                tail_side=round((0.05 + 0.1 * _frac(k, 0.3819660)) * (1 if k % 2 else -1), 3),
            ))
    return tuple(out)


def _entries(specs: tuple[PersonSpec, ...]) -> tuple[PopulationEntry, ...]:
    return tuple(
        PopulationEntry(id=s.id, family=FAMILY, sex=s.sex, stature_m=s.stature_m, bmi=s.bmi, build=s.build,
                        age_years=s.age_years, shirt=s.shirt_ease_m is not None, hair=s.hair, label=s.label)
        for s in specs
    )


@lru_cache(maxsize=1)
def population() -> tuple[PopulationEntry, ...]:
    """The population's entries (no assets needed to list them)."""
    return _entries(person_specs())


@lru_cache(maxsize=1)
def holdout_population() -> tuple[PopulationEntry, ...]:
    """The held-out people's entries (module docstring: run only to report a frozen change)."""
    return _entries(holdout_specs())


def mpfb_body(person_id: str) -> MpfbBody:
    """The body of population id `person_id` (e.g. "F07", held out "HF03"). ValueError for
    an unknown id."""
    for s in person_specs() + holdout_specs():
        if s.id == person_id:
            return MpfbBody(s)
    h, n = HOLDOUT_PREFIX, HOLDOUT_PER_SEX
    raise ValueError(f"unknown MPFB person {person_id!r}; ids F01-F{SIZE_PER_SEX:02d}, "
                     f"M01-M{SIZE_PER_SEX:02d}, held out {h}F01-{h}F{n:02d}, {h}M01-{h}M{n:02d}")
