"""Profile: every tunable of the measurement core and the drill, with bounds.

Pydantic models with extra="forbid" (a typo in the TOML is an error, not a silent default)
and frozen instances (the core treats them as values). No I/O here: profile_loader.py
reads the TOML. Defaults follow docs/measurement.md; kiosk/default_profile.toml repeats
them with comments. The body model's proportions: body_model.py.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kiosk.core.body_model import BodyModelConfig, migrate_profile_data


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentationConfig(_Section):
    """Picking the athlete out of the world points (person.py)."""

    floor_band_m: float = Field(default=0.03, ge=0.0, le=0.10)
    voxel_m: float = Field(default=0.05, ge=0.02, le=0.12)
    connect_min_y_m: float = Field(default=0.05, ge=0.0, le=0.2)
    min_voxel_points: int = Field(default=3, ge=1, le=50)
    min_person_points: int = Field(default=400, ge=50, le=100_000)
    min_height_m: float = Field(default=0.9, ge=0.3, le=2.0)
    max_foot_y_m: float = Field(default=0.15, ge=0.04, le=0.5)
    max_extent_x_m: float = Field(default=1.9, ge=0.5, le=3.0)
    max_extent_z_m: float = Field(default=1.0, ge=0.3, le=2.0)
    second_min_height_m: float = Field(default=1.0, ge=0.3, le=2.0)
    second_min_points_frac: float = Field(default=0.2, ge=0.0, le=1.0)
    attach_gap_voxels: int = Field(default=2, ge=0, le=5)
    attach_max_extent_m: float = Field(default=0.7, ge=0.1, le=1.5)
    # A small fragment hidden behind the body along the camera's line of sight is attached
    # when its voxels, moved toward the camera centre, meet the body (dilated by a voxel)
    # within this depth step: at the bottom of a hinge seen from behind the side and low,
    # the shoulder hides the neck and the head's points lie 0.17-0.26 m behind the body
    # along the ray but only ~2 cm from it across. About one body's thickness: an object
    # or a second person further behind is not attached (0: off).
    occlusion_attach_m: float = Field(default=0.30, ge=0.0, le=0.5)


# Keys an older profile may still carry: accepted and ignored, since what they tuned is
# gone (2026-12-07: the head's reading became relative to the athlete's standing head, and
# its neutral offset and hinge bias, fitted on the parametric athlete, went with it).
RETIRED_LANDMARK_KEYS = frozenset({"neck_neutral_deg", "neck_hinge_bias_deg"})


class LandmarkConfig(_Section):
    """The sagittal profile's processing (landmarks.py, legs.py, back.py, head.py): bins,
    ranks, noise bands and plausibility bounds, metres. Where things lie on a body is the
    body model's (body_model.py)."""

    @model_validator(mode="before")
    @classmethod
    def _drop_retired(cls, data: object) -> object:
        # A profile copied from an older default_profile.toml keeps loading.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in RETIRED_LANDMARK_KEYS}
        return data

    bin_m: float = Field(default=0.02, ge=0.005, le=0.06)
    edge_rank: int = Field(default=1, ge=0, le=10)
    foot_max_y_m: float = Field(default=0.12, ge=0.05, le=0.2)
    heel_min_y_m: float = Field(default=0.05, ge=0.0, le=0.1)
    # With the floor's noise known (StationZone.floor_noise_m) the heel band starts at
    # heel_noise_sigmas of it, not lower than heel_noise_min_y_m (legs.heel_edge).
    heel_noise_sigmas: float = Field(default=2.75, ge=0.0, le=6.0)
    heel_noise_min_y_m: float = Field(default=0.04, ge=0.0, le=0.1)
    foot_rank: int = Field(default=2, ge=0, le=20)
    heel_window_m: float = Field(default=0.2, ge=0.05, le=0.5)
    hip_min_y_m: float = Field(default=0.30, ge=0.1, le=0.6)
    rear_patch_m: float = Field(default=0.08, ge=0.02, le=0.2)
    rear_cell_m: float = Field(default=0.02, ge=0.005, le=0.08)
    rear_cell_min_points: int = Field(default=4, ge=2, le=50)
    rear_cell_quantile: float = Field(default=0.4, ge=0.0, le=1.0)
    rear_spread_min_m: float = Field(default=0.035, ge=0.0, le=0.3)
    rear_spread_full_m: float = Field(default=0.065, ge=0.0, le=0.3)
    back_spread_min_m: float = Field(default=0.035, ge=0.0, le=0.3)
    back_spread_full_m: float = Field(default=0.05, ge=0.0, le=0.3)
    back_smooth_bins: int = Field(default=5, ge=1, le=9)
    silhouette_bias_m: float = Field(default=0.0, ge=-0.03, le=0.03)
    leg_bottom_m: float = Field(default=0.12, ge=0.05, le=0.3)
    run_gap_m: float = Field(default=0.05, ge=0.01, le=0.2)
    curve_hinge_bias_deg: float = Field(default=14.0, ge=-30.0, le=30.0)
    head_far_quantile: float = Field(default=0.9, ge=0.5, le=0.99)
    stature_min_m: float = Field(default=1.2, ge=0.8, le=1.6)
    stature_max_m: float = Field(default=2.2, ge=1.6, le=2.6)


class SmoothingConfig(_Section):
    """One-euro filter per signal after a causal 3-median spike filter (smoothing.py).
    spike_units: how far (in the signal's unit: 1 cm, 1 deg, 10 mm, 1% of the foot) a
    sample may be from the median of the last three before it counts as a spike."""

    median3: bool = True
    spike_units: float = Field(default=3.0, ge=0.0, le=100.0)
    min_cutoff_hz: float = Field(default=2.0, gt=0.0, le=30.0)
    beta: float = Field(default=0.15, ge=0.0, le=10.0)
    d_cutoff_hz: float = Field(default=1.0, gt=0.0, le=30.0)
    reset_after_s: float = Field(default=0.5, ge=0.0, le=5.0)


class RepConfig(_Section):
    """Rep state machine (reps.py). Trunk angles in degrees, hip travel in metres."""

    stand_max_trunk_deg: float = Field(default=8.0, ge=2.0, le=40.0)
    hinge_start_trunk_deg: float = Field(default=10.0, ge=3.0, le=60.0)
    hip_travel_start_m: float = Field(default=0.035, ge=0.0, le=0.3)
    # With a wall near the standing hips, half the way to it starts a rep (reps._start_travel_m).
    wall_gap_start_frac: float = Field(default=0.5, ge=0.1, le=1.0)
    # A trunk this far forward starts a rep whatever the hips did: bending at the waist
    # without pushing the hips back (a stoop) is an attempt to judge, not sway to ignore.
    stoop_start_trunk_deg: float = Field(default=25.0, ge=10.0, le=80.0)
    stand_max_hip_travel_m: float = Field(default=0.025, ge=0.0, le=0.3)
    still_window_s: float = Field(default=0.5, ge=0.1, le=3.0)
    still_heel_range_m: float = Field(default=0.03, ge=0.005, le=0.2)
    still_hip_range_m: float = Field(default=0.04, ge=0.005, le=0.2)
    still_trunk_range_deg: float = Field(default=6.0, ge=0.5, le=30.0)
    # A still window must not trend either (least-squares slope over it): the slow start of
    # a descent passes the ranges above, and a reference taken there creeps into the hinge.
    still_trunk_rate_deg_s: float = Field(default=4.0, ge=0.5, le=60.0)
    still_hip_rate_m_s: float = Field(default=0.04, ge=0.005, le=1.0)
    motion_deg: float = Field(default=5.0, ge=0.5, le=20.0)
    stand_confirm_s: float = Field(default=0.15, ge=0.0, le=2.0)
    min_rep_s: float = Field(default=0.6, ge=0.1, le=5.0)
    max_rep_s: float = Field(default=20.0, ge=1.0, le=120.0)
    min_rep_trunk_deg: float = Field(default=10.0, ge=3.0, le=90.0)
    rep_hold_s: float = Field(default=0.25, ge=0.0, le=2.0)
    walk_heel_shift_m: float = Field(default=0.08, ge=0.01, le=0.5)
    lost_timeout_s: float = Field(default=0.5, ge=0.0, le=5.0)
    bottom_window_deg: float = Field(default=5.0, ge=0.0, le=30.0)

    @model_validator(mode="after")
    def _hysteresis(self) -> RepConfig:
        if self.hinge_start_trunk_deg <= self.stand_max_trunk_deg:
            raise ValueError("hinge_start_trunk_deg must exceed stand_max_trunk_deg (hysteresis)")
        if self.stoop_start_trunk_deg < self.hinge_start_trunk_deg:
            raise ValueError("stoop_start_trunk_deg must be >= hinge_start_trunk_deg")
        if self.min_rep_trunk_deg < self.hinge_start_trunk_deg:
            raise ValueError("min_rep_trunk_deg must be >= hinge_start_trunk_deg")
        return self


class FaultConfig(_Section):
    """Fault limits (docs/measurement.md, 'Faults')."""

    wall_tolerance_mm: float = Field(default=25.0, ge=0.0, le=200.0)
    max_knee_flexion_deg: float = Field(default=35.0, ge=5.0, le=120.0)
    knee_past_toe_margin_m: float = Field(default=0.0, ge=-0.1, le=0.2)
    max_spinal_flexion_deg: float = Field(default=25.0, ge=5.0, le=90.0)
    max_back_gap_mm: float = Field(default=40.0, ge=5.0, le=300.0)
    max_hollow_loss_frac: float = Field(default=0.17, ge=0.02, le=0.9)
    min_hollow_loss_mm: float = Field(default=5.0, ge=0.0, le=50.0)
    max_neck_flexion_deg: float = Field(default=25.0, ge=5.0, le=90.0)
    max_head_gap_mm: float | None = Field(default=None, ge=5.0, le=300.0)
    max_com_over_foot_frac: float = Field(default=0.75, ge=0.3, le=1.5)


class DrillConfig(_Section):
    """Drill progression (drill.py): dowel reps, then the wall drill."""

    dowel_reps: int = Field(default=3, ge=0, le=50)
    wall_start_in: float = Field(default=6.0, ge=0.0, le=48.0)
    step_in: float = Field(default=2.0, gt=0.0, le=12.0)
    max_fails_per_distance: int = Field(default=2, ge=1, le=10)
    max_wall_in: float = Field(default=40.0, ge=1.0, le=96.0)


class Profile(_Section):
    """The whole profile. `name` labels it in results. Who sets which section:
    body_model.py's docstring."""

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: object) -> object:
        # A profile written before the body model became its own section keeps its values.
        return migrate_profile_data(data)

    name: str = "default"
    segmentation: SegmentationConfig = Field(default_factory=SegmentationConfig)
    landmarks: LandmarkConfig = Field(default_factory=LandmarkConfig)
    body_model: BodyModelConfig = Field(default_factory=BodyModelConfig)
    smoothing: SmoothingConfig = Field(default_factory=SmoothingConfig)
    reps: RepConfig = Field(default_factory=RepConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
    drill: DrillConfig = Field(default_factory=DrillConfig)
