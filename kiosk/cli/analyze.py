"""`hinge-kiosk analyze REC`: judge every rep in a recording (kiosk/analysis/recording.py),
print the rep table, and write the DESIGN.md JSON contract with --json. Exit 1 with one
line on stderr when the recording is too damaged for the result to be trusted."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calibration.store import load
from kiosk.analysis.recording import EXIT_UNTRUSTED, analyze_recording_report, trust_problem
from kiosk.cli.common import CliError
from kiosk.progress import ProgressBar
from kiosk.results.words import rep_table


def cmd_analyze(args: argparse.Namespace) -> int:
    path = Path(args.recording)
    if args.json and not Path(args.json).parent.exists():
        raise CliError(
            f"folder {Path(args.json).parent} does not exist; create it or choose another --json path"
        )
    cal = load(args.calibration) if args.calibration else None
    bar = ProgressBar(f"analysing {path.name}")
    try:
        doc, report = analyze_recording_report(
            path,
            cal,
            args.facing,
            Path(args.profile) if args.profile else None,
            args.wall_in,
            args.step_in,
            args.dowel_reps,
            progress=bar,
        )
    finally:
        bar.close()
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1))
    print(rep_table(doc))
    if (problem := trust_problem(report)) is not None:
        print(
            f"hinge-kiosk: error: {path.name}: {problem}: the result cannot be trusted; "
            "analyse an intact copy or record the session again",
            file=sys.stderr,
        )
        return EXIT_UNTRUSTED
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("analyze", help="measure and judge every rep in a recording")
    p.add_argument("recording", metavar="REC", help=".db3 or .bag recording")
    p.add_argument(
        "--calibration",
        default=None,
        metavar="FILE",
        help="calibration file (default: calibrate from the recording itself)",
    )
    p.add_argument("--facing", default="auto", choices=["left", "right", "auto"])
    p.add_argument(
        "--wall-in", type=float, default=None, metavar="IN", help="first wall distance (default 6)"
    )
    p.add_argument(
        "--step-in", type=float, default=None, metavar="IN", help="wall step after a pass (default 2)"
    )
    p.add_argument(
        "--dowel-reps",
        type=int,
        default=None,
        metavar="N",
        help="reps judged as dowel drill before the wall drill (default: the profile's, 3)",
    )
    p.add_argument("--profile", default=None, metavar="TOML", help="threshold profile (default: built-in)")
    p.add_argument("--json", default=None, metavar="OUT", help="write the analysis JSON here")
    p.set_defaults(func=cmd_analyze)
    return p
