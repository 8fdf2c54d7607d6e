"""The fast paths of the measurement core give what their plain formulations give.

profile.py (contours, running medians, line fits) and person.py (sparse voxel graph) are
written for speed (docs/performance.md); each is checked here against a direct reference
on random and rendered inputs: exactly, except the line fit (closed form vs np.polyfit,
to rounding).
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
import pytest
from core_synth import Camera, Pose, Wall, body_samples, render
from scipy import ndimage

from kiosk.core.person import segment_person
from kiosk.core.profile import binned_contour, fit_line, median, window_median
from kiosk.core.thresholds import SegmentationConfig
from kiosk.core.types import StationZone

F64 = npt.NDArray[np.float64]


def _contour_reference(
    u: F64, v: F64, u0: float, bin_m: float, n_bins: int, rank: int, gap_m: float
) -> tuple[F64, F64, F64, npt.NDArray[np.int64]]:
    """lo, hi, run_hi, count per bin, one bin at a time (v quantised to 0.1 mm as the key is)."""
    b = np.floor((u - u0) / bin_m)
    q = np.clip(np.rint((v + 8.0) * 1e4), 0, (1 << 24) - 1).astype(np.int64).astype(np.float64) / 1e4 - 8.0
    lo, hi, run = (np.full(n_bins, np.nan) for _ in range(3))
    count = np.zeros(n_bins, dtype=np.int64)
    for i in range(n_bins):
        s = np.sort(q[b == i])
        count[i] = s.size
        if s.size <= rank:
            continue
        lo[i], hi[i] = s[rank], s[s.size - 1 - rank]
        run[i] = hi[i]
        for j in range(rank, s.size - 1):  # the first gap after lo ends the run
            if s[j + 1] - s[j] > gap_m:
                run[i] = s[j]
                break
    return lo, hi, run, count


def test_binned_contour_equals_the_per_bin_reference() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(0, 300))
        u = rng.uniform(-0.3, 1.5, n)
        v = np.round(rng.normal(0.0, 0.15, n), int(rng.integers(2, 5)))  # ties, gaps
        if rng.random() < 0.2 and n:
            v[: n // 4] += 0.3  # an arm in front of the leg
        args = (u, v, float(rng.choice([0.0, 0.05, -0.1])), float(rng.choice([0.02, 0.013])),
                int(rng.integers(1, 90)), int(rng.integers(0, 4)), float(rng.choice([0.05, 0.01])))
        got = binned_contour(*args)
        for a, b in zip((got.lo, got.hi, got.run_hi, got.count), _contour_reference(*args), strict=True):
            assert np.array_equal(a, b, equal_nan=True)


def test_window_median_equals_nanmedian() -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        a = np.round(rng.normal(size=n), 1)
        a[rng.random(n) < rng.choice([0.0, 0.3, 0.9, 1.0])] = np.nan
        for k in (3, 5, 7):
            pad = np.concatenate([np.full(k // 2, np.nan), a, np.full(k // 2, np.nan)])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
                expected = np.array([np.nanmedian(pad[i : i + k]) for i in range(n)])
            assert np.array_equal(window_median(a, k), expected, equal_nan=True)


def test_median_and_fit_line_match_numpy() -> None:
    rng = np.random.default_rng(2)
    for _ in range(300):
        n = int(rng.integers(1, 80))
        a = np.round(rng.normal(size=n), 2)
        assert median(a) == float(np.median(a))
        u = rng.uniform(0.0, 1.0, n)
        v = 0.3 + 0.2 * u + rng.normal(0.0, 0.01, n)
        v[rng.random(n) < 0.15] += 0.1  # outliers for the trimming
        v[rng.random(n) < 0.1] = np.nan
        got, ok = fit_line(u, v), ~np.isnan(v)
        if ok.sum() < 3:
            assert got is None
            continue
        assert got is not None
        b, a0 = np.polyfit(u[ok], v[ok], 1)
        res = np.abs(v[ok] - (a0 + b * u[ok]))
        keep = res <= max(0.02, 2.5 * float(np.median(res)))
        if 3 <= keep.sum() < ok.sum():
            b, a0 = np.polyfit(u[ok][keep], v[ok][keep], 1)
        assert got == pytest.approx((a0, b), abs=1e-12)


def _segment_dense(
    pts: npt.NDArray[np.float32], zone: StationZone, cfg: SegmentationConfig
) -> npt.NDArray[np.int64]:
    """segment_person's point indices the plain way: dense grid, ndimage.label, dilations."""
    v = cfg.voxel_m
    dims = (int(np.ceil((zone.x_max_m - zone.x_min_m) / v)), int(np.ceil(zone.y_max_m / v)),
            int(np.ceil((zone.z_max_m - zone.z_min_m) / v)))
    f = (pts - np.array([zone.x_min_m, 0.0, zone.z_min_m], dtype=np.float32)) * np.float32(1.0 / v)
    ok = np.all((f >= [0, -np.inf, 0]) & (f < dims), axis=1) & (pts[:, 1] > np.float32(cfg.floor_band_m))
    sel = np.flatnonzero(ok)
    ijk = f[sel].astype(np.int32)
    counts = np.zeros(dims, dtype=np.int64)
    np.add.at(counts, tuple(ijk.T), 1)
    low = min(int(np.ceil(cfg.connect_min_y_m / v - 1e-6)), dims[1] - 1)
    solid = counts >= cfg.min_voxel_points
    solid[:, :low, :] = False
    cube = np.ones((3, 3, 3), dtype=bool)
    labels, n = ndimage.label(solid, structure=cube)
    sizes = ndimage.sum_labels(counts, labels, index=np.arange(n + 1))
    boxes = ndimage.find_objects(labels)
    like = []
    for lab in np.argsort(-sizes[1:])[:8] + 1:
        bx = boxes[lab - 1]
        if (
            sizes[lab] >= cfg.min_person_points
            and bx[1].start * v <= max(cfg.max_foot_y_m, cfg.connect_min_y_m)
            and bx[1].stop * v >= cfg.min_height_m
            and (bx[0].stop - bx[0].start) * v <= cfg.max_extent_x_m
            and (bx[2].stop - bx[2].start) * v <= cfg.max_extent_z_m
        ):
            like.append(int(lab))
    assert like, "the reference found nobody"
    body = labels == like[0]
    if cfg.attach_gap_voxels > 0:
        near = ndimage.binary_dilation(body, structure=cube, iterations=cfg.attach_gap_voxels)
        for lab in np.unique(labels[near & (labels > 0)]):
            bx = boxes[lab - 1]
            if lab not in like and max(s.stop - s.start for s in bx) * v <= cfg.attach_max_extent_m:
                body |= labels == lab
    body |= ndimage.binary_dilation(body, structure=cube) & (counts > 0) & (labels == 0)
    if low > 0:
        foot = ndimage.binary_dilation(body[:, low, :], structure=np.ones((3, 3), dtype=bool))
        body[:, :low, :] = (counts[:, :low, :] > 0) & foot[:, None, :]
    return sel[body[tuple(ijk.T)]].astype(np.int64)


@pytest.mark.parametrize(
    "cfg",
    [SegmentationConfig(), SegmentationConfig(voxel_m=0.03, min_voxel_points=2, attach_gap_voxels=4),
     SegmentationConfig(connect_min_y_m=0.0, attach_gap_voxels=0),
     SegmentationConfig(connect_min_y_m=0.1, attach_gap_voxels=5, attach_max_extent_m=1.5)],
)
def test_segmentation_equals_the_dense_reference(cfg: SegmentationConfig) -> None:
    zone = StationZone()
    wall = Wall((0.0, 0.0, 1.0), -0.5, 1.5, 2.2)
    rng = np.random.default_rng(3)
    for seed, pose in enumerate((Pose(), Pose(shank_deg=5, knee_deg=18, trunk_deg=60), Pose(trunk_deg=35))):
        pts, nrm, _ = body_samples(pose)
        world, _, _ = render([(pts, nrm)], Camera(oblique_deg=15.0 * seed), walls=(wall,), seed=seed)
        stray = np.column_stack([rng.uniform(-1.0, 1.0, 300), rng.uniform(0.0, 2.0, 300),
                                 rng.uniform(-0.6, 0.6, 300)]).astype(np.float32)
        cloud = np.concatenate([world, stray])  # fragments to attach, sparse voxels, floor fuzz
        seg = segment_person(cloud, zone, cfg)
        assert seg.person
        assert np.array_equal(seg.indices, _segment_dense(cloud, zone, cfg))
