"""The kiosk's screen flow for one athlete at a time: a pure state machine.

    attract -> detected -> stance -> dowel -> wall -> result -> attract

`flow_step(state, tick, params)` -> (state, events). A `FlowTick` is one frame's facts
(presence, on the floor spot, facing, the drill's phase/stage, a completed rep); times are
the loop clock's seconds. Events ask the loop for side effects (a fresh analyzer, a drill
reset, a sound); the flow itself does no I/O and knows no pygame.

- attract: nobody at the station. Someone present for `detect_s` -> detected (NEW_SESSION:
  the loop starts a fresh FrameAnalyzer, calibration kept).
- detected: walking in. Feet on the station spot -> stance.
- stance: on the spot, facing the calibrated way, and standing still: the core's READY
  phase (its own 0.5 s still window) held for `stance_hold_s`, ~1 s of stillness in all
  -> the first drill (START_DRILL: the loop resets the drill, so nothing done while walking
  in or adjusting counts as a rep).
- dowel / wall: completed reps show a verdict for `verdict_s`; the screen follows the
  drill's stage once the verdict is gone. The drill's "done" (two failed attempts at one
  wall distance) or the athlete away (gone or off the spot) for `step_away_s` -> result.
- result: hinge depth, faults, one cue. The station empty for `result_empty_s` (and the
  result shown `result_min_s`) -> attract; someone still there after `result_max_s` -> a
  new session (the next athlete stepped in, or the same one goes again).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict, Field

from kiosk.core.drill import RepResult, Stage
from kiosk.core.reps import Phase


class Screen(enum.Enum):
    ATTRACT = "attract"
    DETECTED = "detected"
    STANCE = "stance"
    DOWEL = "dowel"
    WALL = "wall"
    RESULT = "result"


DRILL_SCREENS = (Screen.DOWEL, Screen.WALL)


class Event(enum.Enum):
    NEW_SESSION = "new_session"  # loop: fresh analyzer for a new athlete
    START_DRILL = "start_drill"  # loop: reset the drill; start cue
    WALL_CONTACT = "wall_contact"
    REP_PASSED = "rep_passed"
    REP_FAILED = "rep_failed"
    SESSION_END = "session_end"


class FlowConfig(BaseModel):
    """Flow timings, seconds (the `[flow]` table of kiosk.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detect_s: float = Field(default=0.3, ge=0.0, le=5.0)
    lost_s: float = Field(default=1.5, ge=0.2, le=10.0)
    stance_hold_s: float = Field(default=0.5, ge=0.0, le=5.0)
    off_spot_s: float = Field(default=0.7, ge=0.0, le=5.0)
    verdict_s: float = Field(default=2.5, ge=0.5, le=10.0)
    step_away_s: float = Field(default=2.0, ge=0.5, le=30.0)
    result_empty_s: float = Field(default=3.0, ge=0.5, le=60.0)
    result_min_s: float = Field(default=4.0, ge=0.0, le=60.0)
    result_max_s: float = Field(default=20.0, ge=5.0, le=600.0)


@dataclass(frozen=True)
class FlowParams:
    """What the flow needs from outside the flow config: the drill's first stage."""

    cfg: FlowConfig = field(default_factory=FlowConfig)
    first_stage: Stage = "dowel"

    @staticmethod
    def for_drill(cfg: FlowConfig, dowel_reps: int) -> FlowParams:
        """The flow for a drill of `dowel_reps` dowel reps (0: it starts at the wall)."""
        return FlowParams(cfg=cfg, first_stage="dowel" if dowel_reps > 0 else "wall")


@dataclass(frozen=True)
class FlowTick:
    """One frame's facts. on_spot: feet in the calibrated station box. facing_ok: None while
    the facing cannot be told yet. touching_wall: the hips touch the wall (the core's
    DrillFrame.touching_wall; only in the wall drill)."""

    t_s: float
    person: bool
    on_spot: bool = False
    facing_ok: bool | None = None
    phase: Phase = Phase.ABSENT
    stage: Stage = "dowel"
    touching_wall: bool = False
    completed: RepResult | None = None
    unclear: bool = False  # someone is there but cannot be measured (or a second person)


@dataclass(frozen=True)
class Verdict:
    rep: RepResult
    until_s: float


@dataclass(frozen=True)
class FlowState:
    """`*_since_s`: when a condition became true (None: it is false now)."""

    screen: Screen = Screen.ATTRACT
    since_s: float = 0.0
    present_since_s: float | None = None
    gone_since_s: float | None = None
    away_since_s: float | None = None
    ok_since_s: float | None = None
    stance_hint: str = ""  # "turn" | "checking" | "still" | "hold" | ""
    reps: tuple[RepResult, ...] = ()
    verdict: Verdict | None = None
    touched: bool = False  # the hips reached the wall during this rep
    hinging: bool = False  # a rep is in progress (the core's HINGE phase)
    unclear_since_s: float | None = None  # the athlete present but not measurable since
    ended_by: str = ""  # "done" | "away"


def _since(prev: float | None, cond: bool, t_s: float) -> float | None:
    if not cond:
        return None
    return t_s if prev is None else prev


def _held(since: float | None, t_s: float, need_s: float) -> bool:
    return since is not None and t_s - since >= need_s


def _go(s: FlowState, screen: Screen, t_s: float) -> FlowState:
    return replace(s, screen=screen, since_s=t_s, ok_since_s=None, stance_hint="", hinging=False)


def flow_step(s: FlowState, k: FlowTick, p: FlowParams) -> tuple[FlowState, tuple[Event, ...]]:
    """Advance the flow by one frame."""
    t = k.t_s
    s = replace(
        s,
        present_since_s=_since(s.present_since_s, k.person, t),
        gone_since_s=_since(s.gone_since_s, not k.person, t),
        away_since_s=_since(s.away_since_s, not (k.person and k.on_spot), t),
        unclear_since_s=_since(s.unclear_since_s, k.person and k.unclear, t),
    )
    if s.verdict is not None and t >= s.verdict.until_s:
        s = replace(s, verdict=None)
    if s.screen is Screen.ATTRACT:
        return _attract(s, k, p)
    if s.screen in (Screen.DETECTED, Screen.STANCE):
        return _arrive(s, k, p)
    if s.screen in DRILL_SCREENS:
        return _drill(s, k, p)
    return _result(s, k, p)


def _new_session(s: FlowState, t_s: float) -> tuple[FlowState, tuple[Event, ...]]:
    s = replace(s, reps=(), verdict=None, touched=False, ended_by="")
    return _go(s, Screen.DETECTED, t_s), (Event.NEW_SESSION,)


def _attract(s: FlowState, k: FlowTick, p: FlowParams) -> tuple[FlowState, tuple[Event, ...]]:
    if _held(s.present_since_s, k.t_s, p.cfg.detect_s):
        return _new_session(s, k.t_s)
    return s, ()


def _arrive(s: FlowState, k: FlowTick, p: FlowParams) -> tuple[FlowState, tuple[Event, ...]]:
    """detected and stance: walking in, then standing on the spot."""
    t, cfg = k.t_s, p.cfg
    if _held(s.gone_since_s, t, cfg.lost_s):
        return _go(s, Screen.ATTRACT, t), ()
    if s.screen is Screen.DETECTED:
        return (_go(s, Screen.STANCE, t), ()) if k.person and k.on_spot else (s, ())
    if _held(s.away_since_s, t, cfg.off_spot_s) and k.person:
        return _go(s, Screen.DETECTED, t), ()
    if not (k.person and k.on_spot):
        return replace(s, ok_since_s=None), ()
    if k.facing_ok is False:
        hint = "turn"
    elif k.facing_ok is None:
        hint = "checking"
    elif k.phase is not Phase.READY:
        hint = "still"
    else:
        hint = "hold"
    ok_since = _since(s.ok_since_s, hint == "hold", t)
    s = replace(s, ok_since_s=ok_since, stance_hint=hint)
    if _held(ok_since, t, cfg.stance_hold_s):
        first = Screen.WALL if p.first_stage == "wall" else Screen.DOWEL
        return replace(_go(s, first, t), reps=(), touched=False), (Event.START_DRILL,)
    return s, ()


def _drill(s: FlowState, k: FlowTick, p: FlowParams) -> tuple[FlowState, tuple[Event, ...]]:
    t, cfg = k.t_s, p.cfg
    events: list[Event] = []
    s = replace(s, hinging=k.phase is Phase.HINGE)
    if k.completed is not None:
        rep = k.completed
        s = replace(s, reps=(*s.reps, rep), verdict=Verdict(rep, t + cfg.verdict_s))
        events.append(Event.REP_PASSED if rep.passed else Event.REP_FAILED)
    if k.stage == "wall" or s.screen is Screen.WALL:
        if k.phase is Phase.HINGE:
            if k.touching_wall and not s.touched:
                s = replace(s, touched=True)
                events.append(Event.WALL_CONTACT)
        elif s.touched and k.completed is None:
            s = replace(s, touched=False)
    if _held(s.away_since_s, t, cfg.step_away_s):
        s = replace(s, verdict=None, ended_by="away")
        if not s.reps:
            return _go(s, Screen.ATTRACT, t), (*events, Event.SESSION_END)
        return _go(s, Screen.RESULT, t), (*events, Event.SESSION_END)
    if s.verdict is None:
        if k.stage == "done":
            return _go(replace(s, ended_by="done"), Screen.RESULT, t), (*events, Event.SESSION_END)
        if k.stage == "wall" and s.screen is Screen.DOWEL:
            s = _go(s, Screen.WALL, t)
    return s, tuple(events)


def _result(s: FlowState, k: FlowTick, p: FlowParams) -> tuple[FlowState, tuple[Event, ...]]:
    t, cfg = k.t_s, p.cfg
    shown_s = t - s.since_s
    if _held(s.gone_since_s, t, cfg.result_empty_s) and shown_s >= cfg.result_min_s:
        return _go(s, Screen.ATTRACT, t), ()
    if shown_s >= cfg.result_max_s and k.person and k.on_spot:
        return _new_session(s, t)
    return s, ()


def screen_key(s: FlowState) -> str:
    """A name for what is on screen: the screen, plus "-pass"/"-fail" while a verdict shows
    or "-hinge" while a rep is in progress."""
    if s.screen not in DRILL_SCREENS:
        return s.screen.value
    if s.verdict is not None:
        return f"{s.screen.value}-{'pass' if s.verdict.rep.passed else 'fail'}"
    return f"{s.screen.value}-hinge" if s.hinging else s.screen.value
