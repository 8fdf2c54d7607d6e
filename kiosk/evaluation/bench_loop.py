"""Kiosk-loop benchmark (issue 4): the real app loop at 30 fps, measured, not asserted.

    .venv/bin/python -m kiosk.evaluation.bench_loop --out docs/performance-kiosk.md

What runs is `hinge-kiosk run` minus the screen: `KioskLoop` with the pygame renderer
drawing 1280x720 (SDL's dummy video driver: everything is drawn, nothing is shown), the
synthesized sounds (dummy audio driver), the monotonic clock pacing 30 fps, and a
recording of the simulated `session` script played by the SDK in real time through
MEASURE_FILTERS, as a camera's frames would arrive. The recording is made once, in a
child process (`hinge-kiosk record`), so the simulator's Open3D never loads here and the
memory figures are the kiosk's own. The process is pinned to one core.

Measured: CPU (process and main thread) per wall second, loop iterations per second,
per-iteration main-thread CPU (median, p95), peak RSS and whether Open3D was imported,
and frame-to-cue latency: from the moment the source handed over the frame whose
analysis produced an event (wall contact, rep passed/failed) to the sound starting and to
the drawn frame that shows it. Reference in the same run: the floor cost of the same
playback and an empty 1280x720 frame drawn at 30 fps (no analysis, no scene).
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_T_START_S = time.perf_counter()  # before the kiosk's imports: "start to first frame" begins here
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from hardware.frame import DepthFrame  # noqa: E402
from hardware.source import FrameSource  # noqa: E402
from kiosk.app.sources import KioskSources  # noqa: E402
from kiosk.app.view import ViewModel  # noqa: E402
from kiosk.evaluation.bench_idle import analysis_ms_by_gap, idle_lines  # noqa: E402
from kiosk.evaluation.bench_loop_report import FPS, live_lines, markdown  # noqa: E402
from kiosk.evaluation.bench_run import rss_mb  # noqa: E402


@dataclass
class Probe:
    """Timestamps (perf_counter seconds) and CPU samples the wrapped collaborators record."""

    frame_s: float = 0.0  # when the latest frame left the source
    first_frame_s: float | None = None
    frames: int = 0
    iter_cpu_s: list[float] = field(default_factory=list)
    last_thread_s: float | None = None
    sound_latency_s: dict[str, list[float]] = field(default_factory=dict)
    draw_latency_s: dict[str, list[float]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # cues sounded, not yet drawn

    def tick(self) -> None:
        now = time.thread_time()
        if self.last_thread_s is not None:
            self.iter_cpu_s.append(now - self.last_thread_s)
        self.last_thread_s = now


class _TimedSource:
    """Forwards to the real source; notes when each frame was handed over."""

    def __init__(self, src: FrameSource, probe: Probe) -> None:
        self._src, self._probe = src, probe

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        frame = self._src.read(timeout_s)
        if frame is not None:
            # A source that knows when the frame reached the host (a camera, the capture
            # process, bench_pi.py's replayed camera) says so; latency counts from then,
            # not from the hand-over.
            arrival_s = frame.arrival_s
            self._probe.frame_s = time.perf_counter() if arrival_s is None else arrival_s
            if self._probe.first_frame_s is None:
                self._probe.first_frame_s = self._probe.frame_s
            self._probe.frames += 1
        return frame

    def __getattr__(self, name: str) -> Any:
        return getattr(self._src, name)


class _TimedSources(KioskSources):
    probe: Probe = Probe()
    wrap: Callable[[FrameSource, float | None], FrameSource] | None = None  # around each running source

    def open(self, spec: str, for_calibration: bool = False,
             depth_limit_m: float | None = None) -> FrameSource:
        src = super().open(spec, for_calibration, depth_limit_m)
        if for_calibration:
            return src
        if self.wrap is not None:
            src = self.wrap(src, depth_limit_m)  # the wrapper's own filters take the same limit
        return _TimedSource(src, self.probe)  # type: ignore[return-value]


class _TimedAudio:
    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner, self._probe = inner, probe

    def play(self, name: str) -> bool:
        ok = bool(self._inner.play(name))
        if name in ("wall", "pass", "fail"):
            lat = time.perf_counter() - self._probe.frame_s
            self._probe.sound_latency_s.setdefault(name, []).append(lat)
            self._probe.pending.append(name)
        return ok

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _TimedDisplay:
    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner, self._probe = inner, probe

    def draw(self, vm: ViewModel) -> None:
        self._inner.draw(vm)
        if self._probe.pending:
            lat = time.perf_counter() - self._probe.frame_s
            for name in self._probe.pending:
                self._probe.draw_latency_s.setdefault(name, []).append(lat)
            self._probe.pending.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _TimedSupervisor:
    def __init__(self, probe: Probe) -> None:
        self._probe = probe

    def ready(self, status: str) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def tick(self) -> None:
        self._probe.tick()


def ensure_recording(path: Path) -> Path:
    """The simulated `session` recording, made once in a child process."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"recording the simulated session to {path} (once, ~2 min) ...", flush=True)
        cmd = [sys.executable, "-m", "kiosk.cli", "record", "--source", "sim", str(path)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return path


def run_kiosk(recording: Path, max_s: float,
              wrap: Callable[[FrameSource, float | None], FrameSource] | None = None,
              capture: str = "auto") -> dict[str, Any]:
    """The real loop over the recording until one athlete's result has shown (or max_s
    seconds' worth of iterations). `wrap` (bench_pi.py) goes around each running source,
    which is then opened unpaced: the wrapper keeps the time. `capture`: the config's
    camera.capture_process ("on": the recording read, filtered and segmented in a child
    process, as a live camera's frames are)."""
    from kiosk.app.audio import Audio
    from kiosk.app.config import CameraSection, KioskConfig
    from kiosk.app.loop import KioskLoop, LoopParts
    from kiosk.app.ports import MonotonicClock
    from kiosk.app.render import PygameRenderer
    from kiosk.core.profile_loader import load_profile

    probe = Probe()
    cfg = KioskConfig(camera=CameraSection(capture_process=capture))  # type: ignore[arg-type]
    sources = _TimedSources(cfg, realtime=wrap is None)
    sources.probe, sources.wrap = probe, wrap
    display = PygameRenderer(windowed=True)
    parts = LoopParts(sources=sources, profile=load_profile(), cfg=cfg,
                      display=_TimedDisplay(display, probe),  # type: ignore[arg-type]
                      audio=_TimedAudio(Audio(), probe),  # type: ignore[arg-type]
                      clock=MonotonicClock(), supervisor=_TimedSupervisor(probe), fps=FPS)
    loop = KioskLoop(parts, str(recording))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    rc = loop.run(max_frames=int(max_s * FPS), max_sessions=1)
    wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    display.close()
    reps = [r for reps in (loop.session.finished if loop.session else []) for r in reps]
    first = probe.first_frame_s if probe.first_frame_s is not None else probe.frame_s
    first_frame_after_s = first - wall0
    presegmented = loop.session.observer.presegmented if loop.session else 0
    return {"rc": rc, "wall_s": wall_s, "cpu_s": cpu_s, "iterations": len(probe.iter_cpu_s) + 1,
            "presegmented": presegmented,
            "frames": probe.frames, "frames_span_s": probe.frame_s - first,
            "first_frame_after_s": first_frame_after_s,
            "iter_cpu_s": probe.iter_cpu_s, "reps": len(reps),
            "sound_latency_s": probe.sound_latency_s, "draw_latency_s": probe.draw_latency_s}


def run_floor(recording: Path, seconds: float) -> dict[str, Any]:
    """Reference: the same real-time playback and a blank 1280x720 frame flipped at 30 fps."""
    import pygame

    from hardware.playback import RecordingSource
    from kiosk.analysis.analyzer import MEASURE_FILTERS
    from kiosk.app.ports import MonotonicClock

    pygame.display.init()
    screen = pygame.display.set_mode((1280, 720))
    clock, n = MonotonicClock(), 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    with RecordingSource(recording, realtime=True, filters=MEASURE_FILTERS) as src:
        while time.perf_counter() - wall0 < seconds:
            if src.read(1.0) is None:
                break
            screen.fill((12, 16, 24))
            pygame.display.flip()
            n += 1
            clock.pace(1.0 / FPS)
    wall_s, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    pygame.display.quit()
    return {"wall_s": wall_s, "cpu_s": cpu_s, "frames": n}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.evaluation.bench_loop",
                                description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=None, help="write the markdown report here")
    p.add_argument("--recording", type=Path, default=Path("out/bench/session.db3"))
    p.add_argument("--max-seconds", type=float, default=240.0)
    args = p.parse_args(argv)
    # What run_kiosk imports (pygame with the renderer) is part of a kiosk's start too.
    for name in ("kiosk.app.audio", "kiosk.app.loop", "kiosk.app.render"):
        importlib.import_module(name)

    # Before the recording: on a fresh checkout ensure_recording renders the session first
    # (about a minute), which no kiosk start includes; it was counted as import time.
    imports_s = time.perf_counter() - _T_START_S
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    rec = ensure_recording(args.recording)
    rss_start = rss_mb()[0]
    floor = run_floor(rec, 20.0)
    kiosk = run_kiosk(rec, args.max_seconds)
    kiosk["imports_s"] = imports_s
    rss_end, rss_peak = rss_mb()
    o3d = "open3d" in sys.modules
    load = os.getloadavg()  # at the end of the kiosk's run, as the report says
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0, 1})  # the capture child gets a core of its own, as on a Pi
    live = run_kiosk(rec, args.max_seconds, capture="on")  # after RSS: the kiosk's own is above
    idle = idle_lines(analysis_ms_by_gap(rec))  # after RSS: its frames are not the kiosk's
    write_report(markdown(kiosk, floor, rss_start, rss_end, rss_peak, o3d, load, [*live_lines(live), *idle]),
                 args.out)
    return 0


def write_report(text: str, out: Path | None) -> None:
    """Print the report and, with `out`, write it there."""
    print(text)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        print(f"written to {out}")


if __name__ == "__main__":
    raise SystemExit(main())
