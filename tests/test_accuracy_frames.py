"""The accuracy harness's frame cache (kiosk/evaluation/accuracy_frames.py): a write killed half way
leaves the cached case as it was (a case and its twin with drops read one file)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from hardware.frame import DepthFrame, Intrinsics
from kiosk.evaluation import accuracy_frames as af


def _frames(value: int) -> list[DepthFrame]:
    intr = Intrinsics(4, 3, 2.0, 2.0, 2.0, 1.5)
    return [DepthFrame(np.full((3, 4), value, np.uint16), 0.001, intr, k / 30.0, k) for k in range(3)]


def test_a_write_killed_before_its_rename_leaves_the_cached_frames_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "case__frames"
    af._save_frames(_frames(1000), path, {"truth": [1, 2, 3]})

    def killed(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise KeyboardInterrupt  # the run stopped between writing and renaming

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        af._save_frames(_frames(2000), path, {"truth": [9]})
    monkeypatch.undo()
    frames, doc = af._load_frames(path)
    assert [int(f.depth[0, 0]) for f in frames] == [1000, 1000, 1000]
    assert doc["truth"] == [1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case__frames.json", "case__frames.npz"]
