"""Segmentation of the athlete (kiosk/core/person.py) on analytic depth frames."""

from __future__ import annotations

import numpy as np
from core_synth import Camera, Pose, Wall, body_samples, render

from kiosk.core.person import segment_person
from kiosk.core.thresholds import SegmentationConfig
from kiosk.core.types import StationZone

CFG = SegmentationConfig()
ZONE = StationZone()


def test_person_found_and_separated_from_floor() -> None:
    pts, nrm, _ = body_samples(Pose())
    world, _, is_body = render([(pts, nrm)], Camera(), seed=1)
    seg = segment_person(world, ZONE, CFG)
    assert seg.person and not seg.second_person
    got = np.zeros(world.shape[0], dtype=bool)
    got[seg.indices] = True
    recall = (got & is_body & (world[:, 1] > 0.06)).sum() / (is_body & (world[:, 1] > 0.06)).sum()
    precision = (got & is_body).sum() / got.sum()
    assert recall > 0.97, recall
    assert precision > 0.97, precision
    assert 1.6 < seg.height_m < 1.85


def test_no_person_on_an_empty_floor() -> None:
    world, _, _ = render([], Camera(), seed=2)
    seg = segment_person(world, ZONE, CFG)
    assert not seg.person
    assert seg.reason


def test_too_short_is_not_a_person() -> None:
    # A 0.6 m box-like object (a bench, a bag) standing in the zone.
    pts, nrm, _ = body_samples(Pose(), stature_m=0.5)
    world, _, _ = render([(pts, nrm)], Camera(), seed=3)
    seg = segment_person(world, ZONE, CFG)
    assert not seg.person
    assert seg.reason in ("too short", "too few points")


def test_not_standing_on_the_floor() -> None:
    pts, nrm, _ = body_samples(Pose())
    lifted = pts + np.array([0.0, 0.4, 0.0])
    world, _, _ = render([(lifted, nrm)], Camera(), seed=4)
    seg = segment_person(world, ZONE, CFG)
    assert not seg.person
    assert seg.reason == "not standing on the floor"


def test_second_person_in_the_zone_is_reported() -> None:
    a = body_samples(Pose(x0_m=-0.5))[:2]
    b = body_samples(Pose(x0_m=0.7, z0_m=-0.2), stature_m=1.65, seed=5)[:2]
    world, _, _ = render([a, b], Camera(distance_m=2.3), seed=5)
    seg = segment_person(world, ZONE, CFG)
    assert seg.person and seg.second_person
    one, _, _ = render([a], Camera(distance_m=2.3), seed=5)
    assert not segment_person(one, ZONE, CFG).second_person


def test_flying_pixels_do_not_merge_the_athlete_with_a_wall() -> None:
    # A wall inside the zone behind the athlete (seen from the camera side), flying pixels
    # at every depth edge from the renderer, plus a dense straggler sheet between them.
    pts, nrm, _ = body_samples(Pose(shank_deg=5, knee_deg=18, trunk_deg=45))
    wall = Wall((0.0, 0.0, 1.0), -0.5, 1.5, 2.2)
    world, _, _is_body = render([(pts, nrm)], Camera(), walls=(wall,), seed=6)
    rng = np.random.default_rng(6)
    n = 400
    stragglers = np.column_stack(
        [rng.uniform(-0.2, 0.2, n), rng.uniform(0.3, 1.5, n), rng.uniform(-0.5, -0.12, n)]
    )
    cloud = np.concatenate([world, stragglers.astype(np.float32)])
    seg = segment_person(cloud, ZONE, CFG)
    assert seg.person
    on_wall = np.abs(cloud[seg.indices, 2] + 0.5) < 0.05
    assert on_wall.sum() < 10, on_wall.sum()
    assert np.percentile(cloud[seg.indices, 2], 1) > -0.35


def test_sparse_labelling_equals_ndimage_label() -> None:
    """The union-find labelling of the solid voxels numbers components as ndimage.label does."""
    from scipy import ndimage

    from kiosk.core.person import _label_26

    rng = np.random.default_rng(0)
    for _ in range(60):
        shape = (int(rng.integers(1, 12)), int(rng.integers(1, 12)), int(rng.integers(1, 12)))
        solid = rng.random(shape) < rng.choice([0.0, 0.05, 0.2, 0.5])
        expected, n_expected = ndimage.label(solid, structure=np.ones((3, 3, 3), dtype=bool))
        coords = np.argwhere(solid)  # raster order
        lab, n = _label_26(coords, shape)
        assert n == n_expected
        assert np.array_equal(lab, expected[solid])
