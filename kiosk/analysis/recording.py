"""Judge every rep in a recording and build the DESIGN.md `analyze` JSON contract (one
`per_frame` entry per recording frame, in order); the `analyze` command (kiosk/cli/analyze.py)
prints and writes it.

Two passes over the recording: raw frames sampled over its whole length calibrate the
camera (floor, pose, station) and orient it from the athlete's own hinge (facing, heading:
kiosk/analysis/orient.py); then every frame goes through MEASURE_FILTERS (848x480 -> 424x240),
its range limit pulled in to the analysis box (kiosk/analysis/depth_limit.py), and the core.
`analyze_frames` is the second pass on any frame iterator (the accuracy harness feeds the
simulator's frames straight in).

A damaged recording: frames the SDK cannot read are skipped and the analysis goes on to
the end (hardware/playback.py seeks past them). The document counts them
(`skipped_frames`) and says where in `warnings`; `analyze` exits 1 with one line on stderr
when the result cannot be trusted (`trust_problem`: more than MAX_SKIPPED_FRACTION of the
frames, a gap over MAX_SKIP_RUN frames, or a playback that could not reach the end).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from calibration.calibrate import calibrate
from calibration.describe import describe_validation_error
from calibration.errors import CalibrationError
from calibration.model import Calibration
from calibration.validate import check as placement_problems
from hardware.frame import DepthFrame
from hardware.playback import PlaybackReport, RecordingSource
from hardware.settings import FilterConfig
from kiosk.analysis.analyzer import FrameAnalyzer, with_drill
from kiosk.analysis.depth_limit import depth_limit_m, measure_filters
from kiosk.analysis.orient import orient_calibration
from kiosk.core.drill import RepResult
from kiosk.core.profile_loader import ProfileError, load_profile
from kiosk.core.thresholds import Profile
from kiosk.progress import ProgressBar

CALIBRATION_SAMPLES = 24
Progress = ProgressBar | None
MAX_SKIPPED_FRACTION = 0.02  # more unreadable frames than this and the result is not trusted
MAX_SKIP_RUN = 15  # nor with a longer gap (0.5 s at 30 fps: the bottom of a rep can hide in it)
EXIT_UNTRUSTED = 1


def calibration_sample_indices(n_frames: int) -> list[int]:
    """Indices `sample_for_calibration` keeps of a recording of n_frames: every stride-th
    frame, the stride doubling whenever 2 * CALIBRATION_SAMPLES are held."""
    kept: list[int] = []
    stride = 1
    for n in range(n_frames):
        if n % stride == 0:
            kept.append(n)
            if len(kept) >= 2 * CALIBRATION_SAMPLES:
                kept, stride = kept[::2], stride * 2
    return kept


def sample_for_calibration(path: Path) -> tuple[list[DepthFrame], int]:
    """Raw frames spread over the whole recording (calibration_sample_indices) and the
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


def self_calibrate(
    samples: Sequence[DepthFrame], cal: Calibration | None, facing: str, profile: Profile, source: str = ""
) -> Calibration:
    """The calibration for the analysis: `cal` (facing overridden unless "auto") or one
    computed from the samples, then oriented by the athlete's hinge (kiosk/analysis/orient.py); with
    facing "auto" the hinge decides it, over the feet."""
    if cal is None:
        cal = calibrate(samples, facing=facing, source=source)
    elif facing != "auto":
        cal = cal.with_facing(facing)  # type: ignore[arg-type]
    return orient_calibration(cal, samples, profile, decide_facing=facing == "auto").calibration


def analyze_frames(
    frames: Iterable[DepthFrame],
    cal: Calibration,
    profile: Profile,
    recording: str,
    n_frames: int = 0,
    progress: Progress = None,
) -> dict[str, Any]:
    """The `analyze` document for frames already through MEASURE_FILTERS, in order.

    Beyond DESIGN.md's contract (keys added, none changed): each `per_frame` entry says
    whether a second person was in the station (`second_person`); `incomplete_reps` lists
    reps the athlete never stood up from (the stream ended or they left mid-rep: no
    verdict, not in `reps` or `summary`); `facing_decided` is False when the hinge never
    decided the facing (then `facing` says "right" by the contract); `placement_problems`
    lists calibrate's placement advice; `warnings` says in plain words what makes the
    result less certain (placement, an undecided facing, a second person in view,
    unreadable frames); `skipped_frames`
    counts the recording's frames that could not be read (they have no `per_frame` entry;
    0 here, set by `analyze_recording`)."""
    analyzer = FrameAnalyzer(cal, profile)
    per_frame: list[dict[str, Any]] = []
    times: list[float] = []
    for f in frames:
        res = analyzer.process(f)
        entry = res.drill.to_json()
        entry["second_person"] = res.metrics.second_person
        per_frame.append(entry)
        times.append(f.timestamp_s)
        if progress:
            progress(len(per_frame), n_frames)
    analyzer.finish()  # a rep in progress when the stream ends is settled, never dropped
    fps = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0
    return {
        "recording": recording,
        "fps": round(fps, 3),
        "facing": cal.facing if cal.facing != "auto" else "right",
        "facing_decided": cal.facing != "auto",
        "placement_problems": placement_problems(cal),
        "per_frame": per_frame,
        "reps": [r.to_json() for r in analyzer.reps],
        "incomplete_reps": [_incomplete_json(r) for r in analyzer.incomplete],
        "summary": analyzer.summary(),
        "warnings": setup_warnings(cal) + _warnings(per_frame),
        "skipped_frames": 0,
    }


def _incomplete_json(rep: RepResult) -> dict[str, Any]:
    """An unjudged rep: its times (end_s = last frame seen) and measurements, no verdict."""
    doc = rep.to_json()
    for key in ("index", "faults", "passed"):
        doc.pop(key)
    return doc


def setup_warnings(cal: Calibration) -> list[str]:
    """Plain-word warnings about the set-up behind the numbers, one line each: calibrate's
    placement advice (a camera too high, too far or tilted measures less well: the same
    words `calibrate` prints) and a facing the athlete's hinge never decided (the contract
    reports it as "right", which may be wrong)."""
    out = [f"camera placement: {p}" for p in placement_problems(cal)]
    if cal.facing == "auto":
        out.append(
            "the facing was not decided (no readable hinge in the recording) and is reported as "
            "'right'; run again with --facing left or --facing right"
        )
    return out


def _warnings(per_frame: list[dict[str, Any]]) -> list[str]:
    """Plain-word warnings about the whole recording, one line each."""
    second = [e["t_s"] for e in per_frame if e["second_person"]]
    if not second:
        return []
    return [
        f"a second person was in the station in {len(second)} frames ({second[0]:.1f}-{second[-1]:.1f} s): "
        "reps then may belong to either person"
    ]


def _frames_of(src: RecordingSource) -> Iterable[DepthFrame]:
    while (f := src.read(5.0)) is not None:
        yield f


def skipped_warning(report: PlaybackReport) -> str | None:
    """One plain-word line on the unreadable frames of a playback, or None when there were none."""
    if not report.frames_skipped and report.complete:
        return None
    about = "" if report.exact else "about "
    n = report.frames_skipped
    runs = [("at the start" if ts is None else f"after {ts:.1f} s", k) for ts, k in report.skips]
    line = f"damaged recording: {about}{n} unreadable frame{'s' if n != 1 else ''} skipped"
    if len(runs) == 1:
        line += f" {runs[0][0]}"
    elif runs:
        line += ": " + ", ".join(f"{k} {where}" for where, k in runs)
    if not report.complete:
        line += f"; the playback stopped after {report.frames_read} frames, short of the end"
    return line + "; the analysis went on without them"


def trust_problem(report: PlaybackReport) -> str | None:
    """Why an analysis over this playback cannot be trusted, in a few words; None if it can."""
    if not report.complete:
        return f"the playback stopped after {report.frames_read} frames, before the end of the recording"
    total = max(report.frames_total, 1)
    if report.frames_skipped > MAX_SKIPPED_FRACTION * total:
        share = 100 * report.frames_skipped / total
        return (f"{report.frames_skipped} of {total} frames are unreadable "
                f"({share:.0f} %, more than {100 * MAX_SKIPPED_FRACTION:.0f} %)")
    if report.longest_skip > MAX_SKIP_RUN:
        return f"{report.longest_skip} frames in a row are unreadable (more than {MAX_SKIP_RUN})"
    return None


def analyze_recording(
    path: Path,
    cal: Calibration | None,
    facing: str,
    profile_path: Path | None,
    wall_in: float | None,
    step_in: float | None,
    dowel_reps: int | None,
    progress: ProgressBar | None = None,
) -> dict[str, Any]:
    """The `analyze` document for one recording."""
    doc, _ = analyze_recording_report(path, cal, facing, profile_path, wall_in, step_in, dowel_reps, progress)
    return doc


def analyze_recording_report(
    path: Path,
    cal: Calibration | None,
    facing: str,
    profile_path: Path | None,
    wall_in: float | None,
    step_in: float | None,
    dowel_reps: int | None,
    progress: ProgressBar | None = None,
) -> tuple[dict[str, Any], PlaybackReport]:
    """The `analyze` document for one recording and what its analysis pass read and skipped."""
    profile = drill_profile(profile_path, wall_in, step_in, dowel_reps)  # bad options fail before any reading
    samples, n_frames = sample_for_calibration(path)
    if n_frames == 0:
        raise CalibrationError(f"{path.name}: recording has no depth frames")
    cal = self_calibrate(samples, cal, facing, profile, source=str(path))
    # The range limit just past the analysis box (depth_limit.py): the same measurement,
    # with the SDK's spatial filter spared the room behind the station.
    with RecordingSource(path, filters=measure_filters(depth_limit_m(cal, profile))) as src:
        doc = analyze_frames(_frames_of(src), cal, profile, str(path), n_frames, progress)
        report = src.report()
    doc["skipped_frames"] = report.frames_skipped
    if (line := skipped_warning(report)) is not None:
        doc["warnings"].append(line)
    return doc, report


_OPTION_OF_KEY = {"drill.wall_start_in": "--wall-in", "drill.step_in": "--step-in",
                  "drill.dowel_reps": "--dowel-reps"}


def drill_profile(profile_path: Path | None, wall_in: float | None, step_in: float | None,
                  dowel_reps: int | None) -> Profile:
    """The profile with the command line's drill options; ProfileError (one line naming the
    option, the value and the allowed range) when an option is out of bounds."""
    profile = load_profile(profile_path)
    try:
        return with_drill(profile, wall_in, step_in, dowel_reps)
    except ValidationError as err:
        line = describe_validation_error(err, Profile)
        for key, option in _OPTION_OF_KEY.items():
            line = line.replace(f"{key} = ", f"{option} ")
        raise ProfileError(line) from None
