"""`hinge-kiosk analyze REC`: judge every rep in a recording and write the DESIGN.md
JSON contract (one `per_frame` entry per recording frame, in order)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from calibration.model import Calibration
from calibration.store import load
from hardware.frame import DepthFrame
from hardware.playback import RecordingSource
from hardware.rs_frames import FilterConfig
from kiosk.analysis import MEASURE_FILTERS, FrameAnalyzer, with_drill
from kiosk.core.profile_loader import load_profile
from kiosk.progress import ProgressBar
from kiosk.report import rep_table

CALIBRATION_SAMPLES = 24


def sample_for_calibration(path: Path) -> tuple[list[DepthFrame], int]:
    """Raw frames spread over the whole recording (for the floor fit and facing) and the
    recording's frame count. Keeps at most 2 * CALIBRATION_SAMPLES frames in memory."""
    kept: list[DepthFrame] = []
    stride, n = 1, 0
    with RecordingSource(path, filters=FilterConfig.off()) as src:
        while (f := src.read(5.0)) is not None:
            if n % stride == 0:
                kept.append(f)
                if len(kept) >= 2 * CALIBRATION_SAMPLES:
                    kept, stride = kept[::2], stride * 2
            n += 1
    return kept, n


def analyze_recording(path: Path, cal: Calibration | None, facing: str, profile_path: Path | None,
                      wall_in: float | None, step_in: float | None, dowel_reps: int | None,
                      progress: ProgressBar | None = None) -> dict[str, Any]:
    """The `analyze` document for one recording."""
    samples, n_frames = sample_for_calibration(path)
    if n_frames == 0:
        raise CalibrationError(f"{path.name}: recording has no depth frames")
    if cal is None:
        cal = calibrate(samples, facing=facing, source=str(path))
    elif facing != "auto":
        cal = cal.with_facing(facing)  # type: ignore[arg-type]
    profile = with_drill(load_profile(profile_path), wall_in, step_in, dowel_reps)
    analyzer = FrameAnalyzer(cal, profile)
    per_frame: list[dict[str, Any]] = []
    times: list[float] = []
    with RecordingSource(path, filters=MEASURE_FILTERS) as src:
        while (f := src.read(5.0)) is not None:
            per_frame.append(analyzer.process(f).to_json())
            times.append(f.timestamp_s)
            if progress:
                progress(len(per_frame), n_frames)
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
    return {
        "recording": str(path),
        "fps": round(fps, 3),
        "facing": cal.facing if cal.facing != "auto" else "right",
        "per_frame": per_frame,
        "reps": [r.to_json() for r in analyzer.reps],
        "summary": analyzer.summary(),
    }


def cmd_analyze(args: argparse.Namespace) -> int:
    from kiosk.cli import CliError

    path = Path(args.recording)
    cal = load(args.calibration) if args.calibration else None
    bar = ProgressBar(f"analysing {path.name}")
    try:
        doc = analyze_recording(path, cal, args.facing, Path(args.profile) if args.profile else None,
                                args.wall_in, args.step_in, args.dowel_reps, progress=bar)
    finally:
        bar.close()
    if args.json:
        out = Path(args.json)
        if not out.parent.exists():
            raise CliError(f"folder {out.parent} does not exist; create it or choose another --json path")
        out.write_text(json.dumps(doc, indent=1))
    print(rep_table(doc))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("analyze", help="measure and judge every rep in a recording")
    p.add_argument("recording", metavar="REC", help=".db3 or .bag recording")
    p.add_argument("--calibration", default=None, metavar="FILE",
                   help="calibration file (default: calibrate from the recording itself)")
    p.add_argument("--facing", default="auto", choices=["left", "right", "auto"])
    p.add_argument("--wall-in", type=float, default=None, metavar="IN", help="first wall distance (default 6)")
    p.add_argument("--step-in", type=float, default=None, metavar="IN", help="wall step after a pass (default 2)")
    p.add_argument("--dowel-reps", type=int, default=None, metavar="N",
                   help="reps judged as dowel drill before the wall drill (default: the profile's, 3)")
    p.add_argument("--profile", default=None, metavar="TOML", help="threshold profile (default: built-in)")
    p.add_argument("--json", default=None, metavar="OUT", help="write the analysis JSON here")
    p.set_defaults(func=cmd_analyze)
    return p
