"""`hinge-kiosk record OUT.db3`: record depth from a live camera or the simulated athlete
(with the simulator's ground truth beside it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.common import CliError, add_sim_args, sim_config
from kiosk.progress import ProgressBar


def cmd_record(args: argparse.Namespace) -> int:
    from hardware.recorder import record_live, record_sim

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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("record", help="record depth to a .db3 (live camera or simulated athlete)")
    p.add_argument("--source", choices=["live", "sim"], default="sim")
    p.add_argument("--seconds", type=float, default=None, help="length (sim default: the whole script)")
    p.add_argument("--serial", default=None, help="live camera serial (default: the first camera)")
    p.add_argument("out", metavar="OUT.db3")
    add_sim_args(p)
    p.set_defaults(func=cmd_record)
    return p
