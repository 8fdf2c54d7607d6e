"""`hinge-kiosk demo`: the kiosk's main job on the built-in simulated athlete, headless.

Records a scripted session through the SDK (software device + recorder), analyses the
recording exactly as `analyze` would, prints the rep table next to what the simulator
scripted, and saves a contact sheet of each rep's bottom frame."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hardware.playback import RecordingSource
from hardware.recorder import record_sim
from kiosk.analysis.analyzer import MEASURE_FILTERS
from kiosk.analysis.recording import analyze_recording
from kiosk.cli.common import sim_config
from kiosk.evaluation.snapshots import contact_sheet
from kiosk.progress import ProgressBar
from kiosk.results.words import rep_table


def scripted_table(truth: dict[str, Any]) -> str:
    lines = []
    for r in truth["reps"]:
        faults = ", ".join(r["expected_faults"]) or "-"
        wall = f"wall {r['wall_distance_in']:.0f} in" if r["wall_distance_in"] is not None else "dowel"
        lines.append(f"  {r['index']:>2}  {wall:<11} {'pass' if r['passed'] else 'fail'}  {faults}")
    return "\n".join(lines)


def bottom_frames(recording: Path, reps: list[dict[str, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    """The depth image (metres) nearest each rep's bottom time."""
    wanted = {r["index"]: r["bottom_s"] for r in reps}
    best: dict[int, tuple[float, Any]] = {}
    t0 = None
    with RecordingSource(recording, filters=MEASURE_FILTERS) as src:
        while (f := src.read(5.0)) is not None:
            t0 = f.timestamp_s if t0 is None else t0
            t = f.timestamp_s - t0
            for idx, tb in wanted.items():
                if idx not in best or abs(t - tb) < best[idx][0]:
                    best[idx] = (abs(t - tb), f.depth_m())
    return [(best[r["index"]][1], r) for r in reps if r["index"] in best]


def cmd_demo(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    rec = out_dir / f"{args.script}.db3"
    cfg = sim_config(args)
    print(
        f"simulating '{args.script}': {cfg.height_m:.2f} m athlete, {cfg.camera} at "
        f"{cfg.placement.distance_m:.1f} m, {cfg.placement.height_m:.2f} m high, camera on the "
        f"athlete's {cfg.placement.side}"
    )
    bar = ProgressBar("rendering")
    try:
        res = record_sim(cfg, rec, progress=bar)
    finally:
        bar.close()
    print(f"recorded {res.frames} frames through the RealSense SDK -> {rec}")
    bar = ProgressBar("analysing")
    try:
        doc = analyze_recording(rec, None, "auto", None, None, None, args.dowel_reps, progress=bar)
    finally:
        bar.close()
    (out_dir / "analysis.json").write_text(json.dumps(doc, indent=1))
    print("\nmeasured:")
    print(rep_table(doc))
    assert res.truth_path is not None
    truth = json.loads(res.truth_path.read_text())
    print("\nscripted by the simulator (ground truth):")
    print(scripted_table(truth))
    if doc["reps"]:
        sheet = contact_sheet(bottom_frames(rec, doc["reps"]), out_dir / "reps.png")
        print(f"\nsaved {sheet} (depth at the bottom of each rep)")
    print(f"saved {out_dir / 'analysis.json'}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="simulate a session, analyse it and print the rep table (headless)")
    p.add_argument("--out", default="out/demo", help="folder for the recording, JSON and pictures")
    p.add_argument("--dowel-reps", type=int, default=None, metavar="N")
    p.set_defaults(func=cmd_demo)
    return p
