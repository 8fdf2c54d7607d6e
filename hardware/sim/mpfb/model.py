"""One MPFB person: the spec (who), and the built model (rest body, limbs, masses, clothes).

`PersonSpec` is frozen and hashable (the simulator's caches key on it). `build_model`
solves MakeHuman's weight macro so the mesh's mass (its volume at DENSITY_KG_M3) gives
the spec's BMI at its exact stature, then rigs, weighs and dresses the person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hardware.sim.mpfb.assets import Assets, load_assets
from hardware.sim.mpfb.garments import (
    TAIL_NODES,
    TAIL_RING,
    Garments,
    Sheet,
    hair_cap,
    ponytail,
    shirt,
    tube_triangles,
)
from hardware.sim.mpfb.limbs import Limbs, limb_geometry
from hardware.sim.mpfb.mass import DENSITY_KG_M3, SegmentMasses, segment_masses
from hardware.sim.mpfb.morph import Macros, age_from_years, morph_vertices, signed_volume_m3, stature_scale
from hardware.sim.mpfb.rig import SEG, TRUNK, RestBody, rest_body
from hardware.sim.roots import find_root

IntArray = npt.NDArray[np.int32]
# Build -> MakeHuman muscle macro: (nominal, lowest, highest). The weight macro is solved
# for the BMI at the nominal muscle, or at the muscle in the band nearest it that reaches it.
BUILDS: dict[str, tuple[float, float, float]] = {
    "lean": (0.8, 0.6, 1.0), "average": (0.5, 0.35, 0.65), "soft": (0.15, 0.0, 0.35),
}
HAIR_STYLES: tuple[str, ...] = ("none", "short", "ponytail")


@dataclass(frozen=True)
class PersonSpec:
    """Who one MPFB person is. sex "F"/"M"; stature_m 1.50-2.00 (exact: soles to head
    top); bmi 17-36 (hit by the weight macro); build "lean"/"average"/"soft" (muscle
    macro band; `muscle` overrides the nominal value); age_years 18-60; height_macro and proportions:
    MakeHuman's 0..1 macros; ethnic: (african, asian, caucasian) mix. shirt_ease_m: a loose
    shirt's ease (None = no shirt), shirt_hem_m: its hem above the buttocks' rearmost
    level. hair: "none", "short" (a cap) or "ponytail" (cap and tail); hair_m: the cap's
    thickness; tail_m: the ponytail's length; tail_side: its sideways lean."""

    id: str
    sex: str
    stature_m: float
    bmi: float
    build: str = "average"
    age_years: float = 30.0
    height_macro: float = 0.5
    proportions: float = 0.5
    ethnic: tuple[float, float, float] = (1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0)
    muscle: float | None = None
    shirt_ease_m: float | None = None
    shirt_hem_m: float = 0.06
    hair: str = "none"
    hair_m: float = 0.008
    tail_m: float = 0.28
    tail_side: float = 0.1

    def __post_init__(self) -> None:
        if self.sex not in ("F", "M") or self.build not in BUILDS or self.hair not in HAIR_STYLES:
            raise ValueError(f"person {self.id}: sex F/M, build {'/'.join(BUILDS)}, "
                             f"hair {'/'.join(HAIR_STYLES)}")
        if not (1.50 <= self.stature_m <= 2.00 and 17.0 <= self.bmi <= 36.0 and 18 <= self.age_years <= 60):
            raise ValueError(f"person {self.id}: stature 1.50-2.00 m, BMI 17-36, age 18-60")

    def macros(self, weight: float, muscle: float | None = None) -> Macros:
        """The MakeHuman macros for a weight macro (and a muscle macro; default: nominal)."""
        mu = muscle if muscle is not None else (BUILDS[self.build][0] if self.muscle is None else self.muscle)
        a, s, c = self.ethnic
        return Macros(gender=0.0 if self.sex == "F" else 1.0, age=age_from_years(self.age_years), muscle=mu,
                      weight=weight, height=self.height_macro, proportions=self.proportions,
                      african=a, asian=s, caucasian=c)

    @property
    def label(self) -> str:
        """Short description, e.g. "F 1.62m BMI27 soft shirt ponytail"."""
        extra = " shirt" if self.shirt_ease_m is not None else ""
        extra += "" if self.hair == "none" else f" {self.hair}"
        return f"{self.sex} {self.stature_m:.2f}m BMI{self.bmi:.0f} {self.build}{extra}"


def mass_kg(assets: Assets, macros: Macros, stature_m: float) -> float:
    """Mass of the morphed body scaled to stature_m, at DENSITY_KG_M3."""
    v = morph_vertices(assets, macros)[:assets.n_body]
    s = stature_scale(v, stature_m)
    return DENSITY_KG_M3 * signed_volume_m3(v, assets.tris) * s ** 3


def _muscles(spec: PersonSpec) -> list[float]:
    """Muscle macros to try: the nominal one, then outwards in 0.05 steps within the band."""
    nominal, lo, hi = BUILDS[spec.build]
    if spec.muscle is not None:
        return [spec.muscle]
    out = [nominal]
    for k in range(1, 21):
        out += [m for m in (nominal - 0.05 * k, nominal + 0.05 * k) if lo - 1e-9 <= m <= hi + 1e-9]
    return [round(m, 4) + 0.0 for m in out]  # + 0.0: no negative zero


def solve_macros(assets: Assets, spec: PersonSpec) -> Macros:
    """Macros whose mesh mass gives spec.bmi (to 0.001) at spec.stature_m: the weight macro
    solved at the first muscle of _muscles that reaches it. ValueError if none does."""
    seen: list[str] = []
    for mu in _muscles(spec):
        def excess(w: float, mu: float = mu) -> float:
            return mass_kg(assets, spec.macros(w, mu), spec.stature_m) / spec.stature_m ** 2 - spec.bmi

        lo, hi = excess(0.0), excess(1.0)
        if lo <= 0.0 <= hi:
            return spec.macros(find_root(excess, 0.0, 1.0, tol=1e-7, ftol=1e-3), mu)
        seen.append(f"{lo + spec.bmi:.1f}-{hi + spec.bmi:.1f}")
    raise ValueError(f"person {spec.id}: BMI {spec.bmi} out of reach for a {spec.build} build "
                     f"(BMI {seen[0]} at the nominal muscle)")


@dataclass(frozen=True, eq=False)
class Model:
    """A built person. macros: as solved for the BMI; mass_kg: of the body; trunk_tris: body
    triangles wholly on the trunk (sacrum slicing); trunk_ids/head_ids: vertex ids for the
    thoracic apex and the occiput; surface_tris: body then garment triangles, indexed
    into the body vertices followed by each garment's vertices in order."""

    spec: PersonSpec
    macros: Macros
    mass_kg: float
    rest: RestBody
    limbs: Limbs
    masses: SegmentMasses
    garments: Garments
    foot_length_m: float
    trunk_length_m: float
    trunk_tris: IntArray
    trunk_ids: npt.NDArray[np.intp]
    head_ids: npt.NDArray[np.intp]
    surface_tris: IntArray


def _sheets(rest: RestBody, spec: PersonSpec) -> tuple[Sheet, ...]:
    out: list[Sheet] = []
    if spec.shirt_ease_m is not None:
        out.append(shirt(rest, spec.shirt_ease_m, spec.shirt_hem_m))
    if spec.hair != "none":
        out.append(hair_cap(rest, spec.hair_m))
    return tuple(out)


@lru_cache(maxsize=8)
def build_model(spec: PersonSpec) -> Model:
    """Morph, scale, rig, weigh and dress `spec` (cached; ~0.5 s)."""
    assets = load_assets()
    macros = solve_macros(assets, spec)
    rest = rest_body(assets, macros, spec.stature_m)
    limbs = limb_geometry(rest)
    tail = ponytail(rest, spec.tail_m, spec.tail_side) if spec.hair == "ponytail" else None
    garments = Garments(sheets=_sheets(rest, spec), tail=tail)
    trunk = np.isin(rest.dominant, [SEG[s] for s in TRUNK])
    tris = [rest.tris]
    n = len(rest.verts)
    for sheet in garments.sheets:
        tris.append(sheet.tris + n)
        n += len(sheet.ids)
    if tail is not None:
        tris.append(tube_triangles(TAIL_NODES + 1) + n)
        n += (TAIL_NODES + 1) * TAIL_RING
    low = rest.verts[rest.verts[:, 1] <= 0.10, 0]
    j = rest.joints
    hip = 0.5 * (j["hip_l"] + j["hip_r"])
    sh = 0.5 * (j["shoulder_l"] + j["shoulder_r"])
    surface = np.vstack(tris).astype(np.int32)
    surface.setflags(write=False)
    return Model(
        spec=spec, macros=macros, mass_kg=DENSITY_KG_M3 * rest.volume_m3, rest=rest, limbs=limbs,
        masses=segment_masses(rest), garments=garments, foot_length_m=float(low.max() - low.min()),
        trunk_length_m=float(math.hypot(*(sh - hip)[:2])), trunk_tris=rest.tris[trunk[rest.tris].all(axis=1)],
        trunk_ids=np.flatnonzero(trunk), head_ids=np.flatnonzero(rest.dominant == SEG["head"]),
        surface_tris=surface,
    )
