"""Text in boxes, for the renderer (moved out of render.py as it was): every piece of text
is put into a box (`_put`): wrapped and, only when it must be, made smaller (down to a floor
per role) and at the last cut short with "...", so no string of any length leaves its box.
Each line drawn is recorded as a `Placed` (what `PygameRenderer.layout` returns).
"""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.app import shapes as sh
from kiosk.app.surface_cache import remembered
from kiosk.palette import Color

TEXT_CACHE_MAX = 400  # rendered lines and fitted texts kept; a full cache starts again


class Text:
    """Font and rendered-text cache (pygame's default font; sizes in pixels)."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}
        self._cache: dict[tuple[str, int, Color], pygame.Surface] = {}
        # fit() measures and wraps with font.size(): ~30 calls a frame, the same texts in
        # the same boxes frame after frame, so its answers are kept (TEXT_CACHE_MAX entries).
        self._fits: dict[tuple[str, int, int, int, int | None], tuple[int, list[str]]] = {}

    def font(self, size: int) -> pygame.font.Font:
        if size not in self._fonts:
            self._fonts[size] = pygame.font.Font(None, size)
        return self._fonts[size]

    def render(self, text: str, size: int, color: Color) -> pygame.Surface:
        return remembered(self._cache, (text, size, color),
                          lambda: self.font(size).render(text, True, color), TEXT_CACHE_MAX)

    def step(self, size: int) -> int:
        """Line pitch at `size`: never less than a rendered line's height (lines never overlap)."""
        return max(self.font(size).get_linesize(), round(size * 0.82))

    def fit(self, text: str, size: int, width_px: int, height_px: int,
            min_size: int | None = None) -> tuple[int, list[str]]:
        """The largest size from `size` down to `min_size` at which `text` (newlines are
        forced breaks) wraps inside width_px x height_px, and its lines. When even min_size
        does not fit, the lines that fit, the last cut short with "...": text never
        overflows its box (an empty list when not one line fits)."""
        s, lines = remembered(self._fits, (text, size, width_px, height_px, min_size),
                              lambda: self._fit(text, size, width_px, height_px, min_size), TEXT_CACHE_MAX)
        return s, list(lines)

    def _fit(self, text: str, size: int, width_px: int, height_px: int,
             min_size: int | None) -> tuple[int, list[str]]:
        lo = size if min_size is None else min(size, min_size)
        paras = text.split("\n")
        s = size
        while True:
            lines = [ln for p in paras for ln in self.wrap(p, s, width_px)]
            f = self.font(s)
            high = f.get_linesize() + self.step(s) * (len(lines) - 1) if lines else 0
            if high <= height_px and all(f.size(ln)[0] <= width_px for ln in lines):
                return s, lines
            if s <= lo:
                break
            s = max(lo, int(s * 0.92))
        f = self.font(s)
        n = 0 if height_px < f.get_linesize() else 1 + (height_px - f.get_linesize()) // self.step(s)
        cut = len(lines) > n
        lines = lines[:n]
        out = []
        for i, ln in enumerate(lines):
            last = i == len(lines) - 1
            if f.size(ln)[0] > width_px or (last and cut):
                ln = self._ellipsize(ln, s, width_px)
            if ln:
                out.append(ln)
        return s, out

    def _ellipsize(self, line: str, size: int, width_px: int) -> str:
        f = self.font(size)
        while line and f.size(line + "...")[0] > width_px:
            line = line[:-1]
        return line.rstrip() + "..." if f.size("...")[0] <= width_px else ""

    def wrap(self, text: str, size: int, width_px: int) -> list[str]:
        words, lines, line = text.split(), [], ""
        for w in words:
            trial = f"{line} {w}".strip()
            if line and self.font(size).size(trial)[0] > width_px:
                lines.append(line)
                line = w
            else:
                line = trial
        return [*lines, line] if line else lines


@dataclass(frozen=True)
class Placed:
    """One line of text as drawn: its words, size, pixels and the box it must stay in.
    layer 0 is the screen, 1 the operator menu drawn over it (its panel hides layer 0);
    role "cue" marks the live cue."""

    text: str
    size: int
    rect: pygame.Rect
    box: pygame.Rect
    layer: int = 0
    role: str = ""


PUT_CACHE_MAX = 300  # boxes of text kept ready to blit; a full cache starts again (as Text)
# A box of text laid out: each line's image and where it goes, its placements, the rectangle taken.
LaidOut = tuple[tuple[tuple[pygame.Surface, pygame.Rect], ...], tuple["Placed", ...], pygame.Rect]


class TextBoxes:
    """Mixin for the renderer: draws on `_surf` with `text` and records each line in `placed`
    (on layer `_layer`). Call TextBoxes.__init__."""

    text: Text
    placed: list[Placed]
    _surf: pygame.Surface
    _layer: int

    def __init__(self) -> None:
        # _put's layouts by its arguments: ~15 boxes a frame, mostly the same ones frame after
        # frame; a layout is a function of the arguments alone (fonts and Text are), so they
        # are the key. Placements are shared between frames: read them, do not change them.
        self._puts: dict[tuple[object, ...], LaidOut | None] = {}

    def _put(self, text: str, size: int, color: sh.Color, box: pygame.Rect, align: str = "left",
             valign: str = "top", min_size: int | None = None, role: str = "") -> pygame.Rect:
        """Draw `text` inside `box` (wrapped; smaller, down to min_size, only when it must be;
        cut short with "..." at the last); returns the rectangle it took (empty at the box's
        top-left when nothing was drawn)."""
        key = (text, size, color, box.x, box.y, box.width, box.height, align, valign, min_size, role,
               self._layer)
        laid = remembered(self._puts, key, lambda: self._lay_out(
            text, size, color, box, align, valign, min_size, role), PUT_CACHE_MAX)
        if laid is None:
            return pygame.Rect(box.x, box.y, 0, 0)
        lines, placed, used = laid
        self._surf.blits(lines, doreturn=False)
        self.placed.extend(placed)
        return used.copy()

    def _lay_out(self, text: str, size: int, color: sh.Color, box: pygame.Rect, align: str, valign: str,
                 min_size: int | None, role: str) -> LaidOut | None:
        """What _put draws: its lines' images and rectangles, placements and the union of the
        rectangles (None for nothing)."""
        floor = min_size if min_size is not None else max(16, size * 2 // 3)
        s, lines = self.text.fit(text, size, box.width, box.height, floor)
        if not lines:
            return None
        step = self.text.step(s)
        high = self.text.font(s).get_linesize() + step * (len(lines) - 1)
        y = box.y + (box.height - high) // 2 if valign == "center" else (
            box.bottom - high if valign == "bottom" else box.y)
        drawn: list[tuple[pygame.Surface, pygame.Rect]] = []
        placed: list[Placed] = []
        for line in lines:
            img = self.text.render(line, s, color)
            r = img.get_rect()
            r.top = y
            if align == "center":
                r.centerx = box.centerx
            elif align == "right":
                r.right = box.right
            else:
                r.left = box.x
            drawn.append((img, r))
            placed.append(Placed(line, s, r.copy(), box.copy(), self._layer, role))
            y += step
        return tuple(drawn), tuple(placed), drawn[0][1].unionall([r for _, r in drawn[1:]])

    def _place_labels(self, labels: list[sh.SceneLabel], area: pygame.Rect) -> None:
        """Scene labels at their first candidate inside `area`, clear of the others and of
        what each avoids (smaller if none is; left out rather than drawn over something)."""
        taken: list[pygame.Rect] = []
        for lab in labels:
            for size in (lab.size, lab.size * 3 // 4):
                img = self.text.render(lab.text, size, lab.color)
                spot = None
                for pos, anchor in lab.at:
                    r = img.get_rect(**{anchor: pos})
                    if area.contains(r) and r.collidelist(taken) < 0 and r.collidelist(lab.avoid) < 0:
                        spot = r
                        break
                if spot is not None:
                    self._surf.blit(img, spot)
                    taken.append(spot)
                    self.placed.append(Placed(lab.text, size, spot.copy(), area.copy(), self._layer))
                    break
