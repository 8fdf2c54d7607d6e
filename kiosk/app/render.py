"""Draws a ViewModel with pygame (pygame-ce) on a 1280x720 canvas, scaled to the screen.

Fullscreen through SDL's KMSDRM driver on the Pi (no desktop), a window with --windowed,
and SDL's dummy driver when headless (tests, screenshots). Big type, high contrast; pass
and fail are told by a check mark or a cross and by words, not only by colour. The
camera/calibration/sound status is always in the bottom corner. Also turns keyboard and
USB keypad presses into key names for the operator menu.
"""

from __future__ import annotations

import os
from pathlib import Path

import pygame

from kiosk.app import shapes as sh
from kiosk.app.view import VerdictView, ViewModel

SIZE = (1280, 720)
SCENE_RECT = pygame.Rect(24, 112, 736, 556)
COLUMN_X = 792
STEPS = (("stance", "Get set"), ("dowel", "Dowel"), ("wall", "Wall"), ("result", "Result"))

_KEYS: dict[int, str] = {
    pygame.K_RETURN: "enter", pygame.K_KP_ENTER: "enter", pygame.K_BACKSPACE: "backspace",
    pygame.K_ESCAPE: "escape", pygame.K_TAB: "menu", pygame.K_F1: "menu", pygame.K_KP_MULTIPLY: "menu",
    pygame.K_ASTERISK: "menu",
    **{getattr(pygame, f"K_{d}"): str(d) for d in range(10)},
    **{getattr(pygame, f"K_KP{d}"): str(d) for d in range(10)},
}


def key_name(event_key: int) -> str:
    """A pygame key code as the operator menu's key name ("0"-"9", "enter", "menu", letters)."""
    return _KEYS.get(event_key) or pygame.key.name(event_key)


class PygameRenderer:
    """Owns the display. `draw(vm)` once per loop iteration; `poll()` returns key names
    (and "quit" for the window's close button)."""

    def __init__(self, windowed: bool = False) -> None:
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
        self.text = sh.Text()

    @property
    def driver(self) -> str:
        return str(pygame.display.get_driver())

    def poll(self) -> list[str]:
        keys: list[str] = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                keys.append("quit")
            elif event.type == pygame.KEYDOWN:
                # A typed character as itself (case kept: badge and roster ids); named keys
                # (Enter, Tab, keypad digits) by name.
                ch = event.unicode if isinstance(event.unicode, str) else ""
                printable = len(ch) == 1 and ch.isprintable() and not ch.isspace()
                keys.append(_KEYS.get(event.key) or (ch if printable else key_name(event.key)))
        return keys

    def draw(self, vm: ViewModel) -> None:
        c = self.canvas
        c.fill(sh.BG)
        if vm.kind == "attract":
            self._attract(vm)
        elif vm.kind == "result":
            self._result(vm)
        elif vm.kind == "status":
            self._status(vm)
        else:
            self._live(vm)
        self._corner(vm)
        if vm.notice:
            self._notice(vm.notice, vm.notice_alert)
        if vm.menu is not None:
            self._menu(vm)
        if c is not self.screen:
            pygame.transform.scale(c, self.screen.get_size(), self.screen)
        pygame.display.flip()

    def save(self, path: Path) -> None:
        pygame.image.save(self.canvas, str(path))

    def close(self) -> None:
        pygame.display.quit()

    # --- layouts -------------------------------------------------------------------------

    def _header(self, title: str, key: str) -> None:
        self.text.draw(self.canvas, title, 88, sh.TEXT, (28, 20))
        x = SIZE[0] - 24
        for step_key, label in reversed(STEPS):
            current = key.startswith(step_key)
            img = self.text.render(label, 34, sh.BG if current else sh.DIM)
            r = img.get_rect(topright=(x, 34)).inflate(24, 14)
            if current:
                pygame.draw.rect(self.canvas, sh.CUE, r, border_radius=10)
            self.canvas.blit(img, img.get_rect(center=r.center))
            x = r.left - 8

    def _lines(self, lines: tuple[str, ...], x: int, y: int, size: int, width: int, color: sh.Color) -> int:
        for line in lines:
            for part in self.text.wrap(line, size, width):
                self.text.draw(self.canvas, part, size, color, (x, y))
                y += round(size * 0.82)
        return y

    def _attract(self, vm: ViewModel) -> None:
        self.text.draw(self.canvas, vm.title, 120, sh.TEXT, (SIZE[0] // 2, 40), "midtop")
        demo = pygame.Rect(40, 170, 600, 480)
        pygame.draw.rect(self.canvas, sh.PANEL, demo, border_radius=16)
        sh.draw_demo(self.canvas, demo, vm.t_s, mirror=vm.arrow == "left")
        if vm.arrow is not None:  # the way to face, once the station knows it
            right = vm.arrow == "right"
            x = demo.right - 110 if right else demo.x + 110
            # Mid-height on the facing side: clear of the demo's head, which hinges forward
            # over the top of that side.
            sh.arrow(self.canvas, (x, demo.y + 300), 150, right, sh.CUE)
            self.text.draw(self.canvas, "Face this way", 36, sh.CUE, (x, demo.y + 336), "midtop")
        y = 200
        for i, line in enumerate(vm.lines, 1):
            pygame.draw.circle(self.canvas, sh.CUE, (712, y + 26), 30)
            self.text.draw(self.canvas, str(i), 52, sh.BG, (712, y + 26), "center")
            y = self._lines((line,), 764, y + 4, 56, 480, sh.TEXT) + 56

    def _live(self, vm: ViewModel) -> None:
        self._header(vm.title, vm.key)
        if vm.scene is not None:
            sh.draw_scene(self.canvas, vm.scene, SCENE_RECT, bool(vm.checks), self.text)
        else:
            pygame.draw.rect(self.canvas, sh.PANEL, SCENE_RECT, border_radius=12)
        y = 124
        for label, value in vm.stats:
            self.text.draw(self.canvas, label, 36, sh.DIM, (COLUMN_X, y))
            color = sh.GREEN if value == "TOUCH" else sh.TEXT
            self.text.draw(self.canvas, value, 76, color, (COLUMN_X, y + 30))
            y += 104
        y = self._lines(vm.lines, COLUMN_X, y + 12, 48, SIZE[0] - COLUMN_X - 24, sh.CUE)
        if vm.checks:
            y = self._checks(vm.checks, y + 24)
        if vm.progress is not None:
            bar = pygame.Rect(COLUMN_X, y + 16, SIZE[0] - COLUMN_X - 40, 30)
            pygame.draw.rect(self.canvas, sh.PANEL, bar, border_radius=15)
            fill = bar.copy()
            fill.width = max(30, round(bar.width * min(1.0, vm.progress)))
            pygame.draw.rect(self.canvas, sh.GREEN, fill, border_radius=15)
        if vm.arrow is not None:
            sh.arrow(self.canvas, (COLUMN_X + 200, y + 90), 260, vm.arrow == "right", sh.CUE)
        if vm.verdict is not None:
            self._verdict(vm.verdict)

    def _checks(self, checks: tuple[tuple[str, bool | None], ...], y: int) -> int:
        """The arrival checklist: a check mark, a cross, or "..." (not told yet) per item."""
        for label, ok in checks:
            icon = (COLUMN_X + 24, y + 22)
            if ok is True:
                sh.check_mark(self.canvas, icon, 44, sh.GREEN)
            elif ok is False:
                sh.cross(self.canvas, icon, 40, sh.RED)
            else:
                self.text.draw(self.canvas, "...", 44, sh.DIM, icon, "center")
            self.text.draw(self.canvas, label, 42, sh.TEXT if ok else sh.DIM, (COLUMN_X + 60, y + 6))
            y += 62
        return y

    def _verdict(self, v: VerdictView) -> None:
        """The rep's verdict over the right-hand column, so the silhouette, wall and dowel
        the athlete is judged on stay in view; drawn last, it hides the live stats while
        it shows (flow.verdict_s)."""
        box = pygame.Rect(COLUMN_X - 16, SCENE_RECT.y, SIZE[0] - COLUMN_X, SCENE_RECT.height)
        pygame.draw.rect(self.canvas, sh.GREEN_DARK if v.passed else sh.RED_DARK, box, border_radius=16)
        pygame.draw.rect(self.canvas, sh.GREEN if v.passed else sh.RED, box, 6, border_radius=16)
        icon = (box.x + 80, box.y + 92)
        (sh.check_mark if v.passed else sh.cross)(self.canvas, icon, 120, sh.TEXT)
        self.text.draw(self.canvas, v.headline, 128, sh.TEXT, (box.x + 160, box.y + 30))
        cue_color = sh.TEXT if v.passed else sh.CUE
        y = self._lines((v.cue,), box.x + 28, box.y + 190, 50, box.width - 56, cue_color)
        if v.detail:
            self._lines((v.detail,), box.x + 28, y + 36, 40, box.width - 56, sh.TEXT)

    def _result(self, vm: ViewModel) -> None:
        self._header(vm.title, vm.key)
        stats = dict(vm.stats)
        panel = pygame.Rect(24, 112, 600, 330)
        pygame.draw.rect(self.canvas, sh.PANEL, panel, border_radius=16)
        self.text.draw(self.canvas, "Hinge depth", 52, sh.DIM, (panel.x + 30, panel.y + 26))
        self.text.draw(self.canvas, stats.get("Hinge depth", "-"), 170, sh.TEXT, (panel.x + 30, panel.y + 90))
        self.text.draw(self.canvas, "furthest wall reached with good form", 32, sh.DIM,
                       (panel.x + 30, panel.bottom - 50))
        y = 124
        for label in ("Reps", "Faults seen"):
            self.text.draw(self.canvas, label, 36, sh.DIM, (660, y))
            y = self._lines((stats.get(label, "-"),), 660, y + 34, 50, SIZE[0] - 660 - 24, sh.TEXT) + 24
        saved = stats.get("Saved", "")
        if saved:  # said only once the store has it on disk (results_writer)
            ok = saved.startswith("Saved")
            if ok:
                sh.check_mark(self.canvas, (680, y + 22), 36, sh.GREEN)
            x = 712 if ok else 660
            self._lines((saved,), x, y + 4, 38, SIZE[0] - x - 24, sh.GREEN if ok else sh.RED)
        cue_box = pygame.Rect(24, 462, SIZE[0] - 48, 150)
        pygame.draw.rect(self.canvas, sh.PANEL, cue_box, border_radius=16)
        self.text.draw(self.canvas, "Coaching cue", 40, sh.DIM, (cue_box.x + 30, cue_box.y + 18))
        self._lines(vm.lines[:1], cue_box.x + 30, cue_box.y + 60, 60, cue_box.width - 60, sh.CUE)
        if len(vm.lines) > 1:
            self.text.draw(self.canvas, vm.lines[1], 44, sh.TEXT, (SIZE[0] // 2, 630), "midtop")

    def _status(self, vm: ViewModel) -> None:
        color = sh.RED if vm.alert else sh.CUE
        centre = (SIZE[0] // 2, 170)
        pygame.draw.circle(self.canvas, color if vm.alert else sh.PANEL, centre, 70, 10)
        if vm.alert:
            sh.cross(self.canvas, centre, 80, color)
        else:  # a turning arc: the kiosk is busy, not stuck
            start = -vm.t_s * 4.0
            ring = pygame.Rect(centre[0] - 50, centre[1] - 50, 100, 100)
            pygame.draw.arc(self.canvas, color, ring, start, start + 4.0, 12)
        y = 270
        for part in self.text.wrap(vm.title, 72, SIZE[0] - 120):
            self.text.draw(self.canvas, part, 72, sh.TEXT, (SIZE[0] // 2, y), "midtop")
            y += 64
        for line in vm.lines:
            for part in self.text.wrap(line, 44, SIZE[0] - 160):
                color = sh.DIM if vm.alert else sh.CUE
                self.text.draw(self.canvas, part, 44, color, (SIZE[0] // 2, y + 20), "midtop")
                y += 44

    def _corner(self, vm: ViewModel) -> None:
        text = "   |   ".join(vm.status)
        self.text.draw(self.canvas, text, 28, sh.DIM, (SIZE[0] - 20, SIZE[1] - 10), "bottomright")

    def _notice(self, text: str, alert: bool) -> None:
        """A bar along the bottom over the status corner: check-in, who is next, storage faults."""
        bar = pygame.Rect(0, SIZE[1] - 52, SIZE[0], 52)
        pygame.draw.rect(self.canvas, sh.RED_DARK if alert else sh.PANEL, bar)
        self.text.draw(self.canvas, text[:90], 34, sh.TEXT if alert else sh.CUE, (24, bar.centery), "midleft")

    def _menu(self, vm: ViewModel) -> None:
        assert vm.menu is not None
        shade = pygame.Surface(SIZE, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 190))
        self.canvas.blit(shade, (0, 0))
        box = pygame.Rect(0, 0, 860, 150 + 41 * len(vm.menu.lines) + (56 if vm.menu.message else 0))
        box.center = (SIZE[0] // 2, SIZE[1] // 2 - 10)
        pygame.draw.rect(self.canvas, sh.PANEL, box, border_radius=16)
        pygame.draw.rect(self.canvas, sh.CUE, box, 4, border_radius=16)
        self.text.draw(self.canvas, vm.menu.title, 52, sh.TEXT, (box.x + 40, box.y + 30))
        y = self._lines(vm.menu.lines, box.x + 40, box.y + 110, 50, box.width - 80, sh.TEXT)
        if vm.menu.message:
            self.text.draw(self.canvas, vm.menu.message, 40, sh.RED, (box.x + 40, y + 16))
