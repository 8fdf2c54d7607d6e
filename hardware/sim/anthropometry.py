"""The simulated athlete's dimensions: segment lengths from stature, girths from build.

Segment lengths follow Winter's anthropometric ratios of stature H (Winter, "Biomechanics
and Motor Control of Human Movement", table 4.1): ankle height 0.039 H, shank 0.246 H,
thigh 0.245 H, hip joint to shoulder joint 0.288 H, foot 0.152 H, upper arm 0.186 H,
forearm 0.146 H, hand 0.108 H. Segment mass fractions and centre-of-mass positions come
from the same table. Soft-tissue girths (trunk, buttocks, limbs) were shaped on a 1.78 m
athlete and scale with stature times a build factor; bony parts (feet, head, hands) and
joint positions scale with stature only.

All values are metres in a segment's own neutral frame: x anterior, y up (along the
segment), z the athlete's right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

REFERENCE_HEIGHT_M = 1.78
BUILDS: tuple[str, ...] = ("slim", "average", "heavy")
# Soft-tissue girth multiplier per build (depths and widths of trunk, buttocks, limbs).
_GIRTH_BY_BUILD: dict[str, float] = {"slim": 0.88, "average": 1.0, "heavy": 1.18}

# Winter's segment mass fractions of body mass (sum 1.0). The trunk (0.497) is split over
# the model's pelvis, lumbar and three thoracic segments.
MASS_FRACTION: dict[str, float] = {
    "foot": 0.0145, "shank": 0.0465, "thigh": 0.100,
    "upperarm": 0.028, "forearm": 0.016, "hand": 0.006,
    "pelvis": 0.142, "lumbar": 0.139, "thorax_lo": 0.090, "thorax_mid": 0.036, "thorax_up": 0.090,
    "head": 0.081,
}


@dataclass(frozen=True)
class Athlete:
    """Who is being simulated.

    height_m: stature, 1.50-2.00 m. build: "slim", "average" or "heavy" (scales soft-tissue
    widths and depths). stance_width_m: distance between the feet's centre lines (z);
    None = hip-joint width, feet under the hips.
    shirt_ease_m: a loose shirt over the trunk standing this far off the skin where it
    hangs free (hardware/sim/clothing.py; 0 = bare trunk, typical 0.02-0.05). It is
    rendered only: landmarks and ground truth are the body's own.
    glute_softness: 0 = rigid buttocks; up to 1 = soft tissue flattening with hip flexion
    and sagging with gravity (hardware/sim/soft_tissue.py); part of the body, so of the truth.
    """

    height_m: float = REFERENCE_HEIGHT_M
    build: str = "average"
    stance_width_m: float | None = None
    shirt_ease_m: float = 0.0
    glute_softness: float = 0.0

    def __post_init__(self) -> None:
        if not 1.50 <= self.height_m <= 2.00:
            raise ValueError(f"height_m must be 1.50-2.00, got {self.height_m}")
        if self.build not in _GIRTH_BY_BUILD:
            raise ValueError(f"build must be one of {', '.join(BUILDS)}, got {self.build!r}")
        if self.stance_width_m is not None and not 0.05 <= self.stance_width_m <= 0.6:
            raise ValueError(f"stance_width_m must be 0.05-0.60, got {self.stance_width_m}")
        if not 0.0 <= self.shirt_ease_m <= 0.10:
            raise ValueError(f"shirt_ease_m must be 0-0.10, got {self.shirt_ease_m}")
        if not 0.0 <= self.glute_softness <= 1.0:
            raise ValueError(f"glute_softness must be 0-1, got {self.glute_softness}")


@dataclass(frozen=True)
class Dims:
    """Scaled dimensions of one athlete (metres). k: stature scale, g: soft-tissue scale."""

    height_m: float
    k: float
    g: float
    ankle_h_m: float
    shank_m: float
    thigh_m: float
    trunk_m: float            # hip joint -> shoulder joint
    foot_m: float
    heel_to_ankle_m: float    # heel's back to the ankle joint, along x, feet flat
    upperarm_m: float
    forearm_m: float
    hand_m: float
    hip_half_width_m: float   # hip joint centres at z = +-this
    shoulder_half_width_m: float
    foot_half_spacing_m: float
    head_top_m: float         # neck base -> top of head, along the head axis
    sacrum_s_m: float         # sacrum landmark height above the hip joint along the trunk axis
    # Spine joints and upper-trunk points in the neutral trunk frame (x anterior, y up,
    # origin at the hip joint): lumbosacral, thoracolumbar, mid-thoracic, shoulder, neck base.
    j0: tuple[float, float]
    j1: tuple[float, float]
    jm: tuple[float, float]
    shoulder: tuple[float, float]
    neck_base: tuple[float, float]

    @property
    def leg_dz_m(self) -> float:
        """Lateral offset of the foot from the hip joint (+ = foot further out)."""
        return self.foot_half_spacing_m - self.hip_half_width_m

    def sagittal_m(self, length_m: float) -> float:
        """Projection on the sagittal plane of a leg segment of `length_m` (the leg is
        slightly abducted when the stance is wider than the hips)."""
        leg = self.shank_m + self.thigh_m
        dz = self.leg_dz_m * length_m / leg
        return math.sqrt(length_m * length_m - dz * dz)


def dims(athlete: Athlete) -> Dims:
    """Dimensions of `athlete` (cached: Athlete is frozen and hashable)."""
    return _dims(athlete)


@lru_cache(maxsize=32)
def _dims(athlete: Athlete) -> Dims:
    h = athlete.height_m
    k = h / REFERENCE_HEIGHT_M
    g = k * _GIRTH_BY_BUILD[athlete.build]
    hip_half = 0.085 * k
    foot_half = hip_half if athlete.stance_width_m is None else athlete.stance_width_m / 2.0
    trunk = 0.288 * h
    # The occiput sits as far behind the trunk line as the thoracic apex (0.115 g) does, so a
    # neutral spine touches the dowel at head, apex and sacrum for every build.
    neck_base = (-(0.118 * g - 0.10 * k), trunk + 0.035 * k)
    return Dims(
        height_m=h, k=k, g=g,
        ankle_h_m=0.039 * h, shank_m=0.246 * h, thigh_m=0.245 * h, trunk_m=trunk,
        foot_m=0.152 * h, heel_to_ankle_m=0.24 * 0.152 * h,
        upperarm_m=0.186 * h, forearm_m=0.146 * h, hand_m=0.108 * h,
        hip_half_width_m=hip_half, shoulder_half_width_m=0.175 * k, foot_half_spacing_m=foot_half,
        # Stature minus hip-joint height (0.53 H), trunk and the neck base's rise.
        head_top_m=h - 0.53 * h - neck_base[1],
        sacrum_s_m=0.08 * h,
        j0=(-0.05 * k, 0.10 * k), j1=(-0.055 * k, 0.24 * k), jm=(-0.06 * k, 0.37 * k),
        shoulder=(0.0, trunk), neck_base=neck_base,
    )
