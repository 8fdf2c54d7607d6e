"""What every `hinge-kiosk` command shares: the one-line error (CliError, exit 2), the
one-line argparse, the simulated athlete's options, and the checks of the paths a user
names (read: no device, no over-long name; written: no link, no folder where a file goes).
The commands import this module, never kiosk.cli.root (which imports them)."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

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


def add_sim_args(p: argparse.ArgumentParser) -> None:
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
    """The simulated athlete of the command's --script, --athlete-height, ... options."""
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
        body=args.body,
    )


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
