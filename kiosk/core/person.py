"""The athlete out of one frame's world points: floor, zone, background, components.

Connectivity is decided on a coarse voxel grid (`voxel_m`, default 5 cm) rather than per
point: a voxel counts as solid only with >= `min_voxel_points` points, so the sparse
flying pixels that D4xx stereo leaves between a body's edge and the background (each in
a voxel of its own) cannot bridge the athlete to a wall, and a hole in the depth image
smaller than a voxel or two cannot split the body (26-connectivity). Small fragments cut
off by a larger hole (a head behind a dropout across the neck) are re-attached when they
lie within `attach_gap_voxels` of the body; points in sparse voxels touching the body
(its silhouette edge, seen at grazing incidence) are kept.

Given the camera centre, a small fragment hidden behind the body along the line of sight
is attached too, however far behind (up to `occlusion_attach_m`, about a body's
thickness): at the bottom of a hinge seen low and from behind the side, the shoulder
hides the neck, and the head's visible points lie ~2 cm from the body across the ray but
0.17-0.26 m behind it along the ray. A fragment is hidden when its voxels, moved toward
the camera voxel by voxel, meet the body (dilated by one voxel): the space joining them
is seen only through the body. Something beside the body, in the open, is not; nor is
anything further behind than a body's thickness (another person, a wall), nor what
reaches the floor (its noise behind the feet, which the feet always hide).

The lowest voxel layer (below `connect_min_y_m`) is left out of the connectivity: D4xx
noise on the floor at grazing incidence is tens of mm, so the floor band alone leaves a
fuzz of floor points that would join the athlete to the floor. That layer is added back
only under and beside the body's feet.

Pure: world points in, `PersonSegmentation` out; ~0.4 ms on a dev core for the few
thousand points FrameAnalyzer hands in (only the zone's pixels: kiosk/analysis/analyzer.py). The
grid is kept sparse: the occupied voxels come from a sort of the points' voxel ids (a few
hundred of the zone's ~50k), the solid ones are labelled by a union-find over their
neighbours, and the attaching and growing look up only the voxels concerned in a padded
grid (a neighbour is a fixed flat offset there). Each gives exactly what ndimage.label /
binary_dilation on the dense grid give (tests/test_core_equivalence.py).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kiosk.core.thresholds import SegmentationConfig
from kiosk.core.types import PersonSegmentation, Points, StationZone
from kiosk.core.voxels import PaddedGrid, VoxelBoxes, label_components, near_components, occluded_components

_EMPTY_POINTS: Points = np.zeros((0, 3), dtype=np.float32)
_EMPTY_INDEX: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)


def _absent(reason: str, second: bool = False) -> PersonSegmentation:
    return PersonSegmentation(_EMPTY_POINTS, _EMPTY_INDEX, person=False, second_person=second, reason=reason)


def segment_person(
    points_world: Points,
    zone: StationZone,
    cfg: SegmentationConfig,
    camera_world: npt.ArrayLike | None = None,
) -> PersonSegmentation:
    """Pick the athlete: the largest person-like body standing in `zone`.

    points_world: (N, 3) float32, world frame (the background model, when there is one,
    already applied: kiosk/analysis/analyzer.py). A component is person-like when it has
    >= min_person_points points, reaches the floor (lowest voxel <= max_foot_y_m), is at
    least min_height_m tall and fits in max_extent_x_m by max_extent_z_m. `second_person`
    flags another person-like component of comparable size in the zone. camera_world:
    optional camera centre (3,) in the world frame (the calibration pose's translation);
    with it, small fragments hidden behind the body along the line of sight are attached
    (None: only those within attach_gap_voxels).
    """
    pts = np.asarray(points_world, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 3 or pts.shape[0] == 0:
        return _absent("no points")
    v = cfg.voxel_m
    inv = np.float32(1.0 / v)
    dims = (
        int(np.ceil((zone.x_max_m - zone.x_min_m) / v)),
        int(np.ceil(zone.y_max_m / v)),
        int(np.ceil((zone.z_max_m - zone.z_min_m) / v)),
    )
    # Column-wise arithmetic on the (3, N) coordinates: ~10x faster than (N, 3) row ops on
    # strided data, and one numpy call for the three (subtracting 0 from y changes no bit).
    cols = pts.T
    # A coordinate far outside float32's range (a corrupt frame) turns inf or NaN here and
    # fails the `inside` test below, which is what should happen to it: no warning needed.
    with np.errstate(over="ignore", invalid="ignore"):
        f = cols - np.array([[zone.x_min_m], [0.0], [zone.z_min_m]], dtype=np.float32)
        f *= inv
        inside = (f >= 0) & (f < np.array([[dims[0]], [dims[1]], [dims[2]]], dtype=np.float32))
    # y >= 0 is implied: y > floor_band_m >= 0, and y / voxel_m >= y.
    ok = inside[0] & inside[1] & inside[2] & (cols[1] > np.float32(cfg.floor_band_m))
    sel = ok.nonzero()[0]
    if sel.size < cfg.min_person_points:
        return _absent("too few points in the zone")
    # The occupied voxels in raster order and their point counts (np.unique's sort). The
    # zone's voxel ids fit 16 bits (~57k voxels at 5 cm): numpy's stable sort of 16-bit
    # keys is a radix sort, ~3x faster than sorting int32.
    n_vox = dims[0] * dims[1] * dims[2]
    small = n_vox < 1 << 16
    ijk = np.take(f, sel, axis=1).astype(np.uint16 if small else np.int32)  # take: ~4x f[:, sel]
    flat = (ijk[0] * dims[1] + ijk[1]) * dims[2] + ijk[2]
    srt = np.sort(flat, kind="stable" if small else None)
    starts = np.empty(srt.size, dtype=bool)
    starts[0] = True
    np.not_equal(srt[1:], srt[:-1], out=starts[1:])
    first = starts.nonzero()[0]
    vox, vox_points = srt[first], np.empty_like(first)
    vox_points[:-1] = first[1:] - first[:-1]
    vox_points[-1] = srt.size - first[-1]
    xyz = np.empty((3, vox.size), dtype=np.int64)  # the voxels' (x, y, z), raster order
    np.divmod(vox, dims[2], out=(xyz[1], xyz[2]))
    np.divmod(xyz[1], dims[1], out=(xyz[0], xyz[1]))
    vy = xyz[1]
    # The floor's noise (large at grazing incidence) fills the lowest voxel layer with
    # fuzz that would join the athlete to the whole floor: connect only above it.
    low = min(int(np.ceil(cfg.connect_min_y_m / v - 1e-6)), dims[1] - 1)
    solid = (vox_points >= cfg.min_voxel_points) & (vy >= low)
    solid_at = solid.nonzero()[0]
    if solid_at.size == 0:
        return _absent("no solid body in the zone")
    # Work inside the box of the solid voxels, from the floor up to one layer above the
    # top, with 2 voxels more in x and z for the silhouette edges (+1) and the feet's
    # layer beside them (+2): no other voxel can join the body.
    solid_xyz = np.take(xyz, solid_at, axis=1)
    lo, hi = solid_xyz.min(axis=1).tolist(), solid_xyz.max(axis=1).tolist()
    x0, z0 = max(lo[0] - 2, 0), max(lo[2] - 2, 0)
    shape = (min(hi[0] + 3, dims[0]) - x0, min(hi[1] + 2, dims[1]), min(hi[2] + 3, dims[2]) - z0)
    origin = np.array([[x0], [0], [z0]])
    loc = xyz - origin  # the crop's coordinates
    in_box = (loc >= 0) & (loc < np.array([[shape[0]], [shape[1]], [shape[2]]]))
    in_crop = in_box[0] & in_box[1] & in_box[2]
    grid = PaddedGrid(shape, max(cfg.attach_gap_voxels, 1))
    # Padded indices, used only for voxels in the crop (outside it they are meaningless).
    key = np.dot(grid.strides, loc) + grid.pad * sum(grid.strides)
    solid_key = key[solid_at]
    lab, n_labels, cells = label_components(grid, solid_key)
    comp_points = np.bincount(lab, weights=vox_points[solid_at], minlength=n_labels + 1)
    coords = solid_xyz - origin
    boxes = VoxelBoxes.of(lab, coords, n_labels)

    person_like: list[int] = []
    reason = "too few points"
    for lab_i in np.argsort(-comp_points[1:])[:8] + 1:  # the few largest components suffice
        if comp_points[lab_i] < cfg.min_person_points:
            break  # sorted by size: the rest are too small as well (the reason stays)
        why = _not_person_like(boxes(int(lab_i)), float(comp_points[lab_i]), cfg)
        if why:
            if not person_like and reason == "too few points":
                reason = why
            continue
        person_like.append(int(lab_i))
    if not person_like:
        return _absent(reason)
    main = person_like[0]
    second = any(
        comp_points[lab_i] >= cfg.second_min_points_frac * comp_points[main]
        and float(boxes(lab_i)[1].stop) * v >= cfg.second_min_height_m
        for lab_i in person_like[1:]
    )
    member = np.zeros(n_labels + 1, dtype=bool)
    member[main] = True
    # The voxels next to main's (26-neighbourhood), in the padded grid: what the occlusion
    # test probes, and, grown by the attached fragments', where the silhouette edge lies.
    cube = grid.cube(1)
    near = np.zeros(grid.size, dtype=bool)
    near[(solid_key[lab == main, None] + cube).ravel()] = True  # a 1-D index: ~1.5x faster
    occlusion_steps = int(np.floor(cfg.occlusion_attach_m / v + 1e-6)) if camera_world is not None else 0
    attached = False
    if cfg.attach_gap_voxels > 0 or occlusion_steps > 0:
        eligible = ((boxes.hi - boxes.lo).max(axis=0) + 1) * v <= cfg.attach_max_extent_m
        eligible[0] = False
        for lab_i in person_like:
            eligible[lab_i] = False
        if cfg.attach_gap_voxels > 0:
            found = near_components(cells, solid_key, lab, main, eligible, grid.cube(cfg.attach_gap_voxels))
            member[found] = True
            attached = found.size > 0
        if occlusion_steps > 0:
            # The camera centre in the crop's voxel coordinates (voxel i spans [i, i + 1)).
            cam = np.asarray(camera_world, dtype=np.float64).reshape(3)
            cam_v = np.array(
                [(cam[0] - zone.x_min_m) / v - x0, cam[1] / v, (cam[2] - zone.z_min_m) / v - z0]
            )
            # Not what reaches the floor: the feet hide the floor's noise behind them.
            off_floor = boxes.lo[1] * v > max(cfg.max_foot_y_m, cfg.connect_min_y_m)
            hidden = occluded_components(
                grid, near, coords, lab, eligible & off_floor & ~member, cam_v, occlusion_steps
            )
            member[hidden] = True
            attached = attached or hidden.size > 0
    # The body's voxels: its solid ones, then the sparse occupied voxels touching them
    # (marked around the solid ones: fewer than the sparse voxels to look around).
    body = np.zeros(vox.size, dtype=bool)
    body_solid = member[lab]
    body[solid_at] = body_solid
    if attached:
        near[(solid_key[body_solid & (lab != main), None] + cube).ravel()] = True
    edge = (in_crop & ~solid).nonzero()[0]
    body[edge] = near[key[edge]]
    if low > 0:  # the feet's lowest layers: occupied voxels under or beside the body's lowest one
        foot = np.zeros(grid.size, dtype=bool)
        foot[(key[body & (vy == low), None] + grid.box((-1, -low, -1), (1, -1, 1))).ravel()] = True
        under = (in_crop & (vy < low)).nonzero()[0]
        body[under] = foot[key[under]]
    mask = np.zeros(n_vox, dtype=bool)
    mask[vox[body]] = True
    idx = sel[mask[flat]].astype(np.int64, copy=False)
    # np.take: ~3x faster than pts[idx] for (N, 3). Column-major points (FrameAnalyzer's)
    # stay column-major, so each coordinate stays contiguous for the landmarks.
    points = np.take(cols, idx, axis=1).T if pts.flags.f_contiguous else np.take(pts, idx, axis=0)
    return PersonSegmentation(
        points,
        idx,
        person=True,
        second_person=bool(second),
        height_m=float(points[:, 1].max()) if points.size else 0.0,
    )


def _label_26(
    coords: npt.NDArray[np.int64], shape: tuple[int, int, int]
) -> tuple[npt.NDArray[np.int32], int]:
    """Connected components (26-connectivity) of the voxels at `coords` (M, 3), given in
    raster order of a grid of `shape`: labels (M,) 1..n and n (see label_components)."""
    grid = PaddedGrid(shape, 1)
    lab, n, _ = label_components(grid, grid.index(coords[:, 0], coords[:, 1], coords[:, 2]))
    return lab, n


def _not_person_like(box: tuple[slice, ...], n_points: float, cfg: SegmentationConfig) -> str:
    """'' when the component's bounding box and size fit a standing person, else why not."""
    v = cfg.voxel_m
    if n_points < cfg.min_person_points:
        return "too few points"
    if box[1].start * v > max(cfg.max_foot_y_m, cfg.connect_min_y_m):
        return "not standing on the floor"
    if box[1].stop * v < cfg.min_height_m:
        return "too short"
    if (box[0].stop - box[0].start) * v > cfg.max_extent_x_m or (
        box[2].stop - box[2].start
    ) * v > cfg.max_extent_z_m:
        return "too large for a person"
    return ""
