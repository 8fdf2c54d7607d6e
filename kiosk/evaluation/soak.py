"""Soak run (issue 6): the kiosk loop for a long time at 30 fps, watching memory and pace.

    .venv/bin/python -m kiosk.evaluation.soak --minutes 30 --out docs/soak.md       # make soak
    .venv/bin/python -m kiosk.evaluation.soak --minutes 2 --json out/soak.json      # CI's short variant

The real loop (`KioskLoop`, pygame renderer under SDL's dummy driver, synthesized sound,
monotonic clock) plays a recording of the simulated athlete in real time and starts it
again at its end, as a demo station loops, so athletes come, hinge and leave over and over:
sessions, verdicts, results written to a real SQLite file. Every `--sample-s` seconds it
records RSS (VmRSS), frames drawn and sessions finished. Growth is judged after a
warm-up (the first samples carry imports, caches, the first calibration).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from kiosk.evaluation.bench_run import rss_mb

WARMUP_S = 30.0


@dataclass
class Sample:
    t_s: float
    rss_mb: float
    frames: int
    sessions: int


@dataclass
class SoakResult:
    seconds: float
    rc: int
    samples: list[Sample] = field(default_factory=list)
    errors: int = 0

    def growth_mb(self) -> float:
        """RSS at the end minus RSS at the end of the warm-up (MiB)."""
        after = [s for s in self.samples if s.t_s >= WARMUP_S] or self.samples
        return after[-1].rss_mb - after[0].rss_mb if after else 0.0

    def late_growth_mb(self) -> float:
        """RSS over the second half of the run (max - first), MiB: a leak keeps climbing
        here, while bounded caches (the screen-change log) have filled by then."""
        half = [x for x in self.samples if x.t_s >= self.seconds / 2] or self.samples
        return max(x.rss_mb for x in half) - half[0].rss_mb if half else 0.0

    def fps(self) -> float:
        s = [x for x in self.samples if x.t_s >= WARMUP_S] or self.samples
        return (s[-1].frames - s[0].frames) / (s[-1].t_s - s[0].t_s) if len(s) > 1 else 0.0


class _Sampler:
    """The loop's supervisor: READY/STATUS ignored; each tick counts a frame and samples."""

    def __init__(self, result: SoakResult, sample_s: float, sessions: Any) -> None:
        self.result, self.sample_s, self.sessions = result, sample_s, sessions
        self.t0 = time.monotonic()
        self.next_s = 0.0
        self.frames = 0

    def ready(self, status: str) -> None:
        pass

    def status(self, text: str) -> None:
        if text.startswith("error"):
            self.result.errors += 1

    def tick(self) -> None:
        self.frames += 1
        t = time.monotonic() - self.t0
        if t >= self.next_s:
            self.next_s += self.sample_s
            rss = round(rss_mb()[0], 2)
            self.result.samples.append(Sample(round(t, 1), rss, self.frames, self.sessions()))


def soak(recording: Path, seconds: float, sample_s: float, db: Path) -> SoakResult:
    from kiosk.app.audio import Audio
    from kiosk.app.config import KioskConfig
    from kiosk.app.loop import KioskLoop, LoopParts
    from kiosk.app.ports import MonotonicClock
    from kiosk.app.render import PygameRenderer
    from kiosk.app.results_writer import ResultsWriter
    from kiosk.app.sources import KioskSources
    from kiosk.core.profile_loader import load_profile
    from kiosk.results.store import ResultsStore

    result = SoakResult(seconds=seconds, rc=0)
    cfg = KioskConfig()
    display = PygameRenderer(windowed=True)
    writer = ResultsWriter(lambda: ResultsStore.open(db))

    def sessions() -> int:
        return writer.saved_sessions

    parts = LoopParts(sources=KioskSources(cfg), profile=load_profile(), cfg=cfg, display=display,
                      audio=Audio(), clock=MonotonicClock(),
                      supervisor=_Sampler(result, sample_s, sessions), results=writer)
    loop = KioskLoop(parts, str(recording))
    try:
        result.rc = loop.run(max_frames=int(seconds * parts.fps))
    finally:
        display.close()
    return result


def markdown(r: SoakResult, recording: Path) -> str:
    rows = "\n".join(f"| {s.t_s:.0f} | {s.rss_mb:.1f} | {s.frames} | {s.sessions} |" for s in r.samples)
    return f"""# Soak run

`make soak` (`python -m kiosk.evaluation.soak`): the real kiosk loop for {r.seconds / 60:.0f} min at 30 fps
on a loop of `{recording.name}` (the simulated athlete's session), results written to SQLite.
Exit code {r.rc}; {r.errors} error screens. After a {WARMUP_S:.0f} s warm-up: RSS growth
**{r.growth_mb():+.1f} MiB**, of which **{r.late_growth_mb():+.1f} MiB** in the second half (the
bounded log of the last 400 screen changes fills in the first minutes; a leak would keep
climbing), **{r.fps():.1f} fps** on average. Not a test: CI runs a 2-minute
variant (tests/test_soak.py) that fails on a crash or RSS growth of 10 MiB or more.

| t (s) | RSS (MiB) | frames drawn | sessions saved |
|---:|---:|---:|---:|
{rows}
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.evaluation.soak", description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--sample-s", type=float, default=10.0)
    p.add_argument("--recording", type=Path, default=Path("out/bench/session.db3"))
    p.add_argument("--out", type=Path, default=None, help="markdown report")
    p.add_argument("--json", type=Path, default=None, help="samples as JSON")
    args = p.parse_args(argv)
    from kiosk.evaluation.bench_loop import ensure_recording

    rec = ensure_recording(args.recording)
    with tempfile.TemporaryDirectory() as tmp:
        r = soak(rec, args.minutes * 60.0, args.sample_s, Path(tmp) / "results.sqlite3")
    print(f"soak: {r.seconds:.0f} s, exit {r.rc}, {r.errors} errors, RSS growth {r.growth_mb():+.1f} MiB "
          f"after warm-up, {r.fps():.1f} fps, {r.samples[-1].sessions if r.samples else 0} sessions saved")
    if args.out is not None:
        args.out.write_text(markdown(r, rec), encoding="utf-8")
    if args.json is not None:
        args.json.write_text(json.dumps({**asdict(r), "growth_mb": r.growth_mb(),
                                         "late_growth_mb": r.late_growth_mb(), "fps": r.fps()}))
    return 0 if r.rc == 0 and r.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
