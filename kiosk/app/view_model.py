"""The view model's plain values and what every screen shares (view.py builds the screens
from the flow; render.py only draws these): `ViewModel` with its verdict and operator menu
(`VerdictView`, `MenuView`), `ViewContext` (what a view is built from besides the flow:
clock, units, status corner, operator menu, station geometry, the profile's limits), and
the frame around any screen: the status corner, the operator menu behind its PIN, and the
full-screen status (no camera, config error, calibrating, something went wrong).

Pure, like view.py: no pyrealsense2, no Open3D. Lengths are world metres, times seconds
on the loop's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.app.operator import MENU_ITEMS, Action, MenuMode, MenuState
from kiosk.app.scene import Scene
from kiosk.core.thresholds import DrillConfig, FaultConfig

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
    detail: str  # what happens next ("One more try at 12 in")
    measure: str = ""  # the miss as a number ("Hips 6 cm short of the wall"), "" for none


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
    faults: FaultConfig = field(default_factory=FaultConfig)  # the profile's, as judged
    drill: DrillConfig = field(default_factory=DrillConfig)
    required_facing: str = "auto"  # image direction the athlete must face
    stance_progress: float | None = None  # 0-1 while the athlete holds still on the spot
    operator_lines: tuple[str, ...] = ()  # staff-only lines shown in the operator menu (after the PIN)


@dataclass(frozen=True, eq=False)
class ViewModel:
    """kind picks the layout: "attract" | "live" | "result" | "status"."""

    key: str
    kind: str
    title: str
    lines: tuple[str, ...] = ()
    cue: str = ""  # live screens: the one instruction, drawn large (readable from 3 m)
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


def menu_view(menu: MenuState, units: str, sound: str, extra: tuple[str, ...] = ()) -> MenuView | None:
    """The operator menu; `extra`: staff-only lines (e.g. no camera: why, and S for the
    simulated athlete) shown only once the PIN is in."""
    if menu.mode is MenuMode.CLOSED:
        return None
    if menu.mode is MenuMode.PIN:
        dots = "* " * len(menu.digits) if menu.digits else "_"
        return MenuView("Operator: enter PIN, then Enter", (dots.strip(),), menu.message)
    labels = dict(_ACTION_LABELS)
    labels[Action.TOGGLE_UNITS] = f"Units: {units} (switch to {'in' if units == 'cm' else 'cm'})"
    labels[Action.TOGGLE_MUTE] = f"Sound: {sound.removeprefix('sound ')} (mute/unmute)"
    lines = (*(f"{key}   {labels[action]}" for key, action in MENU_ITEMS), *extra, "Esc  Close")
    return MenuView("Operator menu", lines, menu.message)


def base_view(ctx: ViewContext, key: str, kind: str, title: str, **kw: object) -> ViewModel:
    """A view with the status corner and, when open, the operator menu (key "<key>-menu")."""
    menu = menu_view(ctx.menu, ctx.units, ctx.sound, ctx.operator_lines)
    return ViewModel(key=f"{key}-menu" if menu is not None else key, kind=kind, title=title,
                     status=(*ctx.status, ctx.sound), menu=menu, t_s=ctx.t_s, notice=ctx.notice,
                     notice_alert=ctx.notice_alert, **kw)  # type: ignore[arg-type]


def status_view(ctx: ViewContext, key: str, title: str, lines: tuple[str, ...],
                alert: bool = True) -> ViewModel:
    """A full-screen message: no camera, config error, calibrating, something went wrong."""
    return base_view(ctx, f"status-{key}", "status", title, lines=lines, alert=alert)
