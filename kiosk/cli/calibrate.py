"""`hinge-kiosk calibrate`: floor, camera pose, facing and station from a source.

Reads a short burst of raw (unfiltered) frames, fits the calibration, checks it and
writes the versioned file. `--json` prints the summary the installer's tools read."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from calibration.calibrate import calibrate, calibration_summary_json
from calibration.errors import CalibrationError
from calibration.store import default_calibration_path, save
from calibration.validate import check, station_noise_mm
from hardware.frame import DepthFrame
from hardware.settings import FilterConfig
from hardware.source import FrameSource
from kiosk.cli.common import CliError, sim_config

DEFAULT_FRAMES = 15


def read_frames(src: FrameSource, n: int, skip: int = 0, timeout_s: float = 3.0) -> list[DepthFrame]:
    """Up to n frames after skipping `skip`; fewer if the source ends or stalls."""
    return read_frames_counted(src, n, skip, timeout_s)[0]


def read_frames_counted(src: FrameSource, n: int, skip: int = 0,
                        timeout_s: float = 3.0) -> tuple[list[DepthFrame], int]:
    """read_frames, and how many frames the source gave in all (the skipped ones too)."""
    frames: list[DepthFrame] = []
    misses = 0
    while len(frames) < n + skip and misses < 3:
        f = src.read(timeout_s)
        if f is None:
            if not src.online:
                break
            misses += 1
            continue
        frames.append(f)
    return frames[skip:], len(frames)


def no_frames_message(source: str, skip: int, got: int) -> str:
    """Why calibrate has nothing to fit: nothing came, or --skip skipped all that came."""
    if got == 0:
        return f"no depth frames from {source}: check the camera or recording"
    frames, them = ("1 frame", "it") if got == 1 else (f"{got} frames", "them all")
    if source in ("live", "sim"):
        return (f"{source} gave only {frames} before stopping and --skip {skip} skips {them}: "
                "check the camera, or use a smaller --skip")
    fewer = f"--skip {got - 1}" + (" or less" if got > 1 else "")
    return f"{source} has only {frames} and --skip {skip} skips {them}: use {fewer}, or a longer recording"


def cmd_calibrate(args: argparse.Namespace) -> int:
    from kiosk.sources import open_source

    sim = sim_config(args) if args.source == "sim" else None
    src = open_source(args.source, filters=FilterConfig.off(), sim=sim, serial=args.serial)
    with src:
        frames, got = read_frames_counted(src, args.frames, skip=args.skip)
    if not frames:
        raise CliError(no_frames_message(str(args.source), args.skip, got))
    try:
        cal = calibrate(
            frames, facing=args.facing, station_distance_m=args.station_distance, source=str(args.source),
            background_if_empty=True,
        )
    except CalibrationError as err:
        raise CliError(str(err)) from None
    problems = check(cal)
    out = Path(args.out) if args.out else default_calibration_path()
    try:
        save(cal, out)  # (cli.main checked --out before the work: this is a late failure, a full disk)
    except OSError as err:
        where = err.filename if err.filename is not None else out
        raise CliError(f"cannot write the calibration: {where}: {err.strerror or err}") from None
    if args.json:
        print(json.dumps(calibration_summary_json(cal, problems)))
    else:
        print(
            f"camera height {cal.camera_height_m:.3f} m, tilted {cal.camera_pitch_deg:.1f} deg down, "
            f"roll {cal.camera_roll_deg:.1f} deg, athlete faces {cal.facing}"
        )
        noise_mm = station_noise_mm(cal)
        noise = "" if noise_mm is None else f", depth noise {noise_mm:.0f} mm at the station"
        floor = cal.floor
        print(f"floor: {floor.inlier_fraction * 100:.0f}% of points, {floor.rms_mm:.0f} mm RMS{noise}")
        for p in problems:
            print(f"problem: {p}")
        print(f"saved {out}" + ("" if not problems else " (fix the problems above and calibrate again)"))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("calibrate", help="find the floor, camera pose and facing; write the calibration file")
    p.add_argument(
        "--source",
        default="live",
        metavar="{live,sim,REC}",
        help="live camera, the simulated athlete, or a .db3/.bag recording",
    )
    p.add_argument(
        "--out", default=None, help="calibration file (default: calibration.json in the state dir)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--facing", default="auto", choices=["left", "right", "auto"])
    p.add_argument("--frames", type=int, default=DEFAULT_FRAMES, help="frames to fit over")
    p.add_argument("--skip", type=int, default=0, help="frames to skip first (auto-exposure settling)")
    p.add_argument(
        "--station-distance",
        type=float,
        default=None,
        metavar="M",
        help="station distance along the camera axis (default: where the athlete stands)",
    )
    p.add_argument("--serial", default=None)
    p.set_defaults(func=cmd_calibrate)
    return p
