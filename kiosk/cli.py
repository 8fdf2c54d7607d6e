"""`hinge-kiosk` command line: the composition root that wires sources, calibration,
the measurement core and outputs. Every user-facing failure is one line on stderr and
a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from calibration.errors import CalibrationError
from hardware.source import SourceError
from kiosk.core.profile_loader import ProfileError

if TYPE_CHECKING:
    from hardware.sim.source import SimConfig

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A problem the user can fix; str() is one line."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (the problem and where help is), not a
    usage block followed by the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_sim_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("simulated athlete (--source sim)")
    g.add_argument("--script", default="session", help="simulator script (default: session)")
    g.add_argument("--athlete-height", type=float, default=1.78, metavar="M", help="stature, metres")
    g.add_argument("--build", default="average", choices=["slim", "average", "heavy"])
    g.add_argument("--camera", default="D435", choices=["D435", "D455"], help="camera model to simulate")
    g.add_argument("--distance", type=float, default=2.4, metavar="M", help="camera to station, metres")
    g.add_argument("--camera-height", type=float, default=1.0, metavar="M")
    g.add_argument("--pitch", type=float, default=0.0, metavar="DEG", help="camera tilt down, degrees")
    g.add_argument("--side", default="right", choices=["left", "right"], help="athlete side the camera is on")
    g.add_argument(
        "--oblique", type=float, default=0.0, metavar="DEG", help="camera swung behind the side (0-30)"
    )
    g.add_argument("--seed", type=int, default=0)


def sim_config(args: argparse.Namespace) -> SimConfig:
    from kiosk.sources import sim_config_from_args

    return sim_config_from_args(
        script=args.script,
        height_m=args.athlete_height,
        build=args.build,
        camera=args.camera,
        distance_m=args.distance,
        camera_height_m=args.camera_height,
        pitch_deg=args.pitch,
        side=args.side,
        oblique_deg=args.oblique,
        seed=args.seed,
    )


def cmd_record(args: argparse.Namespace) -> int:
    from hardware.recorder import record_live, record_sim
    from kiosk.progress import ProgressBar

    out = Path(args.out)
    bar = ProgressBar(f"recording {out.name}")
    try:
        if args.source == "sim":
            res = record_sim(sim_config(args), out, seconds=args.seconds, progress=bar)
        else:
            if args.seconds is None:
                raise CliError("--seconds is required when recording a live camera")
            res = record_live(out, args.seconds, serial=args.serial, progress=bar)
    finally:
        bar.close()
    print(f"wrote {res.path} ({res.frames} frames)")
    if res.truth_path is not None:
        print(f"ground truth: {res.truth_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="hinge-kiosk", description="Hip-hinge depth-camera kiosk")
    sub = cast("argparse._SubParsersAction[argparse.ArgumentParser]",
               parser.add_subparsers(dest="command", required=True))

    p = sub.add_parser("record", help="record depth to a .db3 (live camera or simulated athlete)")
    p.add_argument("--source", choices=["live", "sim"], default="sim")
    p.add_argument("--seconds", type=float, default=None, help="length (sim default: the whole script)")
    p.add_argument("--serial", default=None, help="live camera serial (default: the first camera)")
    p.add_argument("out", metavar="OUT.db3")
    _add_sim_args(p)
    p.set_defaults(func=cmd_record)

    from kiosk import cmd_analyze, cmd_bench, cmd_calibrate, cmd_demo, cmd_run

    cmd_calibrate.register(sub)
    cmd_analyze.register(sub)
    cmd_bench.register(sub)
    cmd_run.register(sub)
    _add_sim_args(cmd_demo.register(sub))
    _add_sim_args(sub.choices["calibrate"])
    from kiosk.results import cli_results

    cli_results.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rc: int = args.func(args)
        return rc
    except (CliError, SourceError, CalibrationError, ProfileError) as err:
        print(f"hinge-kiosk: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hinge-kiosk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
