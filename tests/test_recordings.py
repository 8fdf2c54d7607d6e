"""Recording paths through the real SDK: the D435 .bag, our own .db3 written by the SDK
recorder from a software device, the SDK filters, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hardware.frame import Intrinsics
from hardware.playback import RecordingSource, count_frames
from hardware.settings import FilterConfig
from hardware.software_device import SoftwareDepthDevice
from hardware.source import SourceError, SourceState

INTR = Intrinsics(width=848, height=480, fx=426.0, fy=426.0, ppx=423.5, ppy=239.5)


def _frames(n: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(300, 4000, size=(INTR.height, INTR.width), dtype=np.uint16) for _ in range(n)]


def _record(path: Path, frames: list[np.ndarray]) -> None:
    dev = SoftwareDepthDevice(INTR, fps=30, record_to=path)
    for i, d in enumerate(frames):
        assert dev.push(d, i / 30.0, i) is not None
    dev.close()


@pytest.mark.realdata
def test_real_d435_bag_intrinsics_exact(realdata: Path) -> None:
    with RecordingSource(realdata / "single_depth_color_640x480.bag") as src:
        intr = src.intrinsics
        frame = src.read(5.0)
        assert frame is not None
        assert src.status.device_name == "Intel RealSense D435"
    # The values listed in shared/realdata/README.md.
    assert (intr.width, intr.height) == (640, 480)
    assert round(intr.fx, 2) == 390.43 and round(intr.fy, 2) == 390.43
    assert round(intr.ppx, 2) == 331.39 and round(intr.ppy, 2) == 242.19
    assert frame.depth.shape == (480, 640) and frame.depth.dtype == np.uint16
    assert frame.depth_scale_m == pytest.approx(0.001)
    valid = frame.depth[frame.depth > 0] * frame.depth_scale_m
    assert valid.size > 0.5 * frame.depth.size  # an office wall: mostly valid
    assert 0.3 < float(np.median(valid)) < 4.0


def test_recorder_roundtrip_is_frame_exact(tmp_path: Path) -> None:
    frames = _frames(40)
    path = tmp_path / "rt.db3"
    _record(path, frames)
    got = []
    with RecordingSource(path) as src:
        assert src.intrinsics == INTR
        while (f := src.read(5.0)) is not None:
            got.append(f)
        assert src.status.state is SourceState.ENDED
    assert [f.index for f in got] == list(range(40))
    assert all(np.array_equal(a, f.depth) for a, f in zip(frames, got, strict=True))
    assert [round(f.timestamp_s, 4) for f in got] == [round(i / 30.0, 4) for i in range(40)]
    assert count_frames(path) == 40


def test_sdk_filters_run_on_software_frames(tmp_path: Path) -> None:
    path = tmp_path / "f.db3"
    _record(path, _frames(3))
    cfg = FilterConfig(decimation=2, spatial=True, min_distance_m=0.5, max_distance_m=3.0)
    with RecordingSource(path, filters=cfg) as src:
        f = src.read(5.0)
    assert f is not None
    assert f.depth.shape == (240, 424)
    assert f.intrinsics.width == 424 and f.intrinsics.fx == pytest.approx(213.0, abs=0.5)
    z = f.depth[f.depth > 0] * f.depth_scale_m
    assert z.min() >= 0.5 - 1e-3 and z.max() <= 3.0 + 1e-3  # threshold filter ran


def _bad(tmp_path: Path, name: str, content: bytes | None) -> Path:
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    return p


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.db3", None, "not found"),
        ("empty.db3", b"", "empty"),
        ("foreign.bag", b"#ROSBAG? no, a text file\n" * 10, "not a RealSense recording"),
        ("notes.txt", b"hello", "expected .db3 or .bag"),
    ],
)
def test_bad_recordings_give_one_line_errors(
    tmp_path: Path, name: str, content: bytes | None, needle: str
) -> None:
    with pytest.raises(SourceError) as err:
        RecordingSource(_bad(tmp_path, name, content)).start()
    msg = str(err.value)
    assert needle in msg and "\n" not in msg


def test_truncated_db3_is_reported(tmp_path: Path) -> None:
    good = tmp_path / "good.db3"
    _record(good, _frames(10))
    data = good.read_bytes()
    cut = _bad(tmp_path, "cut.db3", data[: len(data) // 3])
    with pytest.raises(SourceError) as err:
        RecordingSource(cut).start()
    assert "truncated or corrupt" in str(err.value) and "\n" not in str(err.value)


def test_software_device_rejects_wrong_shape() -> None:
    dev = SoftwareDepthDevice(INTR, fps=30)
    try:
        with pytest.raises(ValueError, match="uint16 480x848"):
            dev.push(np.zeros((10, 10), np.uint16), 0.0, 0)
    finally:
        dev.close()
