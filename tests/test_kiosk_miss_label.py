"""Issue 15 follow-up: on the wall-fail screen the hips' shortfall ("2.5 in short") was drawn
over the lowest dowel marker, which sits just above and in front of the hips at the bottom
of a hinge. Judged on the drawn pixels, as an athlete sees them: no marker pixel inside the
label's rectangle, for hinges of every depth, misses from half an inch to a foot, both
facings and both units; the label is still drawn, whole and full size, beside its bracket."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import numpy as np
import pygame
import pytest
from test_kiosk_flow import rep

from kiosk.app import shapes as sh
from kiosk.app.flow import FlowState, Screen, Verdict
from kiosk.app.render import SCENE_RECT, Placed, PygameRenderer
from kiosk.app.scene import Marker, Scene
from kiosk.app.view import ViewContext, build_view, miss_text

HIPS_Y_M = 0.95
BUTTOCKS_X_M = -0.3  # behind the heels at the bottom of a hinge (station centre x = 0)


def hinged_body(hips_x_m: float, trunk_rise_m: float) -> np.ndarray:
    """A side-view body hinged at the hips: legs under them, the trunk rising `trunk_rise_m`
    over 0.6 m forward (+x)."""
    rng = np.random.default_rng(1)
    legs = np.column_stack([rng.uniform(hips_x_m + 0.02, hips_x_m + 0.18, 900),
                            rng.uniform(0.0, HIPS_Y_M, 900)])
    t = rng.uniform(0.0, 1.0, 1500)
    trunk = np.column_stack([hips_x_m + 0.6 * t, HIPS_Y_M + trunk_rise_m * t + rng.uniform(-0.1, 0.1, 1500)])
    return np.vstack([legs, trunk]).astype(np.float32)


def wall_fail_scene(miss_m: float, rise_m: float, sacrum_m: tuple[float, float], mirror: bool,
                    label: str) -> Scene:
    """The bottom of a rep that missed the wall, drawn as the kiosk does (the view 1.3 m
    either side of the station's centre, the heels there): buttocks BUTTOCKS_X_M behind the
    heels, the wall `miss_m` behind them, the three dowel markers in contact along the back
    (the sacrum's `sacrum_m` forward of and above the buttocks)."""
    dx, dy = BUTTOCKS_X_M + sacrum_m[0], HIPS_Y_M + sacrum_m[1]
    slope = rise_m / 0.6
    markers = tuple(Marker(name, (dx + k, dy + k * slope), 5.0, True)
                    for name, k in (("sacrum", 0.0), ("thoracic", 0.25), ("head", 0.5)))
    ends = ((dx - 0.12, dy - 0.12 * slope), (dx + 0.62, dy + 0.62 * slope))
    return Scene(body_xy_m=hinged_body(BUTTOCKS_X_M, rise_m), x_min_m=-1.3, x_max_m=1.3, y_max_m=2.25,
                 mirror=mirror, spot_x_m=(-0.2, 0.2), wall_x_m=BUTTOCKS_X_M - miss_m, dowel=ends,
                 markers=markers, frozen=True, miss=((BUTTOCKS_X_M, HIPS_Y_M), label))


def poses() -> Iterator[tuple[str, Scene]]:
    for miss_mm, rise_m, sacrum, mirror, units in itertools.product(
            (13.0, 63.5, 150.0, 300.0), (0.1, 0.3, 0.55), ((0.05, 0.03), (0.17, 0.1), (0.3, 0.2)),
            (False, True), ("in", "cm")):
        label = f"{miss_text(miss_mm, units)} short"
        name = f"miss {miss_mm} mm, rise {rise_m} m, sacrum {sacrum}, mirror {mirror}, {label!r}"
        yield name, wall_fail_scene(miss_mm / 1000.0, rise_m, sacrum, mirror, label)


@pytest.fixture(scope="module")
def renderer() -> Iterator[PygameRenderer]:
    r = PygameRenderer(windowed=True)
    yield r
    r.close()


def green_pixels(surface: pygame.Surface, rect: pygame.Rect) -> int:
    """Pixels of a marker's disc colour inside `rect` (nothing else on this screen is green)."""
    rgb = pygame.surfarray.array3d(surface.subsurface(rect))
    return int(np.all(rgb == np.array(sh.GREEN), axis=2).sum())


def test_the_miss_label_is_never_drawn_over_a_dowel_marker(renderer: PygameRenderer) -> None:
    ctx = ViewContext(t_s=100.0, units="in")
    miss = dataclasses.replace(rep(0, "wall", ("wall_not_reached",), 12), min_hip_to_wall_mm=63.5)
    flow = FlowState(screen=Screen.WALL, reps=(miss,), verdict=Verdict(miss, 200.0))
    base = build_view(flow, None, ctx)
    n = 0
    for name, scene in poses():
        vm = dataclasses.replace(base, scene=scene)
        renderer.draw(vm)
        assert scene.miss is not None
        label: list[Placed] = [p for p in renderer.placed if p.text == scene.miss[1]]
        assert len(label) == 1 and label[0].size == 48, name  # drawn, once, whole, full size
        rect = label[0].rect
        assert SCENE_RECT.contains(rect), name
        assert green_pixels(renderer.canvas, rect) == 0, (name, rect)
        # Beside its bracket (buttocks to wall at hip height): over, under or level with it.
        px, _ = sh.view_px(sh.Ground.of(scene, SCENE_RECT, False))
        assert scene.wall_x_m is not None
        (hx, hy), (wx, _) = px(BUTTOCKS_X_M, HIPS_Y_M), px(scene.wall_x_m, HIPS_Y_M)
        bracket = pygame.Rect(min(hx, wx), hy - 22, abs(hx - wx) + 1, 45)
        assert rect.inflate(40, 40).colliderect(bracket), (name, rect, bracket)
        n += 1
    assert n == 144
