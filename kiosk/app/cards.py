"""The renderer's screens besides the live and attract ones (moved out of render.py as they
were): the result card and the full-screen statuses, the operator menu drawn over any
screen, and the steps strip and header the live screen shares. Drawn on `_surf` through
TextBoxes; sizes in pixels on the 1280x720 canvas.
"""

from __future__ import annotations

import pygame

from kiosk.app import shapes as sh
from kiosk.app.textbox import TextBoxes
from kiosk.app.view_model import ViewModel

SIZE = (1280, 720)
BOTTOM_Y = 668  # the status corner and the notice bar live below this
STEPS = (("stance", "Get set"), ("dowel", "Dowel"), ("wall", "Wall"), ("result", "Result"))


class Cards(TextBoxes):
    """Mixin for the renderer (as TextBoxes)."""

    def _steps(self, key: str, right: int, y: int, size: int = 34) -> int:
        """The steps strip (Get set, Dowel, Wall, Result), right-aligned at `right`; returns
        its left edge."""
        x = right
        for step_key, label in reversed(STEPS):
            current = key.startswith(step_key)
            img = self.text.render(label, size, sh.BG if current else sh.DIM)
            chip = img.get_rect(topright=(x, y)).inflate(20, 12)
            chip.topright = (x, y)
            if current:
                pygame.draw.rect(self._surf, sh.CUE, chip, border_radius=10)
            self._put(label, size, sh.BG if current else sh.DIM, chip, "center", "center")
            x = chip.left - 8
        return x

    def _header(self, title: str, key: str) -> None:
        left = self._steps(key, SIZE[0] - 24, 34)
        self._put(title, 88, sh.TEXT, pygame.Rect(28, 12, left - 28 - 24, 92), valign="center", min_size=48)

    def _result(self, vm: ViewModel) -> None:
        self._header(vm.title, vm.key)
        stats = dict(vm.stats)
        panel = pygame.Rect(24, 112, 600, 330)
        pygame.draw.rect(self._surf, sh.PANEL, panel, border_radius=16)
        inner = panel.inflate(-60, 0)
        self._put("Hinge depth", 48, sh.DIM, pygame.Rect(inner.x, panel.y + 20, inner.width, 44))
        depth = pygame.Rect(inner.x, panel.y + 70, inner.width, 130)
        self._put(stats.get("Hinge depth", "-"), 150, sh.TEXT, depth, valign="center", min_size=72)
        note = pygame.Rect(inner.x, panel.y + 208, inner.width, 30)
        self._put(stats.get("Depth note", ""), 32, sh.DIM, note, min_size=22)
        nxt = stats.get("Next wall", "")
        if nxt:
            self._put(nxt, 40, sh.CUE, pygame.Rect(inner.x, panel.y + 248, inner.width, 70), min_size=26)
        right = pygame.Rect(660, 112, SIZE[0] - 660 - 24, 330)
        saved = stats.get("Saved", "")
        saved_box = pygame.Rect(right.x + 52, right.bottom - 62, right.width - 52, 62)
        y = right.y + 8
        self._put("Reps", 32, sh.DIM, pygame.Rect(right.x, y, right.width, 30))
        reps = pygame.Rect(right.x, y + 32, right.width, 42)
        y = self._put(stats.get("Reps", "-"), 48, sh.TEXT, reps).bottom + 14
        self._put("Faults seen", 32, sh.DIM, pygame.Rect(right.x, y, right.width, 30))
        end = (saved_box.y if saved else right.bottom) - 8
        faults = pygame.Rect(right.x, y + 34, right.width, end - y - 34)
        self._put(stats.get("Faults seen", "-"), 40, sh.TEXT, faults, min_size=22)
        if saved:  # said only once the store has it on disk (results_writer)
            ok = saved.startswith("Saved")
            if ok:
                sh.check_mark(self._surf, (right.x + 20, saved_box.centery), 36, sh.GREEN)
            else:
                saved_box = pygame.Rect(right.x, saved_box.y, right.width, saved_box.height)
            self._put(saved, 36, sh.GREEN if ok else sh.RED, saved_box, valign="center", min_size=20)
        cue_box = pygame.Rect(24, 458, SIZE[0] - 48, 150)
        pygame.draw.rect(self._surf, sh.PANEL, cue_box, border_radius=16)
        self._put("Coaching cue", 36, sh.DIM, pygame.Rect(cue_box.x + 30, cue_box.y + 14, 600, 34))
        self._put(vm.lines[0] if vm.lines else "", 64, sh.CUE,
                  pygame.Rect(cue_box.x + 30, cue_box.y + 52, cue_box.width - 60, cue_box.height - 60),
                  valign="center", min_size=36)
        if len(vm.lines) > 1:
            self._put(vm.lines[1], 44, sh.TEXT, pygame.Rect(24, 616, SIZE[0] - 48, 46), "center", min_size=30)

    def _status(self, vm: ViewModel) -> None:
        color = sh.RED if vm.alert else sh.CUE
        centre = (SIZE[0] // 2, 150)
        pygame.draw.circle(self._surf, color if vm.alert else sh.PANEL, centre, 70, 10)
        if vm.alert:
            sh.cross(self._surf, centre, 80, color)
        else:  # a turning arc: the kiosk is busy, not stuck
            start = -vm.t_s * 4.0
            ring = pygame.Rect(centre[0] - 50, centre[1] - 50, 100, 100)
            pygame.draw.arc(self._surf, color, ring, start, start + 4.0, 12)
        title = pygame.Rect(60, 240, SIZE[0] - 120, 150)
        used = self._put(vm.title, 80, sh.TEXT, title, "center", min_size=44)
        if vm.lines:
            top = used.bottom + 30
            self._put("\n".join(vm.lines), 52, sh.DIM if vm.alert else sh.CUE,
                      pygame.Rect(80, top, SIZE[0] - 160, BOTTOM_Y - 8 - top), "center", min_size=24)

    def _menu(self, vm: ViewModel) -> None:
        assert vm.menu is not None
        shade = pygame.Surface(SIZE, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 190))
        self._surf.blit(shade, (0, 0))
        rows = len(vm.menu.lines)
        box = pygame.Rect(0, 0, 940, min(SIZE[1] - 40, 150 + 48 * rows + (96 if vm.menu.message else 0)))
        box.center = (SIZE[0] // 2, SIZE[1] // 2)
        pygame.draw.rect(self._surf, sh.PANEL, box, border_radius=16)
        pygame.draw.rect(self._surf, sh.CUE, box, 4, border_radius=16)
        inner = box.inflate(-80, 0)
        self._put(vm.menu.title, 52, sh.TEXT, pygame.Rect(inner.x, box.y + 28, inner.width, 50), min_size=30)
        msg_h = 90 if vm.menu.message else 0
        lines = pygame.Rect(inner.x, box.y + 100, inner.width, box.bottom - 24 - msg_h - box.y - 100)
        used = self._put("\n".join(vm.menu.lines), 44, sh.TEXT, lines, min_size=22)
        if vm.menu.message:
            top = max(used.bottom, lines.y) + 16
            msg = pygame.Rect(inner.x, top, inner.width, box.bottom - 20 - top)
            self._put(vm.menu.message, 38, sh.RED, msg, min_size=22)
