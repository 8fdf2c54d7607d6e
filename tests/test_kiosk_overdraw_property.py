"""Randomized: one long-lived renderer, driven through long random runs of live screens (the
body and its markers moving, the dowel, the frozen bottom of a rep with its miss bracket and
labels, the wall touched or not, mirrored or not, the verdict, the notice bar, the checklist,
the bar and the arrow in the column) with now and then an attract, result, status or menu
screen in between, shows after every frame exactly what a renderer drawing that frame from
scratch shows: pixel for pixel and placement for placement.

What this guards is the Overdraw (surface_cache.py, render.py `_overdrawn`): a live frame
over the kept layer of the frame before blits back only the rectangles that frame drew over;
a rectangle left out leaves stale pixels on screen until the whole layer is put back (once a
second). The clock is the test's: 1/30 s a frame (the kiosk's pace), and 1 ms a frame, where
the whole layer is never put back within a run and a stale pixel stays to be seen.

The reference is a second renderer (its canvas off screen, in the canvas's format) drawing
with nothing kept (test_kiosk_draw_cache.fresh): drawing it on the long-lived renderer itself
would record the fresh surface in that renderer's Overdraw and make its next frame a whole
restore, hiding the very bug looked for."""

from __future__ import annotations

import dataclasses
import functools
import random
from collections.abc import Callable, Iterator
from unittest.mock import patch

import numpy as np
import pygame
import pytest
from test_kiosk_draw_cache import fresh
from test_kiosk_flow import rep
from test_kiosk_screens import LONG_NAME, LONG_STATUS, body_points, ctx, every_view, worst_scene

from kiosk.app.flow import FlowState, Screen
from kiosk.app.operator import MenuMode, MenuState
from kiosk.app.render import SIZE, Placed, PygameRenderer
from kiosk.app.scene import Marker, Scene
from kiosk.app.surface_cache import content_key
from kiosk.app.view import MenuView, VerdictView, ViewModel, build_view, status_view

FRAMES = 300  # per seed and clock
SEEDS = (1, 2, 3)
HINGED, UPRIGHT = body_points(True), body_points(False)

# Live screens as build_view makes them (their key picks the steps strip's lit step).
FLOWS = {
    "detected": FlowState(screen=Screen.DETECTED),
    "stance": FlowState(screen=Screen.STANCE, stance_hint="hold"),
    "dowel": FlowState(screen=Screen.DOWEL, hinging=True),
    "wall": FlowState(screen=Screen.WALL, hinging=True, reps=(rep(0, "wall"),)),
}
CUES = ("Push your hips back", "Hips back to the wall", "Hold still...", "")  # "": the title instead
NOTICES = ("Checked in: Sam", "Next up: Alexandra, then 3 more", f"Checked in: {LONG_NAME}")
STATUS = ((), ("camera: ok", "calibrated"), LONG_STATUS)  # the corner (and "sound off" after it)
MISS_LABELS = ("6 cm short", "2.5 in short", "under 1/2 in short", "123 cm short")
LINES = ((), ("Knees soft, back flat",), ("Keep the dowel on your head,", "upper back and lower back"),
         (LONG_NAME,))
CHECK_ITEMS = ("On the floor marker", "Facing the right way", "Standing still")
VERDICTS = (
    VerdictView(passed=False, headline="FAIL", cue="Push your hips back", detail="One more try at 12 in",
                measure="Hips 6 cm short of the wall"),
    VerdictView(passed=True, headline="PASS", cue="Nice hinge", detail="Wall moves back to 14 in"),
    VerdictView(passed=False, headline="FAIL", cue="Hips back to the wall", detail="",
                measure="Lower back 5 cm off the dowel"),
)


@dataclasses.dataclass
class Live:
    """What a random live frame is made of; `view()` builds its ViewModel."""

    screen: str = "wall"
    cue: str = CUES[0]
    scene: bool = True
    hinged: bool = True
    body_dx: float = 0.0
    body_dy: float = 0.0
    body_part: float = 1.0  # the share of the body's points kept (0: no body)
    markers: tuple[Marker, ...] = ()
    dowel: tuple[tuple[float, float], tuple[float, float]] | None = None
    wall_x_m: float | None = -0.6
    wall_touch: bool = False
    on_spot: bool = False
    mirror: bool = False
    frozen: bool = False
    miss: tuple[tuple[float, float], str] | None = None
    verdict: VerdictView | None = None
    notice: str = ""
    notice_alert: bool = False
    checks: tuple[tuple[str, bool | None], ...] = ()
    progress: float | None = None
    arrow: str | None = None
    stats: tuple[tuple[str, str], ...] = ()
    lines: tuple[str, ...] = ()
    status: tuple[str, ...] = STATUS[0]
    station_x_m: float = 0.0
    t_s: float = 100.0

    def view(self) -> ViewModel:
        c = ctx(notice=self.notice, notice_alert=self.notice_alert, status=self.status)
        vm = build_view(FLOWS[self.screen], None, c)
        scene: Scene | None = None
        if self.scene:
            body = HINGED if self.hinged else UPRIGHT
            step = np.array([self.body_dx, self.body_dy], np.float32)
            body = body[: round(len(body) * self.body_part)] + step
            x = self.station_x_m
            scene = dataclasses.replace(
                worst_scene(self.frozen, self.mirror), body_xy_m=body.astype(np.float32),
                markers=self.markers, dowel=self.dowel, wall_x_m=self.wall_x_m, wall_touch=self.wall_touch,
                on_spot=self.on_spot, miss=self.miss, x_min_m=x - 1.3, x_max_m=x + 1.3,
                spot_x_m=(x - 0.2, x + 0.2))
        return dataclasses.replace(
            vm, cue=self.cue, scene=scene, verdict=self.verdict, checks=self.checks, progress=self.progress,
            arrow=self.arrow, stats=self.stats, lines=self.lines, t_s=self.t_s)


def point(rng: random.Random, wide: bool) -> tuple[float, float]:
    """Somewhere on the body (or, `wide`, anywhere about the view window, edges included)."""
    if wide:  # past the view window: into the cue band, the column, the notice bar, off the canvas
        return rng.uniform(-2.0, 2.0), rng.uniform(-0.4, 3.0)
    return rng.uniform(-0.5, 0.7), rng.uniform(0.6, 1.6)


def markers(rng: random.Random) -> tuple[Marker, ...]:
    wide = rng.random() < 0.2
    names = rng.sample(("head", "thoracic", "sacrum"), rng.randint(0, 3))
    return tuple(Marker(n, point(rng, wide), rng.uniform(0, 90), rng.random() < 0.5) for n in names)


def mutate(rng: random.Random, s: Live) -> Live:
    """The frame after `s`: mostly what moves over a kept layer (the body, markers, dowel,
    the miss, the column, the notice), now and then what the layer is drawn from (the cue,
    the wall, the mirror, the spot, the screen)."""
    c: dict[str, object] = {"t_s": s.t_s + 1 / 30}
    moves: dict[str, Callable[[], dict[str, object]]] = {
        "body": lambda: {  # a step (a jump now and then, off the window's edges too)
            "body_dx": rng.uniform(-1.2, 1.2) if rng.random() < 0.2 else s.body_dx + rng.gauss(0, 0.03),
            "body_dy": rng.uniform(-0.4, 0.8) if rng.random() < 0.1 else s.body_dy + rng.gauss(0, 0.01)},
        "posture": lambda: {"hinged": not s.hinged},
        "part": lambda: {"body_part": rng.choice((0.0, 0.05, 0.3, 0.7, 1.0))},
        "markers": lambda: {"markers": markers(rng)},
        "marker ok": lambda: {"markers": tuple(
            dataclasses.replace(m, ok=not m.ok) if rng.random() < 0.5 else m for m in s.markers)},
        "dowel": lambda: {"dowel": None if rng.random() < 0.25 else (
            point(rng, rng.random() < 0.2), point(rng, rng.random() < 0.2))},
        "frozen": lambda: {"frozen": not s.frozen},
        "miss": lambda: {"miss": None if rng.random() < 0.3 else (
            point(rng, rng.random() < 0.2), rng.choice(MISS_LABELS))},
        "verdict": lambda: {"verdict": None if s.verdict is not None else rng.choice(VERDICTS)},
        "notice": lambda: {"notice": "" if s.notice and rng.random() < 0.5 else rng.choice(NOTICES),
                           "notice_alert": rng.random() < 0.4},
        "checks": lambda: {"checks": tuple((item, rng.choice((True, False, None)))
                                           for item in CHECK_ITEMS[: rng.randint(0, 3)])},
        "progress": lambda: {"progress": None if rng.random() < 0.3 else rng.uniform(0, 1.2)},
        "arrow": lambda: {"arrow": rng.choice((None, "left", "right"))},
        "stats": lambda: {"stats": () if rng.random() < 0.2 else (
            ("Wall at", "12 in"),
            ("Hips to wall", rng.choice(("TOUCH", "-", f"{rng.uniform(0, 30):.1f} in"))),
            ("Wall reps", f"{rng.randint(0, 9)}  ({rng.randint(0, 9)} clean)"))[: rng.randint(1, 3)]},
        "lines": lambda: {"lines": rng.choice(LINES)},
        "status": lambda: {"status": rng.choice(STATUS)},
        "nothing": lambda: {},
    }
    layer: dict[str, Callable[[], dict[str, object]]] = {
        "cue": lambda: {"cue": rng.choice(CUES)},
        "wall": lambda: {"wall_x_m": rng.choice((None, -0.6, -0.45, 0.9))},
        "touch": lambda: {"wall_touch": not s.wall_touch},
        "spot": lambda: {"on_spot": not s.on_spot},
        "mirror": lambda: {"mirror": not s.mirror},
        "scene": lambda: {"scene": not s.scene},
        "screen": lambda: {"screen": rng.choice(tuple(FLOWS))},
        "station": lambda: {"station_x_m": rng.choice((0.0, 0.0, 0.25))},
    }
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        pick = moves if rng.random() < 0.95 else layer
        c.update(pick[rng.choice(tuple(pick))]())
    return dataclasses.replace(s, **c)  # type: ignore[arg-type]


def interlude(rng: random.Random, vm: ViewModel) -> ViewModel:
    """A screen other than a live one over the kept layer: attract, result, status, the
    operator menu drawn over this very live frame, or another screen (a live one among them)."""
    kind = rng.choice(("attract", "result", "status", "menu", "other"))
    if kind == "attract":
        return build_view(FlowState(), None, ctx(required_facing=rng.choice(("auto", "left", "right"))))
    if kind == "result":
        reps = (rep(0, "wall"), rep(1, "wall", ("knees_bent",)))
        return build_view(FlowState(screen=Screen.RESULT, reps=reps), None, ctx())
    if kind == "status":
        return status_view(ctx(), "x", "No camera", ("Plug the camera in",), alert=rng.random() < 0.5)
    if kind == "menu":
        return dataclasses.replace(vm, menu=MenuView("Operator menu", ("1   Units", "Esc  Close"), ""))
    pin = ctx(menu=MenuState(mode=MenuMode.PIN, digits="12"))
    return rng.choice([*other_screens(), build_view(FlowState(), None, pin)])


@functools.cache
def other_screens() -> tuple[ViewModel, ...]:
    """Every seventh of test_kiosk_screens' screens (each kind, menus, notices, the longest words)."""
    return tuple(vm for _, vm in list(every_view())[::7])


def frames(seed: int, n: int) -> Iterator[ViewModel]:
    """About n frames: a random live run, with a few frames of another screen now and then."""
    rng = random.Random(seed)
    s = Live(markers=markers(rng), dowel=((-0.2, 1.2), (0.7, 1.25)))
    for _ in range(n):
        if rng.random() < 0.04:  # a few frames of another screen, then back
            vm = s.view()
            for _ in range(rng.randint(1, 3)):
                yield interlude(rng, vm)
        else:
            s = mutate(rng, s)
            yield s.view()


def changed(a: ViewModel | None, b: ViewModel) -> list[str]:
    """The fields of b (the scene's by name) that differ from a's."""
    if a is None:
        return ["(first frame)"]
    out = []
    for f in dataclasses.fields(ViewModel):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if content_key(va) == content_key(vb):
            continue
        if isinstance(va, Scene) and isinstance(vb, Scene):
            out += [f"scene.{g.name}" for g in dataclasses.fields(Scene)
                    if content_key(getattr(va, g.name)) != content_key(getattr(vb, g.name))]
        else:
            out.append(f.name)
    return out


def differing_box(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the pixels that differ (arrays are [x, y, rgb])."""
    xs, ys = np.nonzero(np.any(a != b, axis=2))
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


@pytest.fixture(scope="module")
def renderers() -> Iterator[tuple[PygameRenderer, PygameRenderer]]:
    """The long-lived renderer on the display, and the reference: a renderer whose canvas is
    a surface off screen in the display's format."""
    main = PygameRenderer(windowed=True)
    with patch("pygame.display.set_mode", lambda *a, **k: pygame.Surface(SIZE, 0, main.canvas)):
        ref = PygameRenderer(windowed=True)
    assert ref.canvas is not main.canvas
    yield main, ref
    main.close()


@pytest.mark.parametrize("step_s", [1 / 30, 0.001], ids=["30fps", "1ms"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_long_lived_renderer_draws_every_frame_as_a_fresh_one(
    renderers: tuple[PygameRenderer, PygameRenderer], seed: int, step_s: float,
) -> None:
    """Every frame of a long random run equals its fresh drawing. At 1 ms a frame the run
    lasts less than Overdraw.max_age_s: the whole layer is put back only when the layer
    changes, so nothing hides a rectangle the frame before left out."""
    main, ref = renderers
    if step_s < 1 / 30:
        assert FRAMES * step_s < main.over.max_age_s
    main.frame.forget()  # start from a whole frame (each run alone draws what it draws in a row)
    main.over.drew(main.canvas, None, ())
    clock = [10_000.0 * seed]
    partial: list[bool] = []
    restore = main.over.restore

    def spy(surf: pygame.Surface, key: object, now_s: float) -> tuple[pygame.Rect, ...] | None:
        rects = restore(surf, key, now_s)
        partial.append(rects is not None)
        return rects

    prev: ViewModel | None = None
    with patch("kiosk.app.render.time.monotonic", lambda: clock[0]), patch.object(main.over, "restore", spy):
        for i, vm in enumerate(frames(seed, FRAMES)):
            clock[0] += step_s
            main.draw(vm)
            got: tuple[np.ndarray, list[Placed]] = (pygame.surfarray.array3d(main.canvas), list(main.placed))
            want = fresh(ref, vm)
            if not np.array_equal(got[0], want[0]):
                pytest.fail(f"seed {seed}, frame {i} ({vm.kind} {vm.key}): pixels differ in (x, y, w, h) "
                            f"{differing_box(got[0], want[0])}; "
                            f"changed from the frame before: {changed(prev, vm)}")
            assert got[1] == want[1], (seed, i, changed(prev, vm))
            prev = vm
    assert sum(partial) > len(partial) // 2  # most frames drawn blit back only what the one before drew
