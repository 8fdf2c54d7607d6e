"""`hinge-kiosk`: the composition root of the commands (one module per command in this
package, their shared parts in kiosk/cli/common.py). Every user-facing failure is one line
on stderr and a non-zero exit code, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from calibration.errors import CalibrationError
from hardware.source import SourceError
from kiosk.cli import (
    analyze,
    bench,
    calibrate,
    demo,
    record,
    results,
    results_reports,
    results_transfer,
    roster,
    run,
)
from kiosk.cli.common import EXIT_BAD_INPUT, CliError, OneLineParser, add_sim_args, check_input, check_output
from kiosk.core.profile_loader import ProfileError

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


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="hinge-kiosk", description="Hip-hinge depth-camera kiosk")
    sub = cast("argparse._SubParsersAction[argparse.ArgumentParser]",
               parser.add_subparsers(dest="command", required=True))

    record.register(sub)
    calibrate.register(sub)
    analyze.register(sub)
    bench.register(sub)
    run.register(sub)
    add_sim_args(demo.register(sub))
    add_sim_args(sub.choices["calibrate"])
    roster.register(sub)
    rs = results.register(sub)
    results_reports.register(rs)
    results_transfer.register(rs)
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
