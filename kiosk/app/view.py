"""View model: everything the screen shows, as plain values. Pure: built from the flow
state, the frame's observation and a small context; render.py only draws it.

Words are for a gym member on their own and a trainer 3 m away: short instructions, one
cue, pass/fail said in words (and drawn as a check mark or a cross), numbers with units.
Lengths are world metres inside, shown in the configured units (in or cm). A miss is said
as a number ("Hips 6 cm short of the wall") and the body in plain words ("lower back",
never "sacrum"). Staff-only words (the simulated athlete, what to plug in) are in the
operator menu, behind its PIN. The values themselves (ViewModel, ViewContext) and what
frames every screen (status corner, operator menu, full-screen status) are view_model.py's.
"""

from __future__ import annotations

from kiosk.app.cues import FAULT_NAMES, fault_counts, main_fault, rep_cue, session_cue
from kiosk.app.flow import FlowState, Screen, screen_key
from kiosk.app.observe import UNCLEAR_BODY, UNCLEAR_SECOND, Observation
from kiosk.app.scene import Scene, build_scene
from kiosk.app.view_model import MenuView as MenuView
from kiosk.app.view_model import VerdictView as VerdictView
from kiosk.app.view_model import ViewContext as ViewContext
from kiosk.app.view_model import ViewModel as ViewModel
from kiosk.app.view_model import base_view
from kiosk.app.view_model import status_view as status_view
from kiosk.core import RepResult, summary
from kiosk.core.drill import INCH_M
from kiosk.core.reps import Phase


def length_text(m: float, units: str, digits: int = 1) -> str:
    """A length in the display units, e.g. "2.5 in" or "6.4 cm"."""
    if units == "cm":
        return f"{m * 100:.{digits}f} cm"
    return f"{m / INCH_M:.{digits}f} in"


def wall_text(distance_in: float, units: str) -> str:
    return length_text(distance_in * INCH_M, units, 0)


def miss_text(mm: float, units: str) -> str:
    """A shortfall said the way a member reads it: whole centimetres, or inches to the half
    under 3 in ("6 cm", "2.5 in", "4 in"); never "0" (under one unit is "under 1 cm")."""
    if units == "cm":
        cm = round(mm / 10.0)
        return "under 1 cm" if cm < 1 else f"{cm} cm"
    inch = mm / 1000.0 / INCH_M
    if inch < 0.5:
        return "under 1/2 in"
    if inch < 3.0:
        half = round(inch * 2) / 2
        return f"{half:g} in"
    return f"{round(inch)} in"


# The back landmarks in plain words (the dowel's three contacts).
BODY_WORDS = {"head": "head", "thoracic": "upper back", "sacrum": "lower back"}


def build_view(flow: FlowState, obs: Observation | None, ctx: ViewContext,
               bottom: Observation | None = None) -> ViewModel:
    """`bottom`: the frame at the bottom of the rep whose verdict is showing (the deepest, or
    where the back left the dowel); drawn instead of the live view while the verdict shows,
    with the fault marked."""
    key = screen_key(flow)
    if flow.screen is Screen.ATTRACT:
        return base_view(ctx, key, "attract", "HIP HINGE CHECK", lines=(
            "Step onto the floor marker",
            "Stand side-on to the camera",
            "Takes about 2 minutes",
        ), arrow=_arrow(ctx))
    if flow.screen is Screen.RESULT:
        return _result(flow, ctx, key)
    scene = None
    frozen = bottom if flow.verdict is not None else None
    shown = frozen if frozen is not None else obs
    if shown is not None:
        miss = ""
        if frozen is not None and flow.verdict is not None and "wall_not_reached" in flow.verdict.rep.faults:
            miss = f"{miss_text(flow.verdict.rep.min_hip_to_wall_mm, ctx.units)} short"
        f = ctx.faults  # without a head limit of its own the head's marker uses the back's
        head_mm = f.max_head_gap_mm if f.max_head_gap_mm is not None else f.max_back_gap_mm
        scene = build_scene(shown, ctx.station_x_m, ctx.mirror, head_mm, f.max_back_gap_mm,
                            show_wall=flow.screen is Screen.WALL,
                            show_dowel=flow.screen is not Screen.DETECTED, frozen=frozen is not None,
                            miss_label=miss)
    if flow.screen is Screen.DETECTED:
        return base_view(ctx, key, "live", "WELCOME", scene=scene, checks=_checks(obs),
                         cue="Step onto the floor marker", lines=("Stand side-on to the camera",))
    if flow.screen is Screen.STANCE:
        return _stance(flow, obs, ctx, key, scene)
    return _drill(flow, obs, ctx, key, scene, frozen)


def _arrow(ctx: ViewContext) -> str | None:
    """The way the athlete should face, as drawn on screen (None: either way)."""
    if ctx.required_facing not in ("left", "right"):
        return None
    return ctx.required_facing


UNCLEAR_SHOW_S = 0.4  # a frame or two with holes is normal; say so only when it lasts
# (the big cue, the smaller lines under it)
_UNCLEAR_LINES = {
    UNCLEAR_SECOND: ("Only one person, please", "Others: stand back from the station"),
    UNCLEAR_BODY: ("Cannot see you clearly", "Stand fully on the marker;",
                   "dark clothes and sun can hide you"),
}


def unclear_lines(flow: FlowState, obs: Observation | None, ctx: ViewContext) -> tuple[str, ...] | None:
    """What to tell an athlete the camera cannot judge right now (None: nothing to tell)."""
    since = flow.unclear_since_s
    if obs is None or not obs.unclear or since is None or ctx.t_s - since < UNCLEAR_SHOW_S:
        return None
    return _UNCLEAR_LINES.get(obs.unclear)


def _stance(flow: FlowState, obs: Observation | None, ctx: ViewContext, key: str,
            scene: Scene | None) -> ViewModel:
    hint = flow.stance_hint
    progress: float | None = None
    unclear = unclear_lines(flow, obs, ctx)
    if unclear is not None:
        cue, lines = unclear[0], unclear[1:]
        key = f"{key}-unclear"  # its own screen state: a screenshot, a transition
    elif hint == "turn":
        cue, lines = "Turn around", ("Face the way the arrow points",)
    elif hint == "hold":
        cue, lines = "Hold still...", ()
        progress = ctx.stance_progress
    else:
        # The head the athlete stands with is the reference a rep judges the head against
        # (kiosk/core/head.py): a bow here reads as a raised head at the bottom.
        cue, lines = "Stand tall and still", ("Arms relaxed, chin level",)
    return base_view(ctx, key, "live", "GET SET", scene=scene, cue=cue, lines=lines, progress=progress,
                     checks=_checks(obs), arrow=_arrow(ctx) if hint == "turn" else None)


def _checks(obs: Observation | None) -> tuple[tuple[str, bool | None], ...]:
    """What the stance check waits for, item by item (None: cannot tell yet)."""
    if obs is None or not obs.drill.person:
        return (("On the floor marker", False), ("Facing the right way", None), ("Standing still", None))
    # Stillness is a wait, not a mistake: a check once the core has it, "..." until then.
    still = True if obs.drill.phase is Phase.READY else None
    return (("On the floor marker", obs.on_spot), ("Facing the right way", obs.facing_ok),
            ("Standing still", still if obs.on_spot else None))


def fault_measure(rep: RepResult, bottom: Observation | None, ctx: ViewContext) -> str:
    """The rep's main fault as a number or a plain fact: "Hips 6 cm short of the wall",
    "Lower back 5 cm off the dowel", "Knees bent to 64 degrees" ("" for a clean rep)."""
    fault = main_fault(rep.faults)
    if fault is None:
        return ""
    if fault == "wall_not_reached":
        return f"Hips {miss_text(rep.min_hip_to_wall_mm, ctx.units)} short of the wall"
    if fault == "back_rounded":
        gaps = bottom.drill.dowel_gaps if bottom is not None else None
        if gaps is None:
            return "Your back came off the dowel"
        # The back marker furthest over the limit (both share the back's limit).
        name, gap = max((("thoracic", gaps.thoracic_mm), ("sacrum", gaps.sacrum_mm)), key=lambda kv: kv[1])
        return f"{BODY_WORDS[name].capitalize()} {miss_text(gap, ctx.units)} off the dowel"
    if fault == "knees_bent":
        return f"Knees bent to {rep.max_knee_flexion_deg:.0f} degrees: bend at the hips"
    if fault == "head_not_neutral":
        return "Your head came out of line with your back"
    if fault == "weight_on_toes":
        return "Your weight went onto your toes"
    return FAULT_NAMES.get(fault, fault).capitalize()


def _verdict(flow: FlowState, ctx: ViewContext, bottom: Observation | None) -> VerdictView | None:
    if flow.verdict is None:
        return None
    rep = flow.verdict.rep
    cue = rep_cue(rep.faults)
    measure = fault_measure(rep, bottom, ctx)
    detail = ""
    if rep.drill == "wall":
        if rep.passed:
            detail = f"Wall moves back to {wall_text(rep.wall_distance_in + ctx.drill.step_in, ctx.units)}"
        elif _fails_at(flow.reps, rep.wall_distance_in) < ctx.drill.max_fails_per_distance:
            detail = f"One more try at {wall_text(rep.wall_distance_in, ctx.units)}"
        else:
            detail = "That is your limit for today"
    return VerdictView(passed=rep.passed, headline="PASS" if rep.passed else "FAIL", cue=cue, detail=detail,
                       measure=measure)


def _fails_at(reps: tuple[RepResult, ...], distance_in: float) -> int:
    n = 0
    for r in reversed(reps):
        if r.drill != "wall" or r.wall_distance_in != distance_in or r.passed:
            break
        n += 1
    return n


def _drill(flow: FlowState, obs: Observation | None, ctx: ViewContext, key: str,
           scene: Scene | None, bottom: Observation | None) -> ViewModel:
    dowel = flow.screen is Screen.DOWEL
    n_dowel = sum(1 for r in flow.reps if r.drill == "dowel")
    clean = sum(1 for r in flow.reps if r.passed)
    if dowel:
        rep_no = min(n_dowel + 1, ctx.drill.dowel_reps) if flow.verdict is None else n_dowel
        stats: tuple[tuple[str, str], ...] = (("Rep", f"{rep_no} of {ctx.drill.dowel_reps}"),
                                              ("Clean reps", str(clean)))
        cue = "Push your hips back"
        lines: tuple[str, ...] = ("Keep the dowel on your head,", "upper back and lower back")
    else:
        d = obs.drill if obs is not None else None
        wall_in = d.wall_distance_in if d is not None else 0.0
        h2w = d.hip_to_wall_mm if d is not None else None
        reading = ("TOUCH" if d is not None and d.touching_wall
                   else "-" if h2w is None else length_text(h2w / 1000.0, ctx.units))
        walls = [r for r in flow.reps if r.drill == "wall"]
        best = summary(walls)["hinge_depth_in"]
        stats = (("Wall at", wall_text(wall_in, ctx.units)), ("Hips to wall", reading),
                 ("Wall reps", f"{len(walls)}  ({sum(r.passed for r in walls)} clean)"),
                 ("Best so far", "-" if best is None else wall_text(best, ctx.units)))
        cue = "Hips back to the wall"
        lines = ("Knees soft, back flat",)
    unclear = unclear_lines(flow, obs, ctx)
    if unclear is not None and flow.verdict is None:
        cue, lines, key = unclear[0], unclear[1:], f"{key}-unclear"
    elif flow.verdict is None and (obs is None or not (obs.drill.person or obs.unclear)):
        # Nobody in view: the athlete stepped off (the session ends after step_away_s).
        cue, lines = "Step back onto the marker", ("or step away to finish",)
    verdict = _verdict(flow, ctx, bottom)
    if verdict is not None:
        cue = verdict.cue
    return base_view(ctx, key, "live", "DOWEL DRILL" if dowel else "WALL DRILL", scene=scene, cue=cue,
                     lines=lines, stats=stats, verdict=verdict)


NO_DEPTH = "not yet"  # the hinge depth when no wall was passed with good form


def _result(flow: FlowState, ctx: ViewContext, key: str) -> ViewModel:
    s = summary(flow.reps)
    depth = s["hinge_depth_in"]
    depth_text = wall_text(depth, ctx.units) if depth is not None else NO_DEPTH
    seen = fault_counts(flow.reps)
    # One fault a line (the renderer fits each to its box), every fault seen.
    faults = "\n".join(f"{FAULT_NAMES.get(f, f)} x{n}" for f, n in seen) if seen else "none"
    about = ("furthest wall reached with good form" if depth is not None
             else "no wall reached with good form yet")
    stats = (("Hinge depth", depth_text), ("Depth note", about), ("Next wall", _next_wall(flow.reps, ctx)),
             ("Reps", f"{s['reps']}  ({s['passed']} clean)"), ("Faults seen", faults), ("Saved", ctx.saved))
    return base_view(ctx, key, "result", "YOUR RESULT", stats=stats,
                     lines=(session_cue(flow.reps), "Step away to finish"))


def _next_wall(reps: tuple[RepResult, ...], ctx: ViewContext) -> str:
    """How close the last missed wall was: "12 in wall: hips 6 cm short" ("" when the last
    wall rep was not a miss of the wall)."""
    walls = [r for r in reps if r.drill == "wall"]
    if not walls or walls[-1].passed or "wall_not_reached" not in walls[-1].faults:
        return ""
    last = walls[-1].wall_distance_in
    closest = min(r.min_hip_to_wall_mm for r in walls if r.wall_distance_in == last and not r.passed)
    return f"{wall_text(last, ctx.units)} wall: hips {miss_text(closest, ctx.units)} short"
