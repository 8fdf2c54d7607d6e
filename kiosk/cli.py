"""`hinge-kiosk` command line: the composition root that wires sources, calibration,
the measurement core and outputs. Every user-facing failure is one line on stderr and
a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import os
import stat
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
    g.add_argument("--body", default="parametric", metavar="SPEC",
                   help="parametric (--athlete-height, --build) or mpfb:<id>, e.g. mpfb:F07")
    g.add_argument("--camera", default="D435", choices=["D435", "D455"], help="camera model to simulate")
    g.add_argument("--distance", type=float, default=2.2, metavar="M", help="camera to station, metres")
    g.add_argument("--camera-height", type=float, default=1.0, metavar="M")
    g.add_argument("--pitch", type=float, default=0.0, metavar="DEG", help="camera tilt down, degrees")
    g.add_argument("--side", default="right", choices=["left", "right"], help="athlete side the camera is on")
    g.add_argument(
        "--oblique", type=float, default=0.0, metavar="DEG", help="camera swung behind the side (0-30)"
    )
    g.add_argument("--seed", type=int, default=0)


def sim_config(args: argparse.Namespace) -> SimConfig:
    from dataclasses import replace

    from kiosk.sources import sim_config_from_args

    cfg = sim_config_from_args(
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
    return replace(cfg, body=args.body)


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
    print(f"wrote {res.path} ({res.frames} frame{'' if res.frames == 1 else 's'})")
    if res.truth_path is not None:
        print(f"ground truth: {res.truth_path}")
    return 0


# Where each verb writes (argparse dest, a file or a folder, its parents made if missing):
# checked before the verb runs, so a bad output path is one line now, not a traceback
# after the work (a calibration, a benchmark) is done.
OUTPUTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "record": (("out", "file", True),), "calibrate": (("out", "file", False),),
    "analyze": (("json", "file", False),), "bench": (("out", "file", True),),
    "demo": (("out", "folder", True),),
}
# What each verb reads (argparse dests; "live"/"sim" are not paths): a name over 255 bytes,
# a link loop, a file on the way, or a device (/dev/zero reads forever) is refused first.
INPUTS: dict[str, tuple[str, ...]] = {"analyze": ("recording", "calibration", "profile"),
                                      "calibrate": ("source",)}
NAME_MAX_BYTES = 255


def check_input(text: str) -> None:
    """CliError (one line) when `text` cannot be a file to read; a missing one is left to
    the verb, which says what it expected there."""
    if any(len(os.fsencode(part)) > NAME_MAX_BYTES for part in Path(text).parts):
        raise CliError(f"{text[:80]}...: a name in this path is longer than {NAME_MAX_BYTES} bytes")
    try:
        st = os.stat(text)
    except FileNotFoundError:
        return
    except OSError as err:
        raise CliError(f"{text}: {err.strerror}") from None
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):  # a ROS 2 recording is a folder
        raise CliError(f"{text} is a device or special file, not a file to read")


def check_output(text: str, kind: str, make_parents: bool) -> None:
    """CliError (one line) unless a `kind` ("file"/"folder") can be written at `text`: no
    name over 255 bytes, no file where a folder is needed, no link loop, no link, folder or
    device where a file goes, and a writable folder to make it in."""
    path = Path(text)
    if any(len(os.fsencode(part)) > NAME_MAX_BYTES for part in path.parts):
        raise CliError(f"{text[:80]}...: a name in this path is longer than {NAME_MAX_BYTES} bytes")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as err:  # ENOTDIR: a file on the way; ELOOP: a link loop on the way
        raise CliError(f"{text}: {err.strerror}") from None
    if st is not None:
        if kind == "folder" and not stat.S_ISDIR(st.st_mode):
            raise CliError(f"{text} is a file, not a folder: give a folder")
        if kind == "file" and not stat.S_ISREG(st.st_mode):
            what = ("a symbolic link" if stat.S_ISLNK(st.st_mode) else "a folder" if stat.S_ISDIR(st.st_mode)
                    else "a device or special file")
            raise CliError(f"{text} is {what}: give a file name")
    folder = path if kind == "folder" and st is not None else path.parent
    if not make_parents and not folder.is_dir():
        raise CliError(f"folder {folder} does not exist; create it first")
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CliError(f"{folder} is not a folder: {text} cannot be written there")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"folder {folder} cannot be written to (read-only or no permission)")


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
        for dest in INPUTS.get(args.command, ()):
            value = getattr(args, dest, None)
            if isinstance(value, str | Path) and value not in ("live", "sim"):
                check_input(str(value))
        for dest, kind, make_parents in OUTPUTS.get(args.command, ()):
            if isinstance(getattr(args, dest, None), str | Path):
                check_output(str(getattr(args, dest)), kind, make_parents)
        rc: int = args.func(args)
        return rc
    except (CliError, SourceError, CalibrationError, ProfileError) as err:
        print(f"hinge-kiosk: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as err:  # a file the user named, refused by the system (one line, not a traceback)
        where = f"{os.fsdecode(err.filename)[:200]}: " if err.filename is not None else ""
        print(f"hinge-kiosk: error: {where}{err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hinge-kiosk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # `python -m kiosk.cli` runs this file as __main__, a second copy of the module: the verbs
    # raise `kiosk.cli.CliError`, which only `kiosk.cli.main` catches (else a traceback).
    from kiosk.cli import main as cli_main

    sys.exit(cli_main())
