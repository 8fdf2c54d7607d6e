"""View model: everything the screen shows, as plain values. Pure: built from the flow
state, the frame's observation and a small context; render.py only draws it.

Words are for a gym member on their own and a trainer 3 m away: short instructions, one
cue, pass/fail said in words (and drawn as a check mark or a cross), numbers with units.
Lengths are world metres inside, shown in the configured units (in or cm).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.app.cues import FAULT_NAMES, fault_counts, rep_cue, session_cue
from kiosk.app.flow import FlowState, Screen, screen_key
from kiosk.app.observe import UNCLEAR_BODY, UNCLEAR_SECOND, Observation
from kiosk.app.operator import MENU_ITEMS, Action, MenuMode, MenuState
from kiosk.app.scene import Scene, build_scene
from kiosk.core import RepResult, summary
from kiosk.core.drill import INCH_M
from kiosk.core.reps import Phase

_ACTION_LABELS = {
    Action.RECALIBRATE: "Recalibrate (clear the station first)",
    Action.RESET_SESSION: "Reset session",
    Action.QUIT: "Quit (stays off until restart)",
}


@dataclass(frozen=True)
class VerdictView:
    passed: bool
    headline: str  # "PASS" / "FAIL"
    cue: str
    detail: str


@dataclass(frozen=True)
class MenuView:
    title: str
    lines: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class ViewContext:
    """What the view needs besides the flow: clock, units, corner status, operator menu,
    station geometry and the profile's limits."""

    t_s: float = 0.0
    units: str = "in"
    status: tuple[str, ...] = ()
    notice: str = ""  # one line along the bottom: check-in echo/feedback, who is next, storage faults
    notice_alert: bool = False  # the notice reports a problem (drawn in red)
    saved: str = ""  # the result screen's line on whether the result is on disk ("" = not kept)
    menu: MenuState = field(default_factory=MenuState)
    sound: str = "sound on"
    station_x_m: float = 0.0
    mirror: bool = False
    gap_limit_head_mm: float = 40.0
    gap_limit_back_mm: float = 40.0
    wall_tolerance_mm: float = 25.0
    dowel_reps: int = 3
    step_in: float = 2.0
    max_fails: int = 2
    required_facing: str = "auto"  # image direction the athlete must face
    stance_progress: float | None = None  # 0-1 while the athlete holds still on the spot


@dataclass(frozen=True, eq=False)
class ViewModel:
    """kind picks the layout: "attract" | "live" | "result" | "status"."""

    key: str
    kind: str
    title: str
    lines: tuple[str, ...] = ()
    scene: Scene | None = None
    verdict: VerdictView | None = None
    stats: tuple[tuple[str, str], ...] = ()
    progress: float | None = None
    status: tuple[str, ...] = ()
    menu: MenuView | None = None
    checks: tuple[tuple[str, bool | None], ...] = ()  # arrival checklist: (item, ok; None = not yet)
    alert: bool = False  # status screens: a problem (red) rather than information
    arrow: str | None = None  # "left"/"right": the way to face, on screen
    notice: str = ""  # one line along the bottom (ViewContext.notice)
    notice_alert: bool = False  # the notice reports a problem (drawn in red)
    t_s: float = 0.0


def length_text(m: float, units: str, digits: int = 1) -> str:
    """A length in the display units, e.g. "2.5 in" or "6.4 cm"."""
    if units == "cm":
        return f"{m * 100:.{digits}f} cm"
    return f"{m / INCH_M:.{digits}f} in"


def wall_text(distance_in: float, units: str) -> str:
    return length_text(distance_in * INCH_M, units, 0)


def menu_view(menu: MenuState, units: str, sound: str) -> MenuView | None:
    if menu.mode is MenuMode.CLOSED:
        return None
    if menu.mode is MenuMode.PIN:
        dots = "* " * len(menu.digits) if menu.digits else "_"
        return MenuView("Operator: enter PIN, then Enter", (dots.strip(),), menu.message)
    labels = dict(_ACTION_LABELS)
    labels[Action.TOGGLE_UNITS] = f"Units: {units} (switch to {'in' if units == 'cm' else 'cm'})"
    labels[Action.TOGGLE_MUTE] = f"Sound: {sound.removeprefix('sound ')} (mute/unmute)"
    lines = (*(f"{key}   {labels[action]}" for key, action in MENU_ITEMS), "Esc  Close")
    return MenuView("Operator menu", lines, menu.message)


def _base(ctx: ViewContext, key: str, kind: str, title: str, **kw: object) -> ViewModel:
    """A view with the status corner and, when open, the operator menu (key "<key>-menu")."""
    menu = menu_view(ctx.menu, ctx.units, ctx.sound)
    return ViewModel(key=f"{key}-menu" if menu is not None else key, kind=kind, title=title,
                     status=(*ctx.status, ctx.sound), menu=menu, t_s=ctx.t_s, notice=ctx.notice,
                     notice_alert=ctx.notice_alert, **kw)  # type: ignore[arg-type]


def status_view(ctx: ViewContext, key: str, title: str, lines: tuple[str, ...],
                alert: bool = True) -> ViewModel:
    """A full-screen message: no camera, config error, calibrating, something went wrong."""
    return _base(ctx, f"status-{key}", "status", title, lines=lines, alert=alert)


def build_view(flow: FlowState, obs: Observation | None, ctx: ViewContext) -> ViewModel:
    key = screen_key(flow)
    if flow.screen is Screen.ATTRACT:
        return _base(ctx, key, "attract", "HIP HINGE CHECK", lines=(
            "Step onto the floor marker",
            "Stand side-on to the camera",
            "Takes about 2 minutes",
        ), arrow=_arrow(ctx))
    if flow.screen is Screen.RESULT:
        return _result(flow, ctx, key)
    scene = None
    if obs is not None:
        scene = build_scene(obs, ctx.station_x_m, ctx.mirror, ctx.gap_limit_head_mm, ctx.gap_limit_back_mm,
                            ctx.wall_tolerance_mm, show_wall=flow.screen is Screen.WALL,
                            show_dowel=flow.screen is not Screen.DETECTED)
    if flow.screen is Screen.DETECTED:
        return _base(ctx, key, "live", "WELCOME", scene=scene, checks=_checks(obs),
                     lines=("Step onto the floor marker", "side-on to the camera"))
    if flow.screen is Screen.STANCE:
        return _stance(flow, obs, ctx, key, scene)
    return _drill(flow, obs, ctx, key, scene)


def _arrow(ctx: ViewContext) -> str | None:
    """The way the athlete should face, as drawn on screen (None: either way)."""
    if ctx.required_facing not in ("left", "right"):
        return None
    return ctx.required_facing


UNCLEAR_SHOW_S = 0.4  # a frame or two with holes is normal; say so only when it lasts
_UNCLEAR_LINES = {
    UNCLEAR_SECOND: ("Only one person in the", "station, please: others", "stand back"),
    UNCLEAR_BODY: ("Cannot see you clearly:", "stand fully on the marker;",
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
        lines: tuple[str, ...] = unclear
        key = f"{key}-unclear"  # its own screen state: a screenshot, a transition
    elif hint == "turn":
        lines = ("Turn around: face the way", "the arrow points")
    elif hint == "hold":
        lines = ("Hold still...",)
        progress = ctx.stance_progress
    else:
        lines = ("Stand tall and still,", "arms relaxed")
    return _base(ctx, key, "live", "GET SET", scene=scene, lines=lines, progress=progress,
                 checks=_checks(obs), arrow=_arrow(ctx) if hint == "turn" else None)


def _checks(obs: Observation | None) -> tuple[tuple[str, bool | None], ...]:
    """What the stance check waits for, item by item (None: cannot tell yet)."""
    if obs is None or not obs.drill.person:
        return (("On the floor marker", False), ("Facing the right way", None), ("Standing still", None))
    # Stillness is a wait, not a mistake: a check once the core has it, "..." until then.
    still = True if obs.drill.phase is Phase.READY else None
    return (("On the floor marker", obs.on_spot), ("Facing the right way", obs.facing_ok),
            ("Standing still", still if obs.on_spot else None))


def _verdict(flow: FlowState, ctx: ViewContext) -> VerdictView | None:
    if flow.verdict is None:
        return None
    rep = flow.verdict.rep
    cue = rep_cue(rep.faults)
    detail = ""
    if rep.drill == "wall":
        if rep.passed:
            detail = f"Wall moves back to {wall_text(rep.wall_distance_in + ctx.step_in, ctx.units)}"
        elif _fails_at(flow.reps, rep.wall_distance_in) < ctx.max_fails:
            detail = f"One more try at {wall_text(rep.wall_distance_in, ctx.units)}"
        else:
            detail = "That is your limit for today"
    return VerdictView(passed=rep.passed, headline="PASS" if rep.passed else "FAIL", cue=cue, detail=detail)


def _fails_at(reps: tuple[RepResult, ...], distance_in: float) -> int:
    n = 0
    for r in reversed(reps):
        if r.drill != "wall" or r.wall_distance_in != distance_in or r.passed:
            break
        n += 1
    return n


def _drill(flow: FlowState, obs: Observation | None, ctx: ViewContext, key: str,
           scene: Scene | None) -> ViewModel:
    dowel = flow.screen is Screen.DOWEL
    n_dowel = sum(1 for r in flow.reps if r.drill == "dowel")
    clean = sum(1 for r in flow.reps if r.passed)
    if dowel:
        rep_no = min(n_dowel + 1, ctx.dowel_reps) if flow.verdict is None else n_dowel
        stats: tuple[tuple[str, str], ...] = (("Rep", f"{rep_no} of {ctx.dowel_reps}"),
                                              ("Clean reps", str(clean)))
        lines: tuple[str, ...] = ("Push your hips back,", "keep the dowel touching",
                                  "head, upper back, sacrum")
    else:
        d = obs.drill if obs is not None else None
        wall_in = d.wall_distance_in if d is not None else 0.0
        h2w = d.hip_to_wall_mm if d is not None else None
        touching = h2w is not None and h2w <= ctx.wall_tolerance_mm
        reading = "TOUCH" if touching else ("-" if h2w is None else length_text(h2w / 1000.0, ctx.units))
        walls = [r for r in flow.reps if r.drill == "wall"]
        best = summary(walls)["hinge_depth_in"]
        stats = (("Wall at", wall_text(wall_in, ctx.units)), ("Hips to wall", reading),
                 ("Wall reps", f"{len(walls)}  ({sum(r.passed for r in walls)} clean)"),
                 ("Best so far", "-" if best is None else wall_text(best, ctx.units)))
        lines = ("Hinge back until your", "hips touch the wall", "knees soft, back flat")
    unclear = unclear_lines(flow, obs, ctx)
    if unclear is not None and flow.verdict is None:
        lines, key = unclear, f"{key}-unclear"
    return _base(ctx, key, "live", "DOWEL DRILL" if dowel else "WALL DRILL", scene=scene, lines=lines,
                 stats=stats, verdict=_verdict(flow, ctx))


def _result(flow: FlowState, ctx: ViewContext, key: str) -> ViewModel:
    s = summary(flow.reps)
    depth = s["hinge_depth_in"]
    depth_text = wall_text(depth, ctx.units) if depth is not None else "not reached"
    seen = fault_counts(flow.reps)
    faults = ", ".join(f"{FAULT_NAMES.get(f, f)} x{n}" for f, n in seen[:3]) if seen else "none"
    stats = (("Hinge depth", depth_text), ("Reps", f"{s['reps']}  ({s['passed']} clean)"),
             ("Faults seen", faults), ("Saved", ctx.saved))
    return _base(ctx, key, "result", "YOUR RESULT", stats=stats,
                 lines=(session_cue(flow.reps), "Step away to finish"))
