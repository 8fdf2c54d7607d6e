"""What the renderer keeps between frames (render.py, surface_cache.py, textbox.py, raster.py)
never shows a stale picture: a frame drawn after others is, pixel for pixel and line for
line, the frame drawn afresh; a changed text, wall, cue or body shows up; fields left out
of the frame key are really not drawn; the caches stay bounded; the silhouette's fast
scaling draws exactly what pygame.transform.scale of the whole grid does."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from unittest.mock import patch

import numpy as np
import pygame
import pytest
from test_kiosk_flow import rep
from test_kiosk_screens import body_points, ctx, every_view, worst_scene

from kiosk.app import raster
from kiosk.app.flow import FlowState, Screen, Verdict
from kiosk.app.render import SIZE, Placed, PygameRenderer
from kiosk.app.surface_cache import MAX_LAYERS, LayerCache, content_key
from kiosk.app.textbox import PUT_CACHE_MAX
from kiosk.app.view import MenuView, VerdictView, ViewModel, build_view

Pixels = np.ndarray


@pytest.fixture(scope="module")
def renderer() -> Iterator[PygameRenderer]:
    r = PygameRenderer(windowed=True)
    yield r
    r.close()


def fresh(r: PygameRenderer, vm: ViewModel) -> tuple[Pixels, list[Placed]]:
    """vm drawn with nothing kept: layers painted in place, every box laid out anew, on a
    surface of the canvas's format (the caches of `r` are left as they were)."""
    surf = pygame.Surface(SIZE, 0, r.canvas)
    kept = r._puts
    r._puts = {}
    try:
        with patch.object(r, "_kept", lambda paint, *args: paint(*args)):
            r._compose(vm, surf)
    finally:
        r._puts = kept
    return pygame.surfarray.array3d(surf), list(r.placed)


def drawn(r: PygameRenderer, vm: ViewModel) -> tuple[Pixels, list[Placed]]:
    r.draw(vm)
    return pygame.surfarray.array3d(r.canvas), list(r.placed)


def same(a: tuple[Pixels, list[Placed]], b: tuple[Pixels, list[Placed]]) -> bool:
    return np.array_equal(a[0], b[0]) and a[1] == b[1]


def live(cue: str = "Push your hips back", frozen: bool = False, mirror: bool = False,
         **scene: object) -> ViewModel:
    """The wall drill's live screen with the worst scene, the scene's fields replaced by `scene`."""
    flow = FlowState(screen=Screen.WALL, hinging=True, reps=(rep(0, "wall"),))
    vm = build_view(flow, None, ctx())
    s = dataclasses.replace(worst_scene(frozen, mirror), **scene)  # type: ignore[arg-type]
    return dataclasses.replace(vm, scene=s, cue=cue)


def variants() -> list[tuple[str, ViewModel]]:
    """Live screens that differ in one thing the kept layer or the boxes are drawn from."""
    base = live()
    upright = dataclasses.replace(base.scene, body_xy_m=body_points(False))  # type: ignore[arg-type]
    return [
        ("base", base),
        ("cue", dataclasses.replace(base, cue="Hips back to the wall")),
        ("no cue: title", dataclasses.replace(base, cue="", title="Wall drill")),
        ("wall moved", live(wall_x_m=-0.5)),
        ("wall touched", live(wall_touch=True)),
        ("no wall", live(wall_x_m=None, miss=None)),
        ("spot shown", dataclasses.replace(base, checks=(("On the floor marker", True),))),
        ("spot lit", dataclasses.replace(live(on_spot=True), checks=(("On the floor marker", True),))),
        ("mirrored", live(mirror=True)),
        ("body", dataclasses.replace(base, scene=upright)),
        ("no body", live(body_xy_m=np.zeros((0, 2), np.float32))),
        ("stats", dataclasses.replace(base, stats=(("Hips to wall", "3.1 in"),))),
        ("stats changed", dataclasses.replace(base, stats=(("Hips to wall", "3.2 in"),))),
        ("status", dataclasses.replace(base, status=("camera: ok", "calibrated"))),
        ("no scene", dataclasses.replace(base, scene=None)),
        ("verdict", build_view(FlowState(screen=Screen.WALL, reps=(rep(0, "wall"),),
                                         verdict=Verdict(rep(0, "wall"), 200.0)), None, ctx())),
    ]


def test_any_order_of_frames_draws_what_a_fresh_renderer_draws(renderer: PygameRenderer) -> None:
    """A, B, A...: every frame equals its fresh drawing, whatever was drawn (and kept) before;
    so a change to any of these (a cue, the wall, the spot, the body, a number) shows up."""
    views = variants()
    order = [*views, *reversed(views), *itertools.chain.from_iterable(zip(views, views[::2], strict=False))]
    for name, vm in order:
        assert same(drawn(renderer, vm), fresh(renderer, vm)), name
    pictures = {name: fresh(renderer, vm)[0] for name, vm in views}
    for (na, a), (nb, b) in itertools.combinations(pictures.items(), 2):
        assert not np.array_equal(a, b), (na, nb)  # each variant does change the picture


def test_every_screen_in_any_order_is_drawn_as_fresh(renderer: PygameRenderer) -> None:
    screens = list(every_view())
    for name, vm in [*screens, *screens[::-3]]:
        assert same(drawn(renderer, vm), fresh(renderer, vm)), name


def test_a_changed_text_shows_up_and_the_old_one_is_gone(renderer: PygameRenderer) -> None:
    a, b = live(cue="Push your hips back"), live(cue="Knees soft")
    drawn(renderer, a)
    after = drawn(renderer, b)
    assert [p.text for p in after[1] if p.role == "cue"] == ["Knees soft"]
    assert same(after, fresh(renderer, b))
    assert same(drawn(renderer, a), fresh(renderer, a))


def test_a_canvas_wiped_behind_the_renderer_is_drawn_again_within_a_second(
    renderer: PygameRenderer,
) -> None:
    """The system may clear or recreate the display surface (a mode change, a console
    switch): an unchanged view is drawn in full again once the kept frame is a second old,
    and not before (that is the saving)."""
    vm = live(cue="Hold still")
    clock = [1000.0]
    with patch("kiosk.app.render.time.monotonic", lambda: clock[0]):
        drawn(renderer, vm)
        renderer.canvas.fill((0, 0, 0))
        clock[0] += 0.5
        drawn(renderer, vm)
        assert not pygame.surfarray.array3d(renderer.canvas).any()  # kept: not redrawn yet
        clock[0] += 0.6
        assert same(drawn(renderer, vm), fresh(renderer, vm))


def in_a_row() -> list[tuple[str, ViewModel]]:
    """Live frames over one kept layer (same cue, same ground), each drawing something else
    over it: the body moving, gone, markers and labels, numbers, the checklist, the bar, the
    arrow, the notice bar, the verdict, the operator menu."""
    base = live()
    hinged, upright = body_points(True), body_points(False)
    verdict = VerdictView(passed=False, headline="FAIL", cue="Push your hips back", detail="One more try",
                          measure="Hips 6 cm short of the wall")
    moved = [live(body_xy_m=xy) for xy in (upright, hinged + np.float32(0.3), hinged[:200],
                                           np.zeros((0, 2), np.float32))]
    frames = [base, *moved, live(markers=(), dowel=None), live(miss=None),
              dataclasses.replace(base, stats=(("Hips to wall", "3.1 in"),)),
              dataclasses.replace(base, stats=(("Hips to wall", "12.5 in"),), lines=("Knees soft",)),
              dataclasses.replace(base, checks=(("On the floor marker", True), ("Standing still", None)),
                                  progress=0.4, arrow="left"),
              dataclasses.replace(base, notice="Next up: Sam", notice_alert=True),
              dataclasses.replace(base, verdict=verdict),
              dataclasses.replace(base, menu=MenuView("Operator menu", ("1   Units",), "")), base]
    return [(f"{i}", vm) for i, vm in enumerate([*frames, *frames[::-1], *frames[::3]])]


def test_live_frames_in_a_row_put_back_only_what_the_one_before_drew(renderer: PygameRenderer) -> None:
    """Issue 14: a live frame over the kept layer of the frame before blits back only the
    rectangles that frame drew over it (Overdraw), not the whole 1280x720 layer; drawn one
    after the other (nothing fresh in between), every frame is its fresh drawing."""
    wanted = [(name, vm, fresh(renderer, vm)) for name, vm in in_a_row()]
    partial: list[bool] = []
    restore = renderer.over.restore

    def spy(surf: pygame.Surface, key: object, now_s: float) -> object:
        rects = restore(surf, key, now_s)
        partial.append(rects is not None)
        return rects

    with patch.object(renderer.over, "restore", spy):
        for name, vm, want in wanted:
            assert same(drawn(renderer, vm), want), name
    assert sum(partial) > len(wanted) // 2  # the saving did happen


def test_a_changing_live_frame_puts_back_the_whole_layer_once_a_second(renderer: PygameRenderer) -> None:
    """A canvas the system wiped while the body moves: drawn in full again within a second."""
    clock = [2000.0]
    views = [live(body_xy_m=body_points(i % 2 == 0) + np.float32(0.01 * i)) for i in range(30)]
    with patch("kiosk.app.render.time.monotonic", lambda: clock[0]):
        drawn(renderer, views[0])
        renderer.canvas.fill((0, 0, 0))
        for vm in views[1:]:
            clock[0] += 0.04
            got = drawn(renderer, vm)
        assert same(got, fresh(renderer, views[-1]))


def test_a_body_refilled_in_place_is_drawn_again(renderer: PygameRenderer) -> None:
    """The frame key copies the body's points: a producer refilling its array in place (the
    same object) still gets the new body drawn."""
    xy = body_points(True)
    vm = live(body_xy_m=xy)
    before = drawn(renderer, vm)
    xy[:] = body_points(False)
    after = drawn(renderer, vm)
    assert not np.array_equal(before[0], after[0])
    assert same(after, fresh(renderer, vm))


def test_fields_left_out_of_the_frame_key_are_not_drawn(renderer: PygameRenderer) -> None:
    """PygameRenderer.unseen(vm): changing any of them changes no pixel and no placement (else
    a frame differing only there would keep showing the old picture)."""
    other = {"t_s": lambda v: v + 1.7, "stats": lambda v: (("Hips to wall", "99 in"),),
             "lines": lambda v: ("A new line of words",), "progress": lambda v: 0.3 if v is None else None,
             "arrow": lambda v: "right" if v != "right" else "left"}
    views = [*every_view(), *variants()]
    checked = 0
    for name, vm in views:
        for field in PygameRenderer.unseen(vm):
            changed = dataclasses.replace(vm, **{field: other[field](getattr(vm, field))})
            assert same(fresh(renderer, changed), fresh(renderer, vm)), (name, field)
            checked += 1
    assert checked > 150


def test_the_caches_stay_bounded(renderer: PygameRenderer) -> None:
    for i in range(MAX_LAYERS + 5):
        renderer.draw(dataclasses.replace(live(cue=f"Cue number {i}"), stats=(("Hips to wall", f"{i} in"),)))
    assert len(renderer.layers) == MAX_LAYERS
    for i in range(PUT_CACHE_MAX + 10):
        renderer.draw(dataclasses.replace(live(), stats=(("Hips to wall", f"{i / 10:.1f} in"),)))
    assert len(renderer._puts) <= PUT_CACHE_MAX


def test_a_layer_is_kept_per_key_and_surface_format() -> None:
    cache: LayerCache[str] = LayerCache(max_layers=2)
    calls: list[str] = []

    def paint(tag: str, color: tuple[int, int, int]) -> Callable[[pygame.Surface], list[str]]:
        def draw(layer: pygame.Surface) -> list[str]:
            calls.append(tag)
            layer.fill(color)
            return [tag]
        return draw

    surf = pygame.Surface((8, 4))
    assert cache.show(surf, "a", paint("a", (1, 2, 3))) == ("a",)
    assert cache.show(surf, "a", paint("a", (9, 9, 9))) == ("a",) and calls == ["a"]  # kept
    assert surf.get_at((0, 0))[:3] == (1, 2, 3)
    cache.show(pygame.Surface((8, 4), 0, 16), "a", paint("a16", (1, 2, 3)))  # another format
    cache.show(surf, "b", paint("b", (4, 5, 6)))
    cache.show(surf, "a", paint("a2", (7, 7, 7)))  # "a" on surf was the least recently used: gone
    assert calls == ["a", "a16", "b", "a2"] and len(cache) == 2
    alpha = pygame.Surface((8, 4), pygame.SRCALPHA)
    cache.show(alpha, "b", paint("b-alpha", (4, 5, 6)))  # a blit would blend: painted in place
    assert calls[-1] == "b-alpha" and alpha.get_at((0, 0))[:3] == (4, 5, 6)


def test_content_key_compares_every_field_and_array_contents() -> None:
    xy = body_points(True)
    a, b = live(body_xy_m=xy), live(body_xy_m=xy.copy())
    assert content_key(a) == content_key(b)
    moved = xy.copy()
    moved[0, 0] += 0.001
    assert content_key(a) != content_key(live(body_xy_m=moved))
    assert content_key(a) != content_key(live(body_xy_m=xy.astype(np.float64)))
    assert content_key(a) != content_key(dataclasses.replace(a, t_s=a.t_s + 1))
    assert content_key(a, ("t_s",)) == content_key(dataclasses.replace(a, t_s=a.t_s + 1), ("t_s",))
    assert content_key(a) != content_key(dataclasses.replace(a, checks=(("x", None),)))
    assert content_key(a) != content_key(dataclasses.replace(a, checks=(("x", False),)))


def reference_scale(surf: pygame.Surface, grid: np.ndarray, topleft: tuple[int, int],
                    size: tuple[int, int], color: tuple[int, int, int]) -> None:
    """The silhouette as it was drawn before raster.py: the whole grid, pygame's scale, a
    colour-keyed blit."""
    rgb = np.zeros((*grid.shape, 3), dtype=np.uint8)
    rgb[grid] = color
    img = pygame.surfarray.make_surface(rgb)
    img.set_colorkey((0, 0, 0))
    surf.blit(pygame.transform.scale(img, size), topleft)


@pytest.mark.parametrize("maps", [True, False], ids=["numpy maps", "pygame scale"])
def test_silhouette_pixels_are_those_of_scaling_the_whole_grid(maps: bool) -> None:
    rng = np.random.default_rng(7)
    grids = [(173, 150), (40, 31), (9, 200)]
    sizes = [(627, 544), (173, 150), (100, 90), (41, 700), (1, 1)]
    bg = pygame.Surface((900, 800))
    cases = 0
    for (gw, gh), size, mirror in itertools.product(grids, sizes, (False, True)):
        x_max, y_max = gw * raster.CELL_M + 0.001, gh * raster.CELL_M + 0.001
        pts = np.column_stack([rng.uniform(-0.2, x_max + 0.2, 300), rng.uniform(-0.2, y_max + 0.2, 300)])
        pts = np.vstack([pts, [[0.0, y_max - 1e-4], [x_max - 0.002, 0.002]]]).astype(np.float32)  # corners
        assert raster.grid_size(0.0, x_max, y_max) == (gw, gh)
        body = raster.body_cells(pts, 0.0, x_max, y_max, mirror)
        assert body is not None
        cells, c0, r0 = body
        whole = np.zeros((gw, gh), dtype=bool)
        whole[c0:c0 + cells.shape[0], r0:r0 + cells.shape[1]] = cells
        u = (x_max - pts[:, 0]) if mirror else pts[:, 0]
        ix, iy = (u / raster.CELL_M).astype(np.int32), ((y_max - pts[:, 1]) / raster.CELL_M).astype(np.int32)
        ok = (ix >= 0) & (ix < gw) & (iy >= 0) & (iy < gh)
        seed = np.zeros((gw, gh), dtype=bool)
        seed[ix[ok], iy[ok]] = True
        grown = seed.copy()
        grown[1:] |= seed[:-1]
        grown[:-1] |= seed[1:]
        grown[:, 1:] |= seed[:, :-1]
        grown[:, :-1] |= seed[:, 1:]
        assert np.array_equal(whole, grown)  # the part holds the whole grid's body
        bg.fill((30, 34, 40))
        want, got = bg.copy(), bg.copy()
        reference_scale(want, grown, (37, 21), size, (140, 190, 240))
        with patch.object(raster, "scale_maps", raster.scale_maps if maps else (lambda *a: None)):
            raster.draw_cells(got, cells, c0, r0, (gw, gh), (37, 21), size, (140, 190, 240))
        assert np.array_equal(pygame.surfarray.array3d(want), pygame.surfarray.array3d(got)), (gw, gh, size)
        cases += 1
    assert cases == 30
    assert raster.body_cells(np.zeros((0, 2), np.float32), 0.0, 1.0, 1.0, False) is None
    assert raster.body_cells(np.array([[5.0, 5.0]], np.float32), 0.0, 1.0, 1.0, False) is None
