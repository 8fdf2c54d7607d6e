"""MakeHuman's macro modifiers, blended as MakeHuman 1.1 does (apps/human.py), in numpy.

Each macro variable splits into the values of its target levels (piecewise linear):
gender g -> female 1-g, male g; age a (0.1875 = 11 y, 0.5 = 25 y, 1 = 90 y) -> child,
young, old; muscle and weight m -> min max(0, 1-2m), max max(0, 2m-1), average the rest;
height h -> minheight max(0, 1-2h), maxheight max(0, 2h-1) (average height has no
target); proportions p -> uncommon max(0, 1-2p), ideal max(0, 2p-1) (regular has no
target); the ethnic mix african/asian/caucasian is normalised to sum 1. A target's weight
is the product of the values its file name names: universal-{gender}-{age}-{muscle}-{weight},
{race}-{gender}-{age}, height/{..}-{height}, proportions/{..}-{proportions}.

Only adults are modelled (age >= 0.1875, where the baby targets weigh nothing).
`morph_vertices` returns the rest mesh in the world frame (metres, +x forward, +y up),
still at MakeHuman's own size; `stature_scale` gives the uniform scale that makes the
top of the head exactly the requested stature above the soles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product

import numpy as np
import numpy.typing as npt

from hardware.sim.mpfb.assets import Assets

FloatArray = npt.NDArray[np.float64]
MIN_AGE_YEARS, MID_AGE_YEARS, MAX_AGE_YEARS = 1.0, 25.0, 90.0  # MakeHuman's age scale
CHILD_AGE = 0.1875


@dataclass(frozen=True)
class Macros:
    """MakeHuman macro values, each 0..1 (MakeHuman's defaults: 0.5, ethnic 1/3 each).

    gender: 0 female, 1 male. age: MakeHuman's scale (age_from_years), adults only
    (>= 0.1875). muscle, weight: min..average (0.5)..max. height: the height macro
    (shapes proportions; the stature is set separately by scaling). proportions:
    uncommon (0)..regular (0.5)..ideal (1). african/asian/caucasian: ethnic mix
    (normalised to sum 1)."""

    gender: float = 0.5
    age: float = 0.5
    muscle: float = 0.5
    weight: float = 0.5
    height: float = 0.5
    proportions: float = 0.5
    african: float = 1.0 / 3.0
    asian: float = 1.0 / 3.0
    caucasian: float = 1.0 / 3.0

    def __post_init__(self) -> None:
        for name in ("gender", "muscle", "weight", "height", "proportions", "african", "asian", "caucasian"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"macro {name} must be 0..1, got {v}")
        if not CHILD_AGE <= self.age <= 1.0:
            raise ValueError(f"macro age must be {CHILD_AGE}..1 (adults), got {self.age}")
        if self.african + self.asian + self.caucasian <= 0.0:
            raise ValueError("the ethnic mix must not be all zero")


def age_from_years(years: float) -> float:
    """MakeHuman's age macro for an age in years (1 y = 0, 25 y = 0.5, 90 y = 1)."""
    if years < MID_AGE_YEARS:
        return (years - MIN_AGE_YEARS) / (2.0 * (MID_AGE_YEARS - MIN_AGE_YEARS))
    return 0.5 + (years - MID_AGE_YEARS) / (2.0 * (MAX_AGE_YEARS - MID_AGE_YEARS))


def _three(v: float, low: str, mid: str, high: str) -> dict[str, float]:
    lo, hi = max(0.0, 1.0 - 2.0 * v), max(0.0, 2.0 * v - 1.0)
    return {low: lo, mid: 1.0 - lo - hi, high: hi}


def level_values(m: Macros) -> dict[str, dict[str, float]]:
    """Per macro variable, the value of each of its target levels (MakeHuman's _set*Vals)."""
    a = m.age
    if a < 0.5:
        young = max(0.0, (a - CHILD_AGE) * 3.2)
        ages = {"child": max(0.0, min(1.0, 5.333 * a) - young), "young": young, "old": 0.0}
    else:
        old = max(0.0, 2.0 * a - 1.0)
        ages = {"child": 0.0, "young": 1.0 - old, "old": old}
    total = m.african + m.asian + m.caucasian
    return {
        "gender": {"female": 1.0 - m.gender, "male": m.gender},
        "age": ages,
        "muscle": _three(m.muscle, "minmuscle", "averagemuscle", "maxmuscle"),
        "weight": _three(m.weight, "minweight", "averageweight", "maxweight"),
        "height": {"minheight": max(0.0, 1.0 - 2.0 * m.height), "maxheight": max(0.0, 2.0 * m.height - 1.0)},
        "proportions": {"uncommonproportions": max(0.0, 1.0 - 2.0 * m.proportions),
                        "idealproportions": max(0.0, 2.0 * m.proportions - 1.0)},
        "race": {"african": m.african / total, "asian": m.asian / total, "caucasian": m.caucasian / total},
    }


def target_weights(m: Macros) -> dict[str, float]:
    """Every macro target with a non-zero weight (names as in the assets)."""
    lv = level_values(m)
    out: dict[str, float] = {}

    def levels(var: str) -> list[tuple[str, float]]:
        return [(k, v) for k, v in lv[var].items() if v > 0.0]

    for (g, wg), (a, wa) in product(levels("gender"), levels("age")):
        for r, wr in levels("race"):
            out[f"{r}-{g}-{a}"] = wr * wg * wa
        for (mu, wm), (we, ww) in product(levels("muscle"), levels("weight")):
            base = wg * wa * wm * ww
            out[f"universal-{g}-{a}-{mu}-{we}"] = base
            for h, wh in levels("height"):
                out[f"height/{g}-{a}-{mu}-{we}-{h}"] = base * wh
            for p, wp in levels("proportions"):
                out[f"proportions/{g}-{a}-{mu}-{we}-{p}"] = base * wp
    return out


def morph_vertices(assets: Assets, m: Macros) -> FloatArray:
    """Rest vertices (all kept ones, world frame, metres) of the macros, unscaled."""
    v = assets.verts.copy()
    index = assets.target_index()
    for name, w in target_weights(m).items():
        t = index[name]
        lo, hi = int(assets.target_ptr[t]), int(assets.target_ptr[t + 1])
        d = assets.target_delta[lo:hi].astype(np.float64) * (w * assets.delta_scale_m)
        v[assets.target_idx[lo:hi]] += d  # a target lists each vertex once (tests check)
    return v


def signed_volume_m3(verts: FloatArray, tris: npt.NDArray[np.int32]) -> float:
    """Volume enclosed by a closed outward-wound mesh (m^3)."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def stature_scale(body_verts: FloatArray, stature_m: float) -> float:
    """Uniform scale that makes the rest mesh's soles-to-head-top extent stature_m."""
    extent = float(body_verts[:, 1].max() - body_verts[:, 1].min())
    if not math.isfinite(extent) or extent <= 0.0:
        raise ValueError("degenerate mesh")
    return stature_m / extent
