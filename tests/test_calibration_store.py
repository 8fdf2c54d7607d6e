"""The calibration file: round trip, atomic write, and one-line errors for bad files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from calibration.background import build_background
from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from calibration.model import Calibration
from calibration.store import background_path, load, save

try:
    from test_calibration_scene import Placement, Scene, make_frames, render_depth_m
except ImportError:  # tests/ imported as a package
    from tests.test_calibration_scene import Placement, Scene, make_frames, render_depth_m

PLACEMENT = Placement(2.0, 0.95, 6.0, side="left")


@pytest.fixture(scope="module")
def cal() -> Calibration:
    frames = make_frames(PLACEMENT, Scene(person=True, wall_m=1.0), n=2, seed=1)
    empty = make_frames(PLACEMENT, Scene(wall_m=1.0), n=5, seed=2)
    return calibrate(frames, empty_frames=empty, source="synthetic test scene")


@pytest.fixture()
def saved(cal: Calibration, tmp_path: Path) -> Path:
    path = tmp_path / "calibration.json"
    save(cal, path)
    return path


def _edit(path: Path, change: object) -> None:
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def _error(path: Path) -> str:
    with pytest.raises(CalibrationError) as info:
        load(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path.with_suffix("")) in msg  # names the file (JSON or its npz)
    return msg


def test_round_trip_keeps_everything(cal: Calibration, saved: Path) -> None:
    back = load(saved)
    np.testing.assert_allclose(back.pose.r, cal.pose.r, atol=1e-12)
    np.testing.assert_allclose(back.pose.t, cal.pose.t, atol=1e-12)
    assert back.intrinsics == cal.intrinsics
    assert back.floor == cal.floor and back.zone == cal.zone
    assert (back.facing, back.source, back.created_utc) == (cal.facing, cal.source, cal.created_utc)
    assert back.background is not None and cal.background is not None
    np.testing.assert_allclose(back.background.depth_m, cal.background.depth_m, atol=0.0006)
    data = json.loads(saved.read_text())
    assert data["version"] == 1 and data["background"]["file"] == background_path(saved).name
    assert abs(data["pose"]["camera_pitch_deg"] - PLACEMENT.pitch_deg) < 1.0
    assert [p.name for p in saved.parent.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_background_separates_a_person_from_the_empty_scene(cal: Calibration) -> None:
    assert cal.background is not None
    person = make_frames(PLACEMENT, Scene(person=True, wall_m=1.0), n=1, seed=9)[0].depth_m()
    clean_person = render_depth_m(PLACEMENT, Scene(person=True, wall_m=1.0))
    clean_empty = render_depth_m(PLACEMENT, Scene(wall_m=1.0))
    fg = cal.background.foreground_mask(person)
    occluding = (clean_person > 0) & (clean_person < clean_empty - 0.3)
    unchanged = clean_person == clean_empty
    assert occluding.sum() > 5000 and fg[occluding].mean() > 0.97
    assert fg[unchanged].mean() < 0.01  # 3-sigma tolerance: stereo noise rarely fakes a person
    assert not cal.background.foreground_mask(np.zeros_like(person)).any()  # no depth: never foreground


def test_missing_file(tmp_path: Path) -> None:
    msg = _error(tmp_path / "nope.json")
    assert "not found" in msg and "calibrate" in msg


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\x00\x01 this is not { json")
    assert "not JSON" in _error(path)
    path.write_text("[1, 2, 3]")
    assert "expected an object" in _error(path)


def test_wrong_or_missing_version(saved: Path) -> None:
    _edit(saved, lambda d: d.update(version=2))
    assert "version 2" in _error(saved) and "reads version 1" in _error(saved)
    _edit(saved, lambda d: d.pop("version"))
    assert "has no version" in _error(saved)


def test_unknown_keys_top_level_and_nested(saved: Path) -> None:
    _edit(saved, lambda d: d.update(colour="blue"))
    assert "unknown key 'colour'" in _error(saved)
    _edit(saved, lambda d: (d.pop("colour"), d["zone"].update(radius_m=1.0)))
    assert "unknown key 'zone.radius_m'" in _error(saved)


def test_missing_key(saved: Path) -> None:
    _edit(saved, lambda d: d["floor"].pop("rms_mm"))
    assert "missing key 'floor.rms_mm'" in _error(saved)


def test_floor_noise_round_trips_and_older_files_load_without_it(cal: Calibration, saved: Path) -> None:
    data = json.loads(saved.read_text())
    noise = cal.floor.noise_m_per_m2
    assert noise is not None and data["floor"]["noise_m_per_m2"] == noise
    _edit(saved, lambda d: d["floor"].pop("noise_m_per_m2"))  # written before 2026-12-07
    back = load(saved)
    assert back.floor.noise_m_per_m2 is None and back.floor.rms_mm == cal.floor.rms_mm
    _edit(saved, lambda d: d["floor"].update(noise_m_per_m2=-0.001))
    assert "floor.noise_m_per_m2 = -0.001 is out of range" in _error(saved)


def test_out_of_range_names_key_value_and_range(saved: Path) -> None:
    _edit(saved, lambda d: d["floor"].update(rms_mm=900.0))
    msg = _error(saved)
    assert "floor.rms_mm = 900" in msg and "out of range" in msg and "0 to 500" in msg
    _edit(saved, lambda d: (d["floor"].update(rms_mm=5.0), d["pose"].update(camera_height_m=7.5)))
    assert "pose.camera_height_m = 7.5 is out of range (allowed 0.1 to 3)" in _error(saved)


def test_out_of_range_inside_a_matrix(saved: Path) -> None:
    _edit(saved, lambda d: d["pose"]["rotation"][0].__setitem__(1, 3.0))
    assert "pose.rotation.0.1 = 3 is out of range (allowed -1.0001 to 1.0001)" in _error(saved)


def test_inconsistent_pose_is_caught(saved: Path) -> None:
    _edit(saved, lambda d: d["pose"]["rotation"][0].__setitem__(1, 0.5))
    assert "not a rotation matrix" in _error(saved)


def test_wrong_types_and_choices(saved: Path) -> None:
    _edit(saved, lambda d: d.update(facing="up"))
    msg = _error(saved)
    assert "facing" in msg and '"up"' in msg
    _edit(saved, lambda d: (d.update(facing="left"), d["intrinsics"].update(width="wide")))
    assert "intrinsics.width" in _error(saved)


def test_background_missing_or_altered(saved: Path) -> None:
    npz = background_path(saved)
    data = npz.read_bytes()
    npz.write_bytes(data[:-10] + b"0123456789")
    assert "checksum" in _error(saved)
    npz.unlink()
    assert "missing" in _error(saved)


def test_save_replaces_atomically(cal: Calibration, saved: Path) -> None:
    before = saved.read_text()
    save(cal.with_facing("right"), saved)
    after = json.loads(saved.read_text())
    assert after["facing"] == "right" and before != saved.read_text()
    assert load(saved).facing == "right"


def test_background_unknown_pixels_and_tolerance() -> None:
    frames = make_frames(PLACEMENT, Scene(), n=4, seed=3)
    for f in frames[:3]:
        f.depth[:10, :10] = 0  # valid in 1 of 4 frames: unknown background
    model = build_background(frames)
    assert np.all(model.depth_m[:10, :10] == 0) and np.all(model.depth_m[300:, :] > 0)
    assert np.all(model.tolerance_m[300:, :] >= 0.03)
    probe = np.full(model.depth_m.shape, 1.0, np.float32)
    fg = model.foreground_mask(probe)
    assert fg[:10, :10].all()  # depth where the background is unknown: foreground
    with pytest.raises(CalibrationError, match="resolution"):
        model.foreground_mask(np.zeros((10, 10), np.float32))


def test_invalid_calibration_is_not_saved(cal: Calibration, tmp_path: Path) -> None:
    bad = replace(cal, floor=replace(cal.floor, rms_mm=float("nan")))
    path = tmp_path / "bad.json"
    with pytest.raises(CalibrationError, match=r"not saved.*floor\.rms_mm"):
        save(bad, path)
    assert list(tmp_path.iterdir()) == []  # neither the JSON nor the npz


def test_auto_facing_resolves_later(cal: Calibration) -> None:
    auto = replace(cal.with_facing("right"), facing="auto")  # "auto" poses are built as for "right"
    right, left = auto.with_facing("right"), auto.with_facing("left")
    assert right.pose is auto.pose and right.facing == "right"
    np.testing.assert_allclose(left.pose.r[0], -auto.pose.r[0])
    assert abs(left.zone.centre_z_m + auto.zone.centre_z_m) < 1e-12
