"""The capture process's stage (hardware/capture_stage.py). It runs only while the child's
core has room: decided from the child's CPU per frame against the frames' own period, at
every D4xx frame rate, with dropped frames, and reopened when the load falls (the CPU
clock is the child's process clock, stood in for by a counter the test advances). Its
config reaches the child through a private file: a full disk or a planted link gives no
stage, never a crash."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hardware.capture_stage import MAX_BUSY_FRAC, PROBE_EVERY_S, StageFile, StageGate, read_stage


class Child:
    """A capture child: each frame costs `base_s` of CPU outside the stage, and the stage
    `stage_s` when the gate lets it run. Counts the frames the stage ran on."""

    def __init__(self, fps: float) -> None:
        self.cpu_s = 0.0
        self.t_s = 0.0
        self.period_s = 1.0 / fps
        self.gate = StageGate(lambda: self.cpu_s)
        self.ran = 0

    def frames(self, n: int, base_s: float, stage_s: float, drop_every: int = 0,
               first_s: float | None = None) -> list[bool]:
        """`first_s`: the stage's first run costs this (its caches built) instead."""
        out = []
        for i in range(n):
            self.t_s += self.period_s * (2 if drop_every and i % drop_every == 0 else 1)
            self.cpu_s += base_s
            self.gate.frame(self.t_s)
            allowed = self.gate.allows()
            if allowed:
                cost_s = first_s if first_s is not None and self.ran == 0 else stage_s
                self.cpu_s += cost_s
                self.gate.ran(cost_s)
                self.ran += 1
            out.append(allowed)
        return out


@pytest.mark.parametrize("fps", [6, 15, 30, 60, 90])
@pytest.mark.parametrize("drop_every", [0, 10])
def test_the_stage_runs_while_the_core_has_room_at_every_rate(fps: int, drop_every: int) -> None:
    """Filters at 30 % of a period and a stage at 10 %: every frame gets the stage."""
    child = Child(fps)
    p = child.period_s
    assert all(child.frames(3 * fps, base_s=0.3 * p, stage_s=0.1 * p, drop_every=drop_every))


@pytest.mark.parametrize("fps", [6, 15, 30, 60, 90])
def test_a_busy_core_stops_the_stage_and_a_quiet_one_restarts_it(fps: int) -> None:
    """Filters at 75 % of a period plus a 10 % stage is over MAX_BUSY_FRAC: after half a
    second or so the stage stops (the loop segments those frames); when the filters' cost
    falls to 40 %, it runs again within about a second."""
    child = Child(fps)
    p = child.period_s
    assert 0.75 + 0.1 > MAX_BUSY_FRAC >= 0.4 + 0.1
    busy = child.frames(2 * fps, base_s=0.75 * p, stage_s=0.1 * p)
    assert sum(busy[-fps:]) <= 1  # the last second: no stage (one probe at the most)
    quiet = child.frames(2 * fps, base_s=0.4 * p, stage_s=0.1 * p)
    assert all(quiet[-fps // 2 or -1:])  # room again: the stage is back


def test_the_stage_own_cost_counts() -> None:
    """Filters alone fit (60 %), filters plus a 30 % stage do not: the stage's own CPU is
    not hidden in the child's per-frame cost, and the gate does not flap every frame."""
    child = Child(30)
    p = child.period_s
    got = child.frames(90, base_s=0.6 * p, stage_s=0.3 * p)
    assert got[0] and sum(got[30:]) <= 1  # off, but for one probe in two seconds
    assert child.gate.base_s == pytest.approx(0.6 * p, rel=0.05)


def test_a_gap_in_the_stream_is_not_a_period() -> None:
    """A two-second gap (the camera re-plugged) teaches nothing about the period."""
    child = Child(30)
    child.frames(30, base_s=0.2 / 30, stage_s=0.05 / 30)
    period = child.gate.period_s
    child.t_s += 2.0
    child.frames(1, base_s=0.2 / 30, stage_s=0.05 / 30)
    assert child.gate.period_s == period


def test_a_first_run_that_builds_caches_is_not_the_stage_cost() -> None:
    """The stage's first frame after a new calibration builds its rays and background model
    (ten periods' worth here): that is not what each frame costs, and the stage keeps running."""
    child = Child(30)
    p = child.period_s
    assert all(child.frames(60, base_s=0.3 * p, stage_s=0.1 * p, first_s=10 * p))
    child.gate.new_config()  # a new calibration: caches again
    child.ran = 0
    assert all(child.frames(60, base_s=0.3 * p, stage_s=0.1 * p, first_s=10 * p))


def test_a_stage_held_off_is_tried_again() -> None:
    """A stage measured as too costly (the core was busy with something else then) is run
    once every PROBE_EVERY_S; when it has become cheap it runs on every frame again."""
    child = Child(30)
    p = child.period_s
    child.frames(60, base_s=0.5 * p, stage_s=0.5 * p)
    assert sum(child.frames(30, base_s=0.5 * p, stage_s=0.5 * p)) <= 1  # held off
    later = child.frames(round(2 * PROBE_EVERY_S * 30), base_s=0.5 * p, stage_s=0.1 * p)
    assert all(later[-30:])


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (root: CI runs as root), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounts a small tmpfs: needs root")
    mnt = tmp_path / "full"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mnt)],
                         capture_output=True, text=True, check=False)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_stage_config_that_cannot_be_written_leaves_the_stage_off(small_tmpfs: Path) -> None:
    """A full disk (the kernel's ENOSPC on a 1 MiB tmpfs) or a config that cannot be
    pickled: no path, no half-written file, the last good config still there; the loop
    then segments its frames itself."""
    f = StageFile(base_dir=str(small_tmpfs))
    first = f.write(np.zeros(1000))
    assert first is not None and np.array_equal(read_stage(first), np.zeros(1000))  # type: ignore[arg-type]
    assert f.write(np.zeros(1_000_000)) is None  # 8 MB into 1 MiB
    assert f.write(lambda: None) is None  # not picklable
    assert np.array_equal(read_stage(first), np.zeros(1000))  # type: ignore[arg-type]
    assert [p.name for p in Path(first).parent.iterdir()] == ["stage.pickle"]
    f.remove()
    assert not Path(first).parent.exists()


def test_the_child_reads_no_stage_through_a_link(tmp_path: Path) -> None:
    """The child opens the config without following links: a link planted in its place
    gives no stage, not someone else's file."""
    target = tmp_path / "elsewhere.pickle"
    target.write_bytes(pickle.dumps({"calibration": "not yours"}))
    link = tmp_path / "stage.pickle"
    link.symlink_to(target)
    assert read_stage(str(link)) is None
    assert read_stage(str(tmp_path / "missing.pickle")) is None


def test_stage_directories_of_dead_kiosks_are_swept(tmp_path: Path) -> None:
    """A kiosk killed before it cleaned up leaves its stage directory in /dev/shm (memory);
    the next kiosk's first stage removes those of processes that are gone, and only those."""
    gone_pid = _exited_pid()
    stale = tmp_path / f"hinge-stage-{gone_pid}-abcd"
    stale.mkdir()
    (stale / "stage.pickle").write_bytes(b"x" * 1000)
    alive = tmp_path / f"hinge-stage-{os.getpid()}-efgh"  # a running kiosk's: kept
    alive.mkdir()
    other = tmp_path / "unrelated"
    other.mkdir()
    f = StageFile(base_dir=str(tmp_path))
    assert f.write({"a": 1}) is not None
    assert not stale.exists() and alive.exists() and other.exists()
    f.remove()


def _exited_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_fifo_in_place_of_the_config_does_not_block_the_child(tmp_path: Path) -> None:
    """A FIFO planted where the config goes would block a plain open for good."""
    fifo = tmp_path / "stage.pickle"
    os.mkfifo(fifo)
    assert read_stage(str(fifo)) is None


def test_a_stage_directory_removed_under_the_kiosk_is_made_again(tmp_path: Path) -> None:
    """The directory deleted (a cleaner, an admin): that write fails (the stage goes off)
    and the next one makes a new directory instead of failing for the rest of the session."""
    f = StageFile(base_dir=str(tmp_path))
    first = f.write({"a": 1})
    assert first is not None
    shutil.rmtree(Path(first).parent)
    assert f.write({"a": 2}) is None
    again = f.write({"a": 3})
    assert again is not None and read_stage(again) == {"a": 3}
    f.remove()
