"""The body model: fixed proportions of a human body, as fractions of the athlete's stature.

Who sets what in a profile: the coach sets `[faults]` (the limits a rep is judged by) and
`[drill]` (the progression); the installer sets nothing here (the station lives in the kiosk
config and the calibration file); `[segmentation]`, `[landmarks]`, `[smoothing]` and `[reps]`
are the measurement's processing settings (bins, ranks, noise bands, filter cut-offs, rep
timing). This section is neither: it says where joints and regions lie on a body of a given
stature, from anthropometric tables (Winter, Biomechanics and Motor Control of Human
Movement; de Leva 1996) checked on the tuning family only (docs/accuracy.md), so it is not
for anyone at a station to change. It is a profile section so that a developer can try
another model on a recording without editing code.

Units: `_frac` is a fraction of stature unless its line says of what; `_deg` degrees in the
sagittal plane. Frame: the athlete's sagittal plane, x toward the toes, y up.

Older profiles carried these keys in `[landmarks]`, some under other names (`lumbar_lo`,
`hip_buttocks_weight`, ...): `migrate_profile_data` moves them here, so such a profile keeps
loading with the values it had.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BodyModelConfig(BaseModel):
    """Fractions of stature (legs.py, landmarks.py, back.py, spine.py, head.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Legs (legs.py): segment lengths, the leg's search band and the thigh/calf surfaces'
    # tilt against the bone.
    ankle_height_frac: float = Field(default=0.039, ge=0.02, le=0.08)
    shank_frac: float = Field(default=0.246, ge=0.18, le=0.32)
    thigh_frac: float = Field(default=0.245, ge=0.18, le=0.32)
    leg_top_frac: float = Field(default=0.44, ge=0.3, le=0.55)
    knee_margin_frac: float = Field(default=0.035, ge=0.0, le=0.1)
    thigh_edge_top_frac: float = Field(default=0.42, ge=0.3, le=0.55)
    thigh_taper_deg: float = Field(default=5.2, ge=-1.0, le=12.0)
    calf_tilt_deg: float = Field(default=3.2, ge=-5.0, le=10.0)
    ankle_offset_frac: float = Field(default=0.004, ge=-0.02, le=0.02)
    # Foot (legs.py, landmarks.py): heel to toe, and ankle to toe.
    foot_frac: float = Field(default=0.152, ge=0.12, le=0.18)
    toe_ankle_frac: float = Field(default=0.1155, ge=0.08, le=0.15)
    # Pelvis (landmarks.py): the hip joint from the buttocks' surface; the weight (0-1) of
    # that estimate against the leg chain's.
    pelvis_radius_frac: float = Field(default=0.0618, ge=0.02, le=0.1)
    buttock_x_frac: float = Field(default=0.0393, ge=0.0, le=0.08)
    buttock_y_frac: float = Field(default=0.0112, ge=-0.05, le=0.05)
    hip_buttocks_weight_frac: float = Field(default=0.7, ge=0.0, le=1.0)
    # Trunk (back.py): hip to shoulder joint, the joint's depth below the back surface and
    # the shoulder blades' ridge, the sacrum's reach above the hip.
    trunk_frac: float = Field(default=0.293, ge=0.2, le=0.36)
    shoulder_depth_frac: float = Field(default=0.0675, ge=0.0, le=0.12)
    shoulder_ridge_frac: float = Field(default=0.057, ge=0.0, le=0.12)
    sacrum_frac: float = Field(default=0.08, ge=0.02, le=0.15)
    # Regions of the back (spine.py), as fractions of the hip-to-shoulder distance along
    # the trunk's axis (not of stature).
    lumbar_lo_frac: float = Field(default=0.22, ge=0.0, le=0.6)
    lumbar_hi_frac: float = Field(default=0.48, ge=0.1, le=0.8)
    upper_back_lo_frac: float = Field(default=0.62, ge=0.3, le=0.95)
    upper_back_hi_frac: float = Field(default=0.92, ge=0.5, le=1.0)
    thoracic_lo_frac: float = Field(default=0.45, ge=0.2, le=0.7)
    thoracic_hi_frac: float = Field(default=0.85, ge=0.6, le=1.0)
    buttock_band_hi_frac: float = Field(default=0.3, ge=0.1, le=0.45)
    # Neck and head (head.py, back.py): the neck's base above the shoulder and below the
    # back's ridge, where the head's points start and how far they reach.
    neck_base_frac: float = Field(default=0.0197, ge=0.0, le=0.08)
    neck_depth_frac: float = Field(default=0.049, ge=0.0, le=0.1)
    head_start_frac: float = Field(default=0.06, ge=0.02, le=0.12)
    head_reach_frac: float = Field(default=0.2, ge=0.1, le=0.3)

    @model_validator(mode="after")
    def _bands_in_order(self) -> BodyModelConfig:
        for band in ("lumbar", "upper_back", "thoracic"):
            lo, hi = getattr(self, f"{band}_lo_frac"), getattr(self, f"{band}_hi_frac")
            if lo >= hi:
                raise ValueError(f"{band}_lo_frac ({lo}) must be below {band}_hi_frac ({hi})")
        return self


BODY_MODEL = BodyModelConfig()  # the model every profile gets unless it says otherwise

# [landmarks] keys of older profiles -> this section's names.
_RENAMED_IN_MOVE = {
    "hip_buttocks_weight": "hip_buttocks_weight_frac",
    "lumbar_lo": "lumbar_lo_frac", "lumbar_hi": "lumbar_hi_frac",
    "upper_back_lo": "upper_back_lo_frac", "upper_back_hi": "upper_back_hi_frac",
    "thoracic_lo": "thoracic_lo_frac", "thoracic_hi": "thoracic_hi_frac",
    "buttock_band_hi": "buttock_band_hi_frac",
}
MOVED_FROM_LANDMARKS: dict[str, str] = {
    **{k: k for k in BodyModelConfig.model_fields if k not in _RENAMED_IN_MOVE.values()},
    **_RENAMED_IN_MOVE,
}
# Keys renamed within a section: (section, old name) -> new name.
RENAMED: dict[tuple[str, str], str] = {("faults", "max_com_over_foot"): "max_com_over_foot_frac"}


def migrate_profile_data(data: Any) -> Any:
    """A profile's raw table (as read from TOML) in today's layout: body-model keys of an
    older `[landmarks]` moved to `[body_model]` under their new names, renamed keys renamed.
    A key given under both its old and its new place is refused (ValueError, one line)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for (section, old), new in RENAMED.items():
        _move(out, section, old, section, new)
    if isinstance(out.get("landmarks"), dict):
        for old, new in MOVED_FROM_LANDMARKS.items():
            _move(out, "landmarks", old, "body_model", new)
    return out


def old_names(data: Any) -> dict[str, str]:
    """For a raw profile table: today's dotted name -> the older one the table used, for the
    keys `migrate_profile_data` would move (so an error can name what the file says)."""
    out: dict[str, str] = {}
    if not isinstance(data, dict):
        return out
    for (section, old), new in RENAMED.items():
        if isinstance(data.get(section), dict) and old in data[section]:
            out[f"{section}.{new}"] = f"{section}.{old}"
    if isinstance(data.get("landmarks"), dict):
        for old, new in MOVED_FROM_LANDMARKS.items():
            if old in data["landmarks"]:
                out[f"body_model.{new}"] = f"landmarks.{old}"
    return out


def _move(data: dict[str, Any], src: str, old: str, dst: str, new: str) -> None:
    """data[src][old] -> data[dst][new], each table copied (the caller's stays as read)."""
    table = data.get(src)
    if not isinstance(table, dict) or old not in table:
        return
    value = table[old]
    data[src] = {k: v for k, v in table.items() if k != old}
    target = data.get(dst, {})
    if not isinstance(target, dict):
        return  # the model's own validation names the bad section
    if new in target:
        raise ValueError(f"{src}.{old} is the older name of {dst}.{new}: keep only {dst}.{new}")
    data[dst] = {**target, new: value}

