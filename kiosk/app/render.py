"""Draws a ViewModel with pygame (pygame-ce) on a 1280x720 canvas, scaled to the screen.

Fullscreen through SDL's KMSDRM driver on the Pi (no desktop), a window with --windowed,
and SDL's dummy driver when headless (tests, screenshots). Big type, high contrast; pass
and fail are told by a check mark or a cross and by words, not only by colour. The
camera/calibration/sound status is always in the bottom corner. Also turns keyboard and
USB keypad presses into key names for the operator menu (keys.py).

Every piece of text is put into a box (`_put`, textbox.py): it is wrapped and, only when it
must be, made smaller (down to a floor per role) and at the last cut short with "...", so
no string of any length leaves its box; `layout(vm)` returns where each piece went (tests
check that the pieces stay in their boxes and clear of each other).

What did not change is not drawn again (surface_cache.py): a frame equal to the one on the
canvas, and the still part of the live and attract screens (background, cue or title, the
side view's floor and wall, the demonstration's panel) is drawn once and blitted after; on
a live screen only where the frame before drew over it (Overdraw), and whole once a second.

The live cue: legible from 3 m while bent over. Rule used: letter (cap) height >= viewing
distance / 200 is the usual minimum for signage (15 mm at 3 m); the athlete reads it at a
glance, sideways, mid-rep, so we add half again (22 mm). On the smallest panel we expect
(24", 1280x720: 0.415 mm per pixel) that is 54 px of cap height; pygame's default font
has a cap height of half its size, so the cue is drawn at CUE_PX = 112 (56 px caps) and
never smaller (its words are kept short enough to fit one line across the screen).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from pathlib import Path

import pygame

from kiosk.app import shapes as sh
from kiosk.app.cards import BOTTOM_Y, STEPS, Cards
from kiosk.app.cards import SIZE as SIZE
from kiosk.app.demo import draw_demo
from kiosk.app.keys import key_names
from kiosk.app.surface_cache import FrameMemo, LayerCache, Overdraw, content_key
from kiosk.app.textbox import Placed as Placed
from kiosk.app.textbox import Text
from kiosk.app.view_model import VerdictView, ViewModel

CUE_PX = 112  # the live cue's font size: 56 px cap height (module docstring)
CUE_BAND = pygame.Rect(24, 10, 1232, 94)  # live screens: the cue across the top
SCENE_RECT = pygame.Rect(24, 112, 736, 556)
COLUMN = pygame.Rect(792, 112, 464, 556)  # live screens: steps, numbers, smaller lines
COLUMN_X = COLUMN.x
DEMO_RECT = pygame.Rect(40, 170, 600, 480)  # the attract screen's demonstration
ANIMATED = ("attract", "status")  # the kinds whose picture moves with vm.t_s (the demo, the spinner)
UNDER_VERDICT = ("stats", "lines", "progress", "arrow")  # live: what a verdict hides (checks: the spot)


class PygameRenderer(Cards):
    """Owns the display. `draw(vm)` once per loop iteration; `poll()` returns key names
    (and "quit" for the window's close button)."""

    def __init__(self, windowed: bool = False) -> None:
        super().__init__()
        pygame.display.init()
        pygame.font.init()
        self.headless = os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen")
        fullscreen = not windowed and not self.headless
        flags = pygame.FULLSCREEN | pygame.SCALED if fullscreen else 0
        try:
            self.screen = pygame.display.set_mode(SIZE, flags)
        except pygame.error:  # no SCALED renderer: take the mode as it is and scale ourselves
            self.screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        self.canvas = self.screen if self.screen.get_size() == SIZE else pygame.Surface(SIZE)
        pygame.display.set_caption("Hip hinge check")
        if fullscreen:
            pygame.mouse.set_visible(False)
        self.text = Text()
        self.placed: list[Placed] = []
        self._surf = self.canvas
        self._layer = 0
        self.frame: FrameMemo[Placed] = FrameMemo()  # what the canvas shows
        self.layers: LayerCache[Placed] = LayerCache()
        self.over = Overdraw(self.frame.max_age_s)  # what a live frame drew over its kept layer
        self._drawn: list[pygame.Rect] = []  # the side view's shapes (draw_body)
        self._kept_key: Hashable = None  # the kept layer under this frame, and its placements' count
        self._kept_n = 0

    @property
    def driver(self) -> str:
        return str(pygame.display.get_driver())

    def poll(self) -> list[str]:
        """Key names pressed since the last poll ("quit" for the window's close button)."""
        return key_names(pygame.event.get())

    def draw(self, vm: ViewModel) -> None:
        key, now_s = content_key(vm, self.unseen(vm)), time.monotonic()
        if self.frame.shows(key, now_s):  # the canvas has these very pixels: only show them again
            self.placed = self.frame.placed()
        else:
            self._compose(vm, self.canvas)
            self.frame.keep(key, self.placed, now_s)
        if self.canvas is not self.screen:
            pygame.transform.scale(self.canvas, self.screen.get_size(), self.screen)
        pygame.display.flip()

    @staticmethod
    def unseen(vm: ViewModel) -> tuple[str, ...]:
        """The fields of `vm` its picture does not show (a frame that differs from the one on
        the canvas only in these is not drawn again): t_s but on the animated kinds, and on a
        live screen what its verdict covers."""
        if vm.kind in ANIMATED:
            return ()
        live = vm.kind not in ("attract", "result", "status")
        return ("t_s", *UNDER_VERDICT) if live and vm.verdict is not None else ("t_s",)

    def layout(self, vm: ViewModel) -> list[Placed]:
        """Where every line of text of `vm` goes (drawn off screen; the display is untouched)."""
        self._compose(vm, pygame.Surface(SIZE))
        return list(self.placed)

    def save(self, path: Path) -> None:
        pygame.image.save(self.canvas, str(path))

    def close(self) -> None:
        pygame.display.quit()

    def _compose(self, vm: ViewModel, surf: pygame.Surface) -> None:
        self._surf, self.placed, self._layer, self._drawn = surf, [], 0, []
        layouts = {"attract": self._attract, "result": self._result, "status": self._status}
        if vm.kind in ("result", "status"):  # attract and live start with a kept layer that has it
            surf.fill(sh.BG)
        layouts.get(vm.kind, self._live)(vm)
        self._bottom(vm)
        if vm.menu is not None:
            self._layer = 1
            self._menu(vm)
        self._layer = 0
        live = vm.kind not in ("attract", "result", "status") and vm.menu is None
        self.over.drew(surf, self._kept_key if live else None, self._overdrawn(vm) if live else ())

    def _overdrawn(self, vm: ViewModel) -> list[pygame.Rect]:
        """Where a live frame drew over its kept layer: the side view's shapes, the words placed
        after the layer, and the column's and the notice bar's shapes when it has them."""
        rects = [*self._drawn, *(p.rect for p in self.placed[self._kept_n:])]
        if vm.verdict is not None or vm.checks or vm.progress is not None or vm.arrow is not None:
            rects.append(pygame.Rect(COLUMN.x - 16, COLUMN.y, SIZE[0] - COLUMN.x + 16, SIZE[1] - COLUMN.y))
        if vm.notice:
            rects.append(pygame.Rect(0, BOTTOM_Y, SIZE[0], SIZE[1] - BOTTOM_Y))
        return rects

    # --- layouts -------------------------------------------------------------------------

    def _attract_still(self, title: str) -> None:
        """The attract screen's background, title and the demonstration's panel."""
        self._surf.fill(sh.BG)
        self._put(title, 120, sh.TEXT, pygame.Rect(24, 24, SIZE[0] - 48, 130), "center", min_size=60)
        pygame.draw.rect(self._surf, sh.PANEL, DEMO_RECT, border_radius=16)

    def _attract(self, vm: ViewModel) -> None:
        self._kept(self._attract_still, vm.title)
        demo = DEMO_RECT
        draw_demo(self._surf, demo, vm.t_s, mirror=vm.arrow == "left")
        if vm.arrow is not None:  # the way to face, once the station knows it
            right = vm.arrow == "right"
            x = demo.right - 110 if right else demo.x + 110
            # Mid-height on the facing side: clear of the demo's head, which hinges forward
            # over the top of that side.
            sh.arrow(self._surf, (x, demo.y + 300), 150, right, sh.CUE)
            self._put("Face this way", 36, sh.CUE, pygame.Rect(x - 105, demo.y + 336, 210, 40), "center")
        y, bottom = 190, BOTTOM_Y - 16
        n = max(1, len(vm.lines))
        each = (bottom - y) // n
        for i, line in enumerate(vm.lines, 1):
            pygame.draw.circle(self._surf, sh.CUE, (712, y + 30), 30)
            self._put(str(i), 52, sh.BG, pygame.Rect(682, y, 60, 60), "center", "center")
            box = pygame.Rect(764, y + 6, SIZE[0] - 764 - 24, each - 30)
            used = self._put(line, 56, sh.TEXT, box, min_size=36)
            y = max(used.bottom, y + 60) + 30

    def _kept(self, paint: Callable[..., None], *args: Hashable) -> None:
        """paint(*args) drawn once into a kept layer (with the text it placed) and blitted from
        then on: paint draws from its arguments and constants alone, as they are the key."""
        surf, before = self._surf, self.placed

        def fresh(layer: pygame.Surface) -> list[Placed]:
            self._surf, self.placed = layer, []
            paint(*args)
            return self.placed

        key = (paint.__name__, args)
        made = self.layers.show(surf, key, fresh, self.over.restore(surf, key, time.monotonic()))
        self._surf, self.placed = surf, [*before, *made]
        self._kept_key, self._kept_n = key, len(self.placed)

    def _live_still(self, text: str, color: sh.Color, cue: bool, ground: sh.Ground | None, step: str) -> None:
        """The live screen's background, cue (or title), the side view's ground, the steps strip."""
        self._surf.fill(sh.BG)
        if cue:
            self._put(text, CUE_PX, color, CUE_BAND, valign="center", min_size=CUE_PX, role="cue")
        else:
            self._put(text, 88, color, CUE_BAND, valign="center", min_size=48)
        if ground is not None:
            sh.draw_ground(self._surf, ground)
        else:
            pygame.draw.rect(self._surf, sh.PANEL, SCENE_RECT, border_radius=12)
        self._steps(step, COLUMN.right, COLUMN.y, 30)  # a still: nothing drawn later overlaps it

    def _live(self, vm: ViewModel) -> None:
        col = COLUMN
        color = sh.TEXT if not vm.cue or (vm.verdict is not None and vm.verdict.passed) else sh.CUE
        ground = None if vm.scene is None else sh.Ground.of(vm.scene, SCENE_RECT, bool(vm.checks))
        step = next((k for k, _ in STEPS if vm.key.startswith(k)), "")
        self._kept(self._live_still, vm.cue or vm.title, color, bool(vm.cue), ground, step)
        if vm.scene is not None:
            labels, self._drawn = sh.draw_body(self._surf, vm.scene, SCENE_RECT)
            if vm.scene.frozen:
                labels.insert(0, sh.SceneLabel("Bottom of your rep", 36, sh.DIM, (
                    ((SCENE_RECT.x + 16, SCENE_RECT.y + 12), "topleft"),
                    ((SCENE_RECT.right - 16, SCENE_RECT.y + 12), "topright"))))
            self._place_labels(labels, SCENE_RECT)
        if vm.verdict is not None:  # it covers the column: nothing else is laid out there
            self._verdict(vm.verdict)
            return
        y = col.y + 58
        for label, value in vm.stats:
            self._put(label, 30, sh.DIM, pygame.Rect(col.x, y, col.width, 26), min_size=20)
            color = sh.GREEN if value == "TOUCH" else sh.TEXT
            self._put(value, 60, color, pygame.Rect(col.x, y + 28, col.width, 48), min_size=32)
            y += 92
        if vm.lines:
            room = pygame.Rect(col.x, y + 8, col.width, max(0, col.bottom - y - 8 - self._below(vm)))
            y = self._put("\n".join(vm.lines), 44, sh.CUE, room, min_size=30).bottom
        if vm.checks:
            y = self._checks(vm.checks, y + 20)
        if vm.progress is not None:
            bar = pygame.Rect(col.x, y + 16, col.width - 16, 30)
            pygame.draw.rect(self._surf, sh.PANEL, bar, border_radius=15)
            fill = pygame.Rect(bar.x, bar.y, max(30, round(bar.width * min(1.0, vm.progress))), bar.height)
            pygame.draw.rect(self._surf, sh.GREEN, fill, border_radius=15)
            y = bar.bottom
        if vm.arrow is not None:
            at = (col.x + 200, min(y + 80, col.bottom - 60))
            sh.arrow(self._surf, at, 260, vm.arrow == "right", sh.CUE)

    @staticmethod
    def _below(vm: ViewModel) -> int:
        """Column height kept under the lines for the checklist, the bar and the arrow."""
        return 62 * len(vm.checks) + 20 * bool(vm.checks) + 46 * (vm.progress is not None) + \
            140 * (vm.arrow is not None)

    def _checks(self, checks: tuple[tuple[str, bool | None], ...], y: int) -> int:
        """The arrival checklist: a check mark, a cross, or "..." (not told yet) per item."""
        for label, ok in checks:
            icon = (COLUMN_X + 24, y + 24)
            if ok is True:
                sh.check_mark(self._surf, icon, 44, sh.GREEN)
            elif ok is False:
                sh.cross(self._surf, icon, 40, sh.RED)
            else:
                self._put("...", 44, sh.DIM, pygame.Rect(COLUMN_X, y, 50, 48), "center", "center")
            box = pygame.Rect(COLUMN_X + 60, y + 4, COLUMN.width - 60, 44)
            self._put(label, 42, sh.TEXT if ok else sh.DIM, box, valign="center", min_size=26)
            y += 62
        return y

    def _verdict(self, v: VerdictView) -> None:
        """The rep's verdict over the right-hand column, so the side view the athlete is
        judged on stays in view (the rep's bottom, with the fault marked); the cue is the
        big line across the top. Drawn last, it hides the live stats while it shows."""
        box = pygame.Rect(COLUMN.x - 16, COLUMN.y + 48, COLUMN.width + 16, COLUMN.height - 48)
        pygame.draw.rect(self._surf, sh.GREEN_DARK if v.passed else sh.RED_DARK, box, border_radius=16)
        pygame.draw.rect(self._surf, sh.GREEN if v.passed else sh.RED, box, 6, border_radius=16)
        icon = (box.x + 76, box.y + 76)
        (sh.check_mark if v.passed else sh.cross)(self._surf, icon, 110, sh.TEXT)
        self._put(v.headline, 128, sh.TEXT, pygame.Rect(box.x + 150, box.y + 14, box.width - 170, 120),
                  valign="center", min_size=80)
        y = box.y + 150
        inner = box.inflate(-52, 0)
        if v.measure:
            used = self._put(v.measure, 52, sh.CUE if not v.passed else sh.TEXT,
                             pygame.Rect(inner.x, y, inner.width, 180), min_size=36)
            y = used.bottom + 28
        if v.detail:
            rest = pygame.Rect(inner.x, y, inner.width, box.bottom - 20 - y)
            self._put(v.detail, 44, sh.TEXT, rest, min_size=30)

    def _bottom(self, vm: ViewModel) -> None:
        """The status corner, and over the bottom a bar with the notice (check-in, who is
        next, storage faults) beside it when there is one."""
        corner = "   |   ".join(vm.status)
        if not vm.notice:
            box = pygame.Rect(24, BOTTOM_Y + 8, SIZE[0] - 44, SIZE[1] - BOTTOM_Y - 12)
            self._put(corner, 28, sh.DIM, box, "right", "bottom", min_size=16)
            return
        bar = pygame.Rect(0, BOTTOM_Y, SIZE[0], SIZE[1] - BOTTOM_Y)
        pygame.draw.rect(self._surf, sh.RED_DARK if vm.notice_alert else sh.PANEL, bar)
        half = pygame.Rect(SIZE[0] // 2, bar.y + 4, SIZE[0] // 2 - 20, bar.height - 8)
        used = self._put(corner, 22, sh.DIM, half, "right", "center", min_size=14)
        left = pygame.Rect(24, bar.y + 2, max(0, used.left - 24 - 24), bar.height - 4)
        self._put(vm.notice, 34, sh.TEXT if vm.notice_alert else sh.CUE, left, valign="center", min_size=18)
