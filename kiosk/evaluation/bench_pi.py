"""Kiosk loop under a Raspberry Pi's CPU share (issue 14.2): measured, never asserted.

    .venv/bin/python -m kiosk.evaluation.bench_pi --out docs/performance-pi.md      (root: cgroup v1)

Each column is one child process running kiosk/evaluation/bench_loop.py's `run_kiosk`, pinned to one
core here and, for a Pi target, in a cgroup v1 `cpu` group with a CFS quota of 1/ratio of
that core (ratio: how many times slower a Pi core is; defaults and sources in
docs/performance-pi.md). The recording is read before the quota applies (the SDK
playback's decoding is no camera's work); frames are then handed out on the camera's clock
(`ReplayCamera`: a late loop gets the newest frame, older ones are dropped). "-filters"
targets run the SDK filters on the loop's thread, as hardware/live.py does in one process;
the others leave them outside, as the capture process does (issue 14.1), and "-seg" targets
the athlete's segmentation too, as the capture process's stage does (presegment.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from hardware.source import FrameSource
from kiosk.evaluation.bench_capture import capture_costs, capture_lines
from kiosk.evaluation.bench_pi_report import DEFAULT_TARGETS, FRAME_MS, Run, Target, markdown, parse_target
from kiosk.evaluation.bench_replay import ReplayCamera, preload, presegmented, sdk_filters

PERIOD_US = 10_000  # 10 ms: a 33 ms frame spans three periods, so a frame's work is spread, not starved


CGROUP_CPU = Path("/sys/fs/cgroup/cpu")  # cgroup v1, the cpu controller's mount
MIN_QUOTA_US = 1000  # the kernel refuses a CFS quota under 1 ms


def cgroup_cpu_writable(root: Path = CGROUP_CPU) -> bool:
    """cgroup v1's cpu controller is mounted at `root` and this process may make groups there."""
    return (root / "cpu.cfs_quota_us").exists() and os.access(root, os.W_OK)


class CpuQuota:
    """A cgroup v1 cpu group `root/name` allowed `cores` of CPU time per `period_us`
    (quota = cores * period, the whole group's threads together), made on entry and
    removed on exit, also after an error: what is still in it goes back to `root` first."""

    def __init__(self, name: str, cores: float, period_us: int, root: Path = CGROUP_CPU) -> None:
        self.quota_us = round(cores * period_us)
        if self.quota_us < MIN_QUOTA_US:
            raise ValueError(f"quota {self.quota_us} us is under the kernel's {MIN_QUOTA_US} us")
        self.path, self.root, self.period_us = root / name, root, period_us

    def __enter__(self) -> CpuQuota:
        self.path.mkdir(exist_ok=True)
        try:
            (self.path / "cpu.cfs_period_us").write_text(str(self.period_us))
            (self.path / "cpu.cfs_quota_us").write_text(str(self.quota_us))
            if (self.path / "cpu.cfs_burst_us").exists():  # no saved-up bursts above the share
                (self.path / "cpu.cfs_burst_us").write_text("0")
        except BaseException:
            self.path.rmdir()
            raise
        return self

    def add_process(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))  # every thread of it, and its later threads

    def add_thread(self, tid: int) -> None:
        (self.path / "tasks").write_text(str(tid))

    def stats(self) -> dict[str, int]:
        """cpu.stat: nr_periods, nr_throttled, throttled_time (ns)."""
        return {k: int(v) for k, v in map(str.split, (self.path / "cpu.stat").read_text().splitlines())}

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        for tid in (self.path / "tasks").read_text().split():
            with contextlib.suppress(OSError):  # ended meanwhile
                (self.root / "tasks").write_text(tid)
        self.path.rmdir()


def child_capture(recording: Path, max_s: float, cpu: int | None, cgroup: Path | None,
                  unlimited: bool = False, no_stage: bool = False,
                  split_cgroup: Path | None = None, split: bool = False) -> dict[str, Any]:
    """A "-proc" run: the kiosk loop takes its frames from a real CaptureProcess whose child
    plays the raw frames on the camera's clock, pushes them through the SDK filters and
    picks the athlete out (the stage), on core `cpu` in `cgroup` (bench_capture.MeasuredCapture);
    the loop takes the newest frame, as for a live camera. Latency runs from the frame's
    arrival in the child, so the filters, the stage and the hand-over are in it. The filters
    take the range limit the kiosk gives them, unless `unlimited` (as before 2026-12-08);
    `no_stage`: the child does not segment (what its gate does on a core without room);
    `split`: the capture split over two children (hardware/capture_split.py), the camera's
    half on the same core in `split_cgroup`, a Pi core's share of its own."""
    from hardware.capture_split import open_split
    from kiosk.analysis.depth_limit import measure_filters
    from kiosk.analysis.presegment import presegment
    from kiosk.evaluation.bench_capture import MeasuredCapture
    from kiosk.evaluation.bench_loop import run_kiosk
    from kiosk.evaluation.bench_replay import replay_camera, save_raw

    frames, intr, costs = preload(recording, True, False)
    saved = save_raw(frames, recording.with_name(recording.stem + "-raw.npy"))
    del frames
    print("ready", flush=True)
    sys.stdin.readline()
    caps: list[MeasuredCapture] = []

    def replace(src: FrameSource, limit_m: float | None) -> FrameSource:
        src.close()  # the SDK playback the kiosk opened: the capture process stands in for it
        filters = measure_filters(None if unlimited else limit_m)
        stage = None if no_stage else presegment
        if split:
            caps.append(MeasuredCapture(open_split, stage=stage, newest_only=True, daemon=False, cpu=cpu,
                                        cgroup=cgroup, inner_cgroup=split_cgroup, first_opener=replay_camera,
                                        filters=filters, first_newest_only=True, intrinsics=intr, **saved))
        else:
            caps.append(MeasuredCapture(replay_camera, stage=stage, newest_only=True, cpu=cpu, cgroup=cgroup,
                                        intrinsics=intr, filters=filters, **saved))
        caps[-1].start()
        return caps[-1]

    result = run_kiosk(recording, max_s, wrap=replace)
    for cap in caps:
        cap.close()  # the loop may have closed it already: then this does nothing
    handed = sum(c.handed for c in caps)
    child_frames = handed + sum(c.dropped for c in caps)  # camera-clock skips never reach the filters
    camera_half_s = sum(c.inner_cpu_s for c in caps)
    result.update(costs, delivered=handed, dropped=sum(c.offered(saved["times_s"]) for c in caps) - handed,
                  capture_ms=1000 * sum(c.child_cpu_s for c in caps) / max(child_frames, 1),
                  capture_a_ms=1000 * camera_half_s / max(child_frames, 1) if split else None,
                  ring_dropped=sum(c.dropped for c in caps))
    return result


def child(recording: Path, max_s: float, profile: bool, raw_pass: bool, on_loop: bool,
          seg_elsewhere: bool = False) -> dict[str, Any]:
    """One run in this process: preload, tell the parent (which then puts this process
    into its cgroup), wait for its go, then bench_loop's loop on the replayed camera."""
    import cProfile
    import io
    import pstats

    from kiosk.analysis.depth_limit import measure_filters
    from kiosk.evaluation.bench_loop import run_kiosk

    frames, intr, costs = preload(recording, on_loop, raw_pass)
    if seg_elsewhere:
        frames = presegmented(frames, recording)
    print("ready", flush=True)
    sys.stdin.readline()
    cams: list[ReplayCamera] = []

    def replace(src: FrameSource, limit_m: float | None) -> FrameSource:
        src.close()  # the SDK playback the kiosk opened: the replay stands in for it
        process = sdk_filters(intr, measure_filters(limit_m)) if on_loop else None
        cams.append(ReplayCamera(frames, intr, process))
        return cams[-1]

    prof = cProfile.Profile(time.thread_time) if profile else None  # the loop thread's CPU, not wall
    if prof is not None:
        prof.enable()
    result = run_kiosk(recording, max_s, wrap=replace)
    if prof is not None:
        prof.disable()
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(18)
        result["profile"] = text.getvalue()
    result.update(costs, delivered=sum(c.delivered for c in cams), dropped=sum(c.dropped for c in cams))
    return result


def _kill_if_running(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def run_target(target: Target, recording: Path, max_s: float, cpu: int, profile: bool = False) -> Run:
    """Start the child pinned to `cpu`; once it has read the recording, into the target's
    cgroup. The group goes again afterwards, also when the child or this process fails."""
    out = Path(f"out/bench/pi-{target.name}.json")
    other_cpu = (cpu + 1) % (os.cpu_count() or 1)  # the capture process's own core, as on a Pi's four
    cmd = [sys.executable, "-m", "kiosk.evaluation.bench_pi", "--child-json", str(out),
           "--recording", str(recording),
           "--max-seconds", str(max_s), *(["--profile"] if profile else []),
           *(["--raw-pass"] if target.ratio <= 1.0 and not target.filters_on_loop else []),
           *(["--filters-on-loop"] if target.filters_on_loop else []),
           *(["--seg-elsewhere"] if target.seg_elsewhere else []),
           *(["--capture-cpu", str(other_cpu)] if target.capture_proc else []),
           *(["--unlimited"] if target.unlimited else []), *(["--no-stage"] if target.no_stage else []),
           *(["--split"] if target.split else [])]
    with contextlib.ExitStack() as stack:
        quota = capture_quota = split_quota = None
        if target.ratio > 1.0:
            quota = stack.enter_context(CpuQuota(f"hinge-bench-{target.name}", 1.0 / target.ratio, PERIOD_US))
            if target.capture_proc:  # a Pi core of its own, at the same share
                capture_quota = stack.enter_context(
                    CpuQuota(f"hinge-bench-{target.name}-capture", 1.0 / target.ratio, PERIOD_US))
                cmd += ["--capture-cgroup", str(capture_quota.path)]
            if target.split:  # and one more for the camera's half
                split_quota = stack.enter_context(
                    CpuQuota(f"hinge-bench-{target.name}-camera", 1.0 / target.ratio, PERIOD_US))
                cmd += ["--split-cgroup", str(split_quota.path)]
        proc = subprocess.Popen(cmd, preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        stack.callback(_kill_if_running, proc)  # an error here leaves no child behind
        assert proc.stdin is not None and proc.stdout is not None
        while (line := proc.stdout.readline()) and line.strip() != "ready":
            print(line, end="")
        if quota is not None:
            quota.add_process(proc.pid)  # preloaded unthrottled; from here on the quota holds
        proc.stdin.write("go\n")
        proc.stdin.flush()
        for _line in proc.stdout:
            pass  # the child's own report is not needed: the JSON is
        rc = proc.wait()
        throttle = [q.stats() for q in (quota, capture_quota, split_quota) if q is not None]
    if rc != 0:
        raise RuntimeError(f"the {target.name} run failed (exit code {rc})")
    return Run(target, json.loads(out.read_text(encoding="utf-8")), throttle)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.evaluation.bench_pi",
                                description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=None, help="write the markdown report here")
    p.add_argument("--recording", type=Path, default=Path("out/bench/session.db3"))
    p.add_argument("--max-seconds", type=float, default=60.0, help="iterations cap / 30 (the session: ~44 s)")
    p.add_argument("--target", type=parse_target, action="append", default=None,
                   help="NAME=RATIO: a core RATIO times slower than one here (repeatable; default: "
                   + ", ".join(f"{t.name}={t.ratio:g}" for t in DEFAULT_TARGETS) + ")")
    p.add_argument("--cpu", type=int, default=0, help="the core every run is pinned to")
    p.add_argument("--profile", action="store_true", help="also a profiled run of the first pi4*-filters")
    p.add_argument("--child-json", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--raw-pass", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--filters-on-loop", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seg-elsewhere", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--capture-cpu", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--capture-cgroup", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--unlimited", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--no-stage", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--split", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--split-cgroup", type=Path, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a killed run still removes its cgroup
    if args.child_json is not None:
        if args.capture_cpu is not None:
            result = child_capture(args.recording, args.max_seconds, args.capture_cpu, args.capture_cgroup,
                                   args.unlimited, args.no_stage, args.split_cgroup, args.split)
        else:
            result = child(args.recording, args.max_seconds, args.profile, args.raw_pass,
                           args.filters_on_loop, args.seg_elsewhere)
        args.child_json.write_text(json.dumps(result), encoding="utf-8")
        return 0
    targets: list[Target] = args.target or list(DEFAULT_TARGETS)
    if any(t.ratio > 1.0 for t in targets) and not cgroup_cpu_writable():
        print(f"bench_pi: cgroup v1 cpu ({CGROUP_CPU}) is not writable here; run as root", file=sys.stderr)
        return 2
    from kiosk.evaluation.bench_loop import ensure_recording, write_report

    rec, load_start = ensure_recording(args.recording), os.getloadavg()
    runs = []
    for target in targets:
        print(f"bench_pi: {target.name} (ratio {target.ratio:g}) ...", flush=True)
        runs.append(run_target(target, rec, args.max_seconds, args.cpu))
    prof = None
    pi4 = next((t for t in targets if t.name.startswith("pi4") and t.filters_on_loop), None)
    if args.profile and pi4 is not None:
        print(f"bench_pi: {pi4.name}, profiled ...", flush=True)
        profiled = Target(pi4.name + "-profiled", pi4.ratio, True)
        prof = run_target(profiled, rec, args.max_seconds, args.cpu, profile=True)
    print("bench_pi: the capture process's own CPU ...", flush=True)
    ratios = {t.name: t.ratio for t in targets
              if t.ratio > 1.0 and not t.filters_on_loop and not t.seg_elsewhere and not t.capture_proc}
    capture = capture_lines(capture_costs(rec), ratios, FRAME_MS)
    write_report(markdown(runs, prof, PERIOD_US, os.getloadavg(), load_start, capture), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
