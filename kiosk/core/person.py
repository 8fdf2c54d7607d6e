"""The athlete out of one frame's world points: floor, zone, background, components.

Connectivity is decided on a coarse voxel grid (`voxel_m`, default 5 cm) rather than per
point: a voxel counts as solid only with >= `min_voxel_points` points, so the sparse
flying pixels that D4xx stereo leaves between a body's edge and the background (each in
a voxel of its own) cannot bridge the athlete to a wall, and a hole in the depth image
smaller than a voxel or two cannot split the body (26-connectivity). Small fragments cut
off by a larger hole (a head behind a dropout across the neck) are re-attached when they
lie within `attach_gap_voxels` of the body; points in sparse voxels touching the body
(its silhouette edge, seen at grazing incidence) are kept.

The lowest voxel layer (below `connect_min_y_m`) is left out of the connectivity: D4xx
noise on the floor at grazing incidence is tens of mm, so the floor band alone leaves a
fuzz of floor points that would join the athlete to the floor. That layer is added back
only under and beside the body's feet.

Pure: world points in, `PersonSegmentation` out. Cost ~0.8 ms on a dev core for the few
thousand points FrameAnalyzer hands in (it deprojects only the zone's pixels:
kiosk/analysis.py). The grid is kept sparse where it can be: the occupied voxels come
from a sort of the points' voxel ids, the solid ones are labelled by a union-find over
their neighbours (a few hundred voxels, not the ~35k of their bounding box), and the
dilations are separable shifted ORs (26-connectivity r times = a (2r+1)^3 cube). Each
gives exactly what ndimage.label / binary_dilation on the dense grid give (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.core.thresholds import SegmentationConfig
from kiosk.core.types import PersonSegmentation, Points, StationZone

# The 13 of a voxel's 26 neighbours that come after it in raster order.
_FORWARD_26 = [(x, y, z) for x in (0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1) if (x, y, z) > (0, 0, 0)]
_EMPTY_POINTS: Points = np.zeros((0, 3), dtype=np.float32)
_EMPTY_INDEX: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)


def _absent(reason: str, second: bool = False) -> PersonSegmentation:
    return PersonSegmentation(_EMPTY_POINTS, _EMPTY_INDEX, person=False, second_person=second, reason=reason)


def segment_person(
    points_world: Points,
    zone: StationZone,
    cfg: SegmentationConfig,
    foreground: npt.NDArray[np.bool_] | None = None,
) -> PersonSegmentation:
    """Pick the athlete: the largest person-like body standing in `zone`.

    points_world: (N, 3) float32, world frame. foreground: optional (N,) bool from a
    background model (True = not background). A component is person-like when it has
    >= min_person_points points, reaches the floor (lowest voxel <= max_foot_y_m), is at
    least min_height_m tall and fits in max_extent_x_m by max_extent_z_m. `second_person`
    flags another person-like component of comparable size in the zone.
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
    # Column-wise arithmetic: ~10x faster than (N, 3) row ops on strided data.
    cols = pts.T
    fx = (cols[0] - np.float32(zone.x_min_m)) * inv
    fy = cols[1] * inv
    fz = (cols[2] - np.float32(zone.z_min_m)) * inv
    ok = (fx >= 0) & (fx < dims[0]) & (fz >= 0) & (fz < dims[2]) & (fy < dims[1])
    ok &= cols[1] > np.float32(cfg.floor_band_m)
    if foreground is not None:
        ok &= np.asarray(foreground, dtype=bool)
    sel = np.flatnonzero(ok)
    if sel.size < cfg.min_person_points:
        return _absent("too few points in the zone")
    flat = (fx[sel].astype(np.int32) * dims[1] + fy[sel].astype(np.int32)) * dims[2] + fz[sel].astype(
        np.int32
    )
    # The occupied voxels in raster order and their point counts: sparse, because a few
    # thousand points fill a few hundred of the zone's ~50k voxels.
    vox, vox_points = np.unique(flat, return_counts=True)
    vx, vy, vz = vox // (dims[1] * dims[2]), (vox // dims[2]) % dims[1], vox % dims[2]
    # The floor's noise (large at grazing incidence) fills the lowest voxel layer with
    # fuzz that would join the athlete to the whole floor: connect only above it.
    low = min(int(np.ceil(cfg.connect_min_y_m / v - 1e-6)), dims[1] - 1)
    solid = (vox_points >= cfg.min_voxel_points) & (vy >= low)
    if not solid.any():
        return _absent("no solid body in the zone")
    # Work inside the box of the solid voxels, from the floor up to one layer above the
    # top, with 2 voxels more in x and z for the silhouette edges (+1) and the feet's
    # layer beside them (+2).
    sx, sz = vx[solid], vz[solid]
    crop = (
        slice(max(int(sx.min()) - 2, 0), min(int(sx.max()) + 3, dims[0])),
        slice(0, min(int(vy[solid].max()) + 2, dims[1])),
        slice(max(int(sz.min()) - 2, 0), min(int(sz.max()) + 3, dims[2])),
    )
    shape = (crop[0].stop - crop[0].start, crop[1].stop, crop[2].stop - crop[2].start)
    lx, lz = vx - crop[0].start, vz - crop[2].start
    in_crop = (lx >= 0) & (lx < shape[0]) & (vy < shape[1]) & (lz >= 0) & (lz < shape[2])
    occupied = np.zeros(shape, dtype=bool)
    occupied[lx[in_crop], vy[in_crop], lz[in_crop]] = True
    coords = np.stack([lx[solid], vy[solid], lz[solid]], axis=1)
    lab, n_labels = _label_26(coords, shape)
    labels = np.zeros(shape, dtype=np.int32)
    labels[coords[:, 0], coords[:, 1], coords[:, 2]] = lab
    comp_points, boxes = _label_stats(lab, coords, vox_points[solid], n_labels)

    person_like: list[int] = []
    reason = "too few points"
    for lab in np.argsort(-comp_points[1:])[:8] + 1:  # the few largest components suffice
        box = boxes(int(lab))
        why = _not_person_like(box, float(comp_points[lab]), cfg)
        if why:
            if not person_like and reason == "too few points":
                reason = why
            continue
        person_like.append(int(lab))
    if not person_like:
        return _absent(reason)
    main = person_like[0]
    second = any(
        comp_points[lab] >= cfg.second_min_points_frac * comp_points[main]
        and _height_m(boxes(lab), v) >= cfg.second_min_height_m
        for lab in person_like[1:]
    )
    body_mask = _grow_body(labels, occupied, main, boxes, cfg, set(person_like))
    if low > 0:  # the feet's lowest layer: occupied voxels under or beside the body's lowest layer
        foot = _dilate_cube(body_mask[:, low, :], 1)
        body_mask[:, :low, :] = occupied[:, :low, :] & foot[:, None, :]
    mask = np.zeros(dims, dtype=bool)
    mask[crop] = body_mask
    keep = mask.ravel()[flat]
    idx = sel[keep].astype(np.int64)
    body = np.take(pts, idx, axis=0)  # ~3x faster than pts[idx] for (N, 3)
    return PersonSegmentation(
        body,
        idx,
        person=True,
        second_person=bool(second),
        height_m=float(body[:, 1].max()) if body.size else 0.0,
    )


def _label_26(
    coords: npt.NDArray[np.int64], shape: tuple[int, int, int]
) -> tuple[npt.NDArray[np.int32], int]:
    """Connected components (26-connectivity) of the voxels at `coords` (M, 3), given in
    raster order of a grid of `shape`: labels (M,) 1..n and n. Numbered by each
    component's first voxel in raster order, as ndimage.label numbers them. Union-find by
    the smallest voxel index with pointer jumping, over each voxel's 13 forward
    neighbours: it costs per solid voxel (a few hundred), not per voxel of the box."""
    m = coords.shape[0]
    py, pz = shape[1] + 2, shape[2] + 2  # padded by one: neighbour keys never wrap
    key = ((coords[:, 0] + 1) * py + coords[:, 1] + 1) * pz + coords[:, 2] + 1
    node = np.full((shape[0] + 2) * py * pz, -1, dtype=np.int32)
    node[key] = np.arange(m, dtype=np.int32)
    offsets = np.array([(dx * py + dy) * pz + dz for dx, dy, dz in _FORWARD_26])
    nb = node[key[:, None] + offsets[None, :]]
    a, j = np.nonzero(nb >= 0)
    b = nb[a, j].astype(np.intp)
    parent = np.arange(m)
    while True:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            break
        # Hook the larger root under the smaller (both are roots: the tree is flat).
        np.minimum.at(parent, np.maximum(pa[differ], pb[differ]), np.minimum(pa[differ], pb[differ]))
        while True:
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    roots, lab = np.unique(parent, return_inverse=True)
    return (lab + 1).astype(np.int32), int(roots.size)


def _dilate_cube(mask: npt.NDArray[np.bool_], r: int) -> npt.NDArray[np.bool_]:
    """Binary dilation by the (2r+1)^d cube with nothing beyond the array's edge: equal to
    ndimage.binary_dilation with full connectivity and r iterations (the cube is the
    Chebyshev ball), ~5x faster. The cube is separable, and a shift along one axis of a
    C-ordered array padded by r is a shift of its flat buffer: contiguous 1-D ORs. The
    last (fastest) axis goes first, so a value wrapping past the end of a row only ever
    lands in padding, which later shifts along slower axes never move back inside."""
    if r <= 0:
        return mask.copy()
    padded = np.zeros(tuple(n + 2 * r for n in mask.shape), dtype=bool)
    inside = tuple(slice(r, r + n) for n in mask.shape)
    padded[inside] = mask
    flat = padded.reshape(-1)
    for stride in sorted(st // padded.itemsize for st in padded.strides):
        src = flat.copy()
        for shift in range(stride, (r + 1) * stride, stride):
            flat[shift:] |= src[:-shift]
            flat[:-shift] |= src[shift:]
    out: npt.NDArray[np.bool_] = padded[inside]
    return out


@dataclass(frozen=True)
class _Boxes:
    """Bounding boxes of labels 1..n as voxel index ranges: lo/hi (n + 1, 3) inclusive."""

    lo: npt.NDArray[np.int64]
    hi: npt.NDArray[np.int64]

    def __call__(self, label: int) -> tuple[slice, slice, slice]:
        """The label's box as slices, like ndimage.find_objects()[label - 1]."""
        lo, hi = self.lo[label].tolist(), self.hi[label].tolist()
        return slice(lo[0], hi[0] + 1), slice(lo[1], hi[1] + 1), slice(lo[2], hi[2] + 1)


def _label_stats(
    lab: npt.NDArray[np.int32], coords: npt.NDArray[np.int64], points: npt.NDArray[np.int64], n_labels: int
) -> tuple[npt.NDArray[np.float64], _Boxes]:
    """Points per label (index 0 unused) and the labels' boxes, from the labelled voxels:
    lab (M,) 1..n_labels (all occur), coords (M, 3), points (M,) per voxel."""
    comp_points = np.bincount(lab, weights=points, minlength=n_labels + 1).astype(np.float64)
    order = np.argsort(lab, kind="stable")
    lab_sorted, coords = lab[order], coords[order]
    starts = np.flatnonzero(np.r_[True, lab_sorted[1:] != lab_sorted[:-1]])
    lo = np.zeros((n_labels + 1, 3), dtype=np.int64)
    hi = np.zeros((n_labels + 1, 3), dtype=np.int64)
    lo[lab_sorted[starts]] = np.minimum.reduceat(coords, starts, axis=0)
    hi[lab_sorted[starts]] = np.maximum.reduceat(coords, starts, axis=0)
    return comp_points, _Boxes(lo, hi)


def _height_m(box: tuple[slice, ...], voxel_m: float) -> float:
    return float(box[1].stop) * voxel_m


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


def _grow_body(
    labels: npt.NDArray[np.int32],
    occupied: npt.NDArray[np.bool_],
    main: int,
    boxes: _Boxes,
    cfg: SegmentationConfig,
    exclude: set[int],
) -> npt.NDArray[np.bool_]:
    """Voxel mask of the athlete: the main component, nearby small fragments, and the
    sparse voxels (silhouette edges) touching them. Dilations run only inside padded boxes."""
    members = [main]
    box: tuple[slice, ...] = boxes(main)
    if cfg.attach_gap_voxels > 0:
        sub = _pad_box(box, cfg.attach_gap_voxels + 1, labels.shape)
        lab_sub = labels[sub]
        others = (lab_sub > 0) & (lab_sub != main)
        # The dilation only matters when another component is close by (rare).
        if others.any():
            near = _dilate_cube(lab_sub == main, cfg.attach_gap_voxels)
            for lab in np.flatnonzero(np.bincount(lab_sub[near & others])).tolist():
                if lab in exclude:
                    continue
                fb = boxes(lab)
                if max(s.stop - s.start for s in fb) * cfg.voxel_m <= cfg.attach_max_extent_m:
                    members.append(lab)
                    box = tuple(
                        slice(min(a.start, b.start), max(a.stop, b.stop))
                        for a, b in zip(box, fb, strict=True)
                    )
    sub = _pad_box(box, 1, labels.shape)
    lab_sub = labels[sub]
    if len(members) == 1:
        body = lab_sub == main
    else:  # a lookup table: np.isin sorts
        member = np.zeros(boxes.lo.shape[0], dtype=bool)
        member[members] = True
        body = member[lab_sub]
    body |= _dilate_cube(body, 1) & occupied[sub] & (lab_sub == 0)
    mask = np.zeros(labels.shape, dtype=bool)
    mask[sub] = body
    return mask


def _pad_box(box: tuple[slice, ...], pad: int, shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(max(s.start - pad, 0), min(s.stop + pad, n)) for s, n in zip(box, shape, strict=True))
