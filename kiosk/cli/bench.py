"""`hinge-kiosk bench`: the speed benchmark (kiosk/evaluation/bench.py) from the CLI.

Runs `python -m kiosk.evaluation.bench` in a child process: the benchmark pins itself to one core and
needs one-thread numpy/Open3D from their first import (this process has loaded numpy
already), and its peak RSS should be its own. `--json` prints exactly
{"analysis_ms_median", "baseline_ms_median", "ratio"} on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from kiosk.cli.common import CliError


def cmd_bench(args: argparse.Namespace) -> int:
    from kiosk.evaluation.bench import THREAD_VARS  # lazy: the simulator's imports are for this command only
    cmd = [sys.executable, "-m", "kiosk.evaluation.bench"]
    if args.frames is not None:
        if args.frames < 1:
            raise CliError("--frames must be at least 1")
        cmd += ["--frames", str(args.frames)]
    if args.json:
        cmd.append("--json")
    if args.out:
        cmd += ["--out", args.out]
    env = {**os.environ, **dict.fromkeys(THREAD_VARS, "1")}
    rc = subprocess.run(cmd, env=env, check=False).returncode
    if rc != 0:
        raise CliError(f"benchmark failed (exit code {rc}); see the messages above")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("bench", help="time the per-frame analysis against an Open3D pipeline (one core)")
    p.add_argument("--frames", type=int, default=None, metavar="N",
                   help="simulated frames to time (default: the benchmark's, 150)")
    p.add_argument("--json", action="store_true",
                   help="print only {analysis_ms_median, baseline_ms_median, ratio} as JSON")
    p.add_argument("--out", default=None, metavar="MD", help="also write the markdown report here")
    p.set_defaults(func=cmd_bench)
    return p
