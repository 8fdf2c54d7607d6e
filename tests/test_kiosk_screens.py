"""Issue 15, kiosk screens: every screen, with the longest strings it can be given, keeps
each line of text inside its box and clear of every other line (the result card's "not
reached" ran over "Faults seen"); the live cue is drawn large enough to read from 3 m; the
verdict shows the bottom of the judged rep with the fault marked, not the athlete standing
again; a miss is said as a number in the club's units and the body in plain words; a lost
frame does not blank the side view.

The layout is computed apart from the display: `PygameRenderer.layout(vm)` draws off screen
and returns where every line went (its rectangle and its box)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import numpy as np
import pygame
import pytest
from test_kiosk_flow import rep

from kiosk.app.cues import FAULT_CUES, FAULT_PRIORITY, LIMIT_PRAISE, PRAISE, SESSION_PRAISE, UNKNOWN_CUE
from kiosk.app.flow import FlowState, Screen, Verdict
from kiosk.app.loop import NO_CAMERA_MEMBER, NO_CAMERA_TITLE, SIM_MENU_LINE
from kiosk.app.observe import Observation
from kiosk.app.operator import MenuMode, MenuState
from kiosk.app.render import CUE_PX, SIZE, Placed, PygameRenderer
from kiosk.app.scene import Marker, Scene
from kiosk.app.session import HOLD_BODY_S, RepBottom
from kiosk.app.view import ViewContext, ViewModel, build_view, fault_measure, miss_text, status_view
from kiosk.core import DrillFrame, Landmarks, RepResult
from kiosk.core.reps import Phase
from kiosk.core.thresholds import DrillConfig
from kiosk.core.types import DowelGaps, touches_wall

LONG_NAME = "Maximiliana-Alexandrina " * 8 + "W"  # 193 characters; roster names go up to 200
LONG_NAME = (LONG_NAME + "x" * 200)[:200]
ALL_FAULTS = tuple(FAULT_PRIORITY)
LONG_STATUS = ("Simulated D435: USB 2.1 - plug it into a blue USB 3 port",
               "calibrated (learnt heading +28.4 deg)",
               "club sync: offline for 3 h 12 min, 1234 sessions waiting")
LONG_SAVED = ("Not saved yet (database or disk is full: /var/lib/hinge-kiosk/results.sqlite3 has no room "
              "left on the device): kept, retrying")
LONG_ERROR = "; ".join(f'display.units{i} = "millimetres-and-more" is not allowed (allowed: \'in\' or \'cm\')'
                       for i in range(6))


def ctx(units: str = "in", **kw: object) -> ViewContext:
    base = ViewContext(t_s=100.0, units=units, status=LONG_STATUS, sound="sound off (no audio device)",
                       saved=LONG_SAVED,
                       drill=DrillConfig(dowel_reps=10, max_fails_per_distance=2, step_in=2.0))
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def body_points(hinged: bool) -> np.ndarray:
    """A blocky side-view body: legs, a trunk (hinged ~70 deg or upright), a head."""
    rng = np.random.default_rng(0)
    parts = [((-0.10, 0.05), (0.0, 0.85))]  # legs: x range, y range
    parts += [((-0.30, 0.35), (0.80, 1.15)), ((0.35, 0.55), (1.00, 1.20))] if hinged else \
        [((-0.15, 0.12), (0.85, 1.55)), ((-0.08, 0.12), (1.55, 1.78))]
    pts = [np.column_stack([rng.uniform(*x, 800), rng.uniform(*y, 800)]) for x, y in parts]
    return np.vstack(pts).astype(np.float32)


def worst_scene(frozen: bool, mirror: bool) -> Scene:
    """Every marker off the dowel (each named), the wall, the hips' miss with a long label."""
    markers = (Marker("head", (0.52, 1.12), 99.0, False), Marker("thoracic", (0.25, 1.16), 99.0, False),
               Marker("sacrum", (-0.02, 1.12), 99.0, False))
    return Scene(body_xy_m=body_points(True), x_min_m=-1.3, x_max_m=1.3, y_max_m=2.25, mirror=mirror,
                 spot_x_m=(-0.2, 0.2), wall_x_m=-0.6, dowel=((-0.2, 1.2), (0.7, 1.25)), markers=markers,
                 frozen=frozen, miss=((-0.32, 0.95), f"{miss_text(1234.0, 'cm')} short"))


def fail_rep(index: int, wall_in: float = 99.0) -> RepResult:
    return dataclasses.replace(rep(index, "wall", ALL_FAULTS, wall_in), min_hip_to_wall_mm=987.6,
                               max_knee_flexion_deg=123.4)


def every_view() -> Iterator[tuple[str, ViewModel]]:
    """Every screen state, each with the longest strings it can carry."""
    menus = (MenuState(),
             MenuState(mode=MenuMode.PIN, digits="12345678", message="Wrong PIN: locked for 30 s"),
             MenuState(mode=MenuMode.OPEN, message="Camera: " + LONG_ERROR))
    notices = ("", f"Checked in: {LONG_NAME} (12 in the queue)")
    for units, menu, notice in itertools.product(("in", "cm"), menus, notices):
        c = ctx(units, menu=menu, notice=notice, notice_alert=bool(notice), required_facing="left",
                operator_lines=(SIM_MENU_LINE,), stance_progress=0.5)
        tag = f"{units}/{menu.mode.value}/{'notice' if notice else '-'}"
        yield f"attract {tag}", build_view(FlowState(), None, c)
        clean = dataclasses.replace(fail_rep(9998), passed=True, faults=())
        many = (*(fail_rep(i) for i in range(9998)), clean)
        result = build_view(FlowState(screen=Screen.RESULT, reps=many), None, c)
        yield f"result {tag}", result
        none = build_view(FlowState(screen=Screen.RESULT, reps=(rep(0, faults=("back_rounded",)),)), None, c)
        yield f"result-none {tag}", none
        for title, lines in ((NO_CAMERA_TITLE, (NO_CAMERA_MEMBER,)),
                             ("Config error", (LONG_ERROR, LONG_ERROR)),
                             ("Calibrating: keep the station clear " * 4, ("Frame 15 of 120 " * 20,))):
            yield f"status {title[:12]} {tag}", status_view(c, "x", title, lines)
        if menu.mode is not MenuMode.CLOSED and notice:
            continue  # the live screens below with each menu once is enough
        for mirror in (False, True):
            live = (
                FlowState(screen=Screen.DETECTED),
                FlowState(screen=Screen.STANCE, stance_hint="turn"),
                FlowState(screen=Screen.STANCE, stance_hint="hold"),
                FlowState(screen=Screen.STANCE, stance_hint="still"),
                FlowState(screen=Screen.DOWEL, hinging=True),
                FlowState(screen=Screen.WALL, hinging=True, reps=tuple(fail_rep(i) for i in range(999))),
                FlowState(screen=Screen.WALL, reps=(fail_rep(0), fail_rep(1)),
                          verdict=Verdict(fail_rep(1), 200.0)),
                FlowState(screen=Screen.WALL, reps=(fail_rep(0),), verdict=Verdict(fail_rep(0), 200.0)),
                FlowState(screen=Screen.DOWEL, reps=(rep(0),), verdict=Verdict(rep(0), 200.0)),
                FlowState(screen=Screen.WALL, reps=(rep(0, "wall", wall_in=98),),
                          verdict=Verdict(rep(0, "wall", wall_in=98), 200.0)),
            )
            for flow in live:
                vm = build_view(flow, None, c)
                scene = worst_scene(frozen=flow.verdict is not None, mirror=mirror)
                yield f"{vm.key} {tag} mirror={mirror}", dataclasses.replace(vm, scene=scene, checks=(
                    ("On the floor marker", False), ("Facing the right way", None), ("Standing still", True),
                ) if flow.screen in (Screen.DETECTED, Screen.STANCE) else ())
    for cue in (*FAULT_CUES.values(), PRAISE, UNKNOWN_CUE):  # every cue the big line can say
        vm = build_view(FlowState(screen=Screen.DOWEL, hinging=True), None, ctx())
        yield f"cue {cue}", dataclasses.replace(vm, cue=cue)


@pytest.fixture(scope="module")
def renderer() -> Iterator[PygameRenderer]:
    r = PygameRenderer(windowed=True)
    yield r
    r.close()


def overlaps(placed: list[Placed]) -> list[tuple[str, str]]:
    bad = []
    for layer in {p.layer for p in placed}:
        same = [p for p in placed if p.layer == layer]
        for a, b in itertools.combinations(same, 2):
            if a.rect.colliderect(b.rect):
                bad.append((a.text, b.text))
    return bad


def test_every_screen_keeps_its_text_in_its_boxes_and_apart(renderer: PygameRenderer) -> None:
    screen = pygame.Rect((0, 0), SIZE)
    n = 0
    for name, vm in every_view():
        placed = renderer.layout(vm)
        assert placed, name
        for p in placed:
            assert p.box.contains(p.rect), (name, p.text, p.rect, p.box)
            assert screen.contains(p.rect), (name, p.text, p.rect)
        assert not overlaps(placed), (name, overlaps(placed)[:3])
        if vm.kind == "live" and vm.cue:
            cues = [p for p in placed if p.role == "cue"]
            assert cues and all(p.size >= CUE_PX for p in cues), (name, [(p.text, p.size) for p in cues])
            assert " ".join(p.text for p in cues) == vm.cue, name  # one line, whole: never cut short
        n += 1
    assert n > 150


def test_long_strings_are_shrunk_or_cut_never_lost_silently(renderer: PygameRenderer) -> None:
    """The result card with every fault at once names all five; a 200-character name in the
    notice bar is cut short with "..." inside the bar; the hinge depth's "not yet" fits."""
    reps = (fail_rep(0), fail_rep(1))
    c = ctx("cm", notice=f"Next up: {LONG_NAME}")
    vm = build_view(FlowState(screen=Screen.RESULT, reps=reps), None, c)
    placed = renderer.layout(vm)
    texts = [p.text for p in placed]
    for fault in ("back rounded", "knees bent", "hips short of the wall", "head out of line",
                  "weight on the toes"):
        assert any(t.startswith(fault) for t in texts), (fault, texts)
    assert "not yet" in texts
    notice = [p.text for p in placed if p.box.y >= 668 and p.text.startswith(("Next up", "Maximiliana"))]
    assert " ".join(notice) == f"Next up: {LONG_NAME}"  # the whole name, on lines of the bar
    assert any(t.startswith("99 in wall") or t.startswith("251 cm wall") for t in texts), texts


def test_the_live_cue_is_sized_for_three_metres(renderer: PygameRenderer) -> None:
    """Cap height >= 54 px (render.py's rule: distance/200 plus half again, on a 24" panel)."""
    font = renderer.text.font(CUE_PX)
    img = font.render("H", True, (255, 255, 255), (0, 0, 0))
    ink = np.nonzero(pygame.surfarray.array3d(img)[:, :, 0].max(axis=0) > 100)[0]
    assert ink.max() - ink.min() + 1 >= 54
    for words in (*FAULT_CUES.values(), PRAISE, "Step onto the floor marker", "Hips back to the wall",
                  "Push your hips back", "Only one person, please", "Cannot see you clearly"):
        assert font.size(words)[0] <= 1232, words  # one line across the top
    assert len(SESSION_PRAISE) < 60 and len(LIMIT_PRAISE) < 60


def test_miss_as_a_number_in_the_clubs_units_and_plain_words() -> None:
    miss = dataclasses.replace(rep(0, "wall", ("wall_not_reached",), 12), min_hip_to_wall_mm=60.0)
    assert fault_measure(miss, None, ctx("cm")) == "Hips 6 cm short of the wall"
    assert fault_measure(miss, None, ctx("in")) == "Hips 2.5 in short of the wall"
    assert miss_text(4.0, "cm") == "under 1 cm" and miss_text(150.0, "in") == "6 in"
    flow = FlowState(screen=Screen.WALL, reps=(miss,), verdict=Verdict(miss, 200.0))
    vm = build_view(flow, None, ctx("cm"))
    assert vm.verdict is not None and vm.verdict.measure == "Hips 6 cm short of the wall"
    assert vm.verdict.detail == "One more try at 30 cm"
    result = build_view(FlowState(screen=Screen.RESULT, reps=(rep(0, "wall", wall_in=10), miss, miss)), None,
                        ctx("cm"))
    assert dict(result.stats)["Next wall"] == "30 cm wall: hips 6 cm short"
    rounded = rep(0, faults=("back_rounded",))
    said = fault_measure(rounded, observation(sacrum_gap_mm=52.0), ctx("cm"))
    assert said == "Lower back 5 cm off the dowel"
    # No member-facing words say "sacrum", on any screen.
    for name, v in every_view():
        words = " ".join((v.title, v.cue, *v.lines, *(s for kv in v.stats for s in kv),
                          *((v.verdict.cue, v.verdict.measure, v.verdict.detail) if v.verdict else ())))
        assert "sacrum" not in words.lower(), name


def observation(hip_to_wall_mm: float | None = 80.0, trunk_deg: float = 60.0, sacrum_gap_mm: float = 10.0,
                phase: Phase = Phase.HINGE, completed: RepResult | None = None,
                body: bool = True) -> Observation:
    p = (0.0, 1.0)
    lm = Landmarks(heel=(0.0, 0.0), toe=(0.25, 0.0), buttocks=(-0.3, 0.95), ankle=p, knee=p, hip=p,
                   shoulder=p, neck_base=p, sacrum=(-0.25, 1.1), thoracic=(0.1, 1.2), head=(0.45, 1.15),
                   head_centroid=p,
                   trunk_axis=(1.0, 0.0), dorsal=(0.0, 1.0), thigh_dir=(0.0, 1.0), shank_dir=(0.0, 1.0),
                   spine_mid=p, com_x_m=0.0, stature_m=1.78)
    gaps = DowelGaps(head_mm=5.0, thoracic_mm=5.0, sacrum_mm=sacrum_gap_mm, resting_on=("head", "thoracic"))
    d = DrillFrame(t_s=0.0, person=body, hip_to_wall_mm=hip_to_wall_mm, knee_flexion_deg=20.0,
                   trunk_angle_deg=trunk_deg, dowel_gaps=gaps, wall_distance_in=12.0,
                   stage="wall" if hip_to_wall_mm is not None else "dowel", phase=phase, completed=completed,
                   touching_wall=hip_to_wall_mm is not None and touches_wall(hip_to_wall_mm, 25.0))
    xy = body_points(True) if body else np.zeros((0, 2), np.float32)
    return Observation(drill=d, unclear="", body_xy_m=xy, landmarks=lm if body else None, on_spot=True,
                       facing_ok=True, wall_x_m=-0.45)


def test_the_verdict_shows_the_bottom_of_the_rep_with_the_fault_marked() -> None:
    """Issue 15: the FAIL card showed the athlete standing again."""
    keeper = RepBottom(back_limit_mm=40.0)
    frames = [observation(h) for h in (200.0, 120.0, 63.0, 90.0, 150.0)]
    for f in frames:
        keeper.feed(f)
    miss = dataclasses.replace(rep(0, "wall", ("wall_not_reached",), 12), min_hip_to_wall_mm=63.0)
    standing = observation(None, trunk_deg=2.0, phase=Phase.READY, completed=miss)
    keeper.feed(standing)
    flow = FlowState(screen=Screen.WALL, reps=(miss,), verdict=Verdict(miss, 200.0))
    bottom = keeper.for_verdict(flow, standing)
    assert bottom is frames[2]  # the deepest frame: hips nearest the wall
    vm = build_view(flow, standing, ctx("cm", station_x_m=0.0), bottom)
    assert vm.scene is not None and vm.scene.frozen and vm.scene.wall_x_m == -0.45
    assert vm.scene.miss == ((-0.3, 0.95), "6 cm short")  # the bracket from the buttocks to the wall
    assert len(vm.scene.body_xy_m) == len(frames[2].body_xy_m)
    # The athlete hinging into the next rep during the verdict: the live view again.
    assert keeper.for_verdict(flow, observation(150.0)) is None
    # A rounded back is shown where the back was furthest off the dowel, named in plain words.
    back = RepBottom(back_limit_mm=40.0)
    worst = observation(None, trunk_deg=50.0, sacrum_gap_mm=70.0)
    for f in (observation(None, trunk_deg=40.0), worst, observation(None, trunk_deg=70.0)):
        back.feed(f)
    rounded = rep(1, faults=("back_rounded",))
    back.feed(observation(None, trunk_deg=2.0, phase=Phase.READY, completed=rounded))
    flow = FlowState(screen=Screen.DOWEL, reps=(rounded,), verdict=Verdict(rounded, 200.0))
    assert back.for_verdict(flow, None) is worst
    vm = build_view(flow, None, ctx("in"), worst)
    assert vm.scene is not None and vm.scene.frozen
    assert [m.name for m in vm.scene.markers if not m.ok] == ["sacrum"]
    assert vm.verdict is not None and vm.verdict.measure == "Lower back 3 in off the dowel"  # 70 mm


def test_a_lost_frame_does_not_blank_the_side_view() -> None:
    """Issue 15 (023-wall-hinge): a frame whose segmentation lost the athlete drew an empty panel."""
    from kiosk.app.session import Session

    s = Session.__new__(Session)  # only the hold-over state is exercised
    s.obs, s._seen = observation(0.0, body=False), (10.0, observation(80.0))
    held = s.held(10.0 + HOLD_BODY_S / 2)
    assert held is not None and len(held.body_xy_m) > 0 and held.drill is s.obs.drill
    assert s.held(10.0 + HOLD_BODY_S * 2) is s.obs  # gone for longer: not shown
