"""Where the fallback notice's text goes on the screen, and drawing it there.

Every text is wrapped, shrunk and at last cut to fit its box: `fit` tries sizes from large
to small, breaks words wider than the box, and at the smallest size drops or ellipsizes what
does not fit. Nothing is ever placed outside its box, whatever the log says (pixels
throughout; the design canvas is SIZE, others are scaled from it).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import pygame

from kiosk.fallback_screen.notice import LABEL, Notice, Para
from kiosk.palette import BG, DIM, PANEL, Color

SIZE = (1280, 720)
MONO_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",  # fonts-dejavu-core (install.sh)
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
)

# The log's inset, between BG and PANEL: a well inside the panel (not in kiosk/palette.py).
INSET: Color = (20, 24, 31)


class Fonts:
    """pygame's default font (as the kiosk's screens) and a monospaced one for log lines and
    commands (DejaVu Sans Mono when installed, else the default font)."""

    def __init__(self) -> None:
        pygame.font.init()
        self.mono_path = next((p for p in MONO_FONTS if os.path.isfile(p)), None)
        self._cache: dict[tuple[bool, int], pygame.font.Font] = {}

    def get(self, mono: bool, size: int) -> pygame.font.Font:
        key = (mono, size)
        if key not in self._cache:
            path = self.mono_path if mono else None
            # The default font is drawn smaller than a TTF at the same size; scale the mono one
            # down so the two look alike next to each other.
            self._cache[key] = pygame.font.Font(path, round(size * 0.68) if path else size)
        return self._cache[key]


@dataclass(frozen=True)
class Placed:
    """One line of text where it is drawn; `box` is the area it must stay inside."""

    text: str
    rect: tuple[int, int, int, int]
    box: tuple[int, int, int, int]
    size: int
    mono: bool
    color: Color


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    panels: list[tuple[tuple[int, int, int, int], Color]] = field(default_factory=list)
    lines: list[Placed] = field(default_factory=list)


def _break_word(font: pygame.font.Font, word: str, width: int) -> list[str]:
    """A word wider than the box (a path, a hash) split into pieces that fit."""
    pieces, cur = [], ""
    for ch in word:
        if cur and font.size(cur + ch)[0] > width:
            pieces.append(cur)
            cur = ch
        else:
            cur += ch
    return [*pieces, cur] if cur else pieces


def wrap(font: pygame.font.Font, text: str, width: int) -> list[str]:
    """Word-wrap `text` to lines no wider than `width` pixels; long words are broken."""
    lines: list[str] = []
    cur = ""
    for word in text.split(" "):
        trial = f"{cur} {word}" if cur else word
        if font.size(trial)[0] <= width:
            cur = trial
            continue
        if cur:
            lines.append(cur)
        if font.size(word)[0] <= width:
            cur = word
        else:
            *full, cur = _break_word(font, word, width) or [""]
            lines.extend(full)
    if cur or not lines:
        lines.append(cur)
    return lines


def _ellipsize(font: pygame.font.Font, text: str, width: int) -> str:
    while text and font.size(text + "…")[0] > width:
        text = text[:-1]
    return text.rstrip() + "…"


def fit(fonts: Fonts, paras: Sequence[Para], box: pygame.Rect, max_size: int, min_size: int,
        keep_last: bool = False) -> list[Placed]:
    """Lay paragraphs out top-down in `box`: the largest size from max_size down to min_size at
    which all of them fit; else, at min_size, as much as fits (with `keep_last`, whole leading
    paragraphs are dropped first so the newest log line stays) and the last line visible is
    cut with an ellipsis. Nothing is ever placed outside `box`."""
    size = max_size
    while True:
        placed = _place(fonts, paras, box, size)
        if placed is not None:
            return placed
        if size <= min_size:
            break
        size = max(min_size, size - 2)
    paras = list(paras)
    while keep_last and len(paras) > 1:
        paras = paras[1:]
        placed = _place(fonts, paras, box, min_size)
        if placed is not None:
            return placed
    return _place(fonts, paras, box, min_size, truncate=True) or []


def _place(fonts: Fonts, paras: Sequence[Para], box: pygame.Rect, size: int,
           truncate: bool = False) -> list[Placed] | None:
    """The paragraphs at one size, or None when they do not all fit (with `truncate`: the
    lines that fit, the last one cut with an ellipsis when more would follow)."""
    gap = size // 4
    items: list[tuple[str, Para, pygame.font.Font, bool]] = []
    for p in paras:
        font = fonts.get(p.mono, size)
        wrapped = wrap(font, p.text, box.w)
        if p.one_line and len(wrapped) > 1 and not truncate:
            return None
        items += [(text, p, font, j == len(wrapped) - 1) for j, text in enumerate(wrapped)]
    out: list[Placed] = []
    b = (box.x, box.y, box.w, box.h)
    y = box.top
    for k, (text, p, font, ends_para) in enumerate(items):
        if y + font.get_height() > box.bottom:
            return out if truncate else None
        next_y = y + font.get_linesize() + (gap if ends_para else 0)
        cut = truncate and k + 1 < len(items) and next_y + items[k + 1][2].get_height() > box.bottom
        if cut:
            text = _ellipsize(font, text, box.w)
        out.append(Placed(text, (box.x, y, font.size(text)[0], font.get_height()), b, size, p.mono, p.color))
        if cut:
            break
        y = next_y
    return out


def layout(notice: Notice, fonts: Fonts, size: tuple[int, int] = SIZE) -> Layout:
    """Where everything goes on a `size` canvas (designed at 1280x720, scaled for others)."""
    sw, sh = size
    sx, sy = sw / SIZE[0], sh / SIZE[1]

    def r(x: float, y: float, w: float, h: float) -> pygame.Rect:
        return pygame.Rect(round(x * sx), round(y * sy), round(w * sx), round(h * sy))

    def px(n: int) -> int:
        return max(8, round(n * min(sx, sy)))

    out = Layout(size)
    lines = out.lines
    lines += fit(fonts, [Para(notice.title)], r(56, 34, 1168, 70), px(84), px(40))
    lines += fit(fonts, [Para(notice.subtitle, color=DIM)], r(56, 108, 1168, 40), px(42), px(24))
    panel = r(36, 166, 1208, 530)
    out.panels.append(((panel.x, panel.y, panel.w, panel.h), PANEL))
    x, w = 64, 1152
    lines += fit(fonts, [Para("What happened", color=LABEL)], r(x, 184, w, 30), px(34), px(20))
    lines += fit(fonts, notice.what, r(x, 218, w, 64), px(40), px(24))
    lines += fit(fonts, [Para("Last lines in its log", color=LABEL)], r(x, 292, w, 30), px(34), px(20))
    inset = r(x, 326, w, 124)
    out.panels.append(((inset.x, inset.y, inset.w, inset.h), INSET))
    lines += fit(fonts, notice.log, inset.inflate(-round(28 * sx), -round(20 * sy)), px(32), px(24),
                 keep_last=True)
    lines += fit(fonts, [Para("What staff can do", color=LABEL)], r(x, 466, w, 30), px(34), px(20))
    lines += fit(fonts, notice.actions, r(x, 500, w, 184), px(38), px(22))
    return out


def draw(surface: pygame.Surface, lay: Layout, fonts: Fonts) -> None:
    surface.fill(BG)
    for (x, y, w, h), color in lay.panels:
        pygame.draw.rect(surface, color, pygame.Rect(x, y, w, h), border_radius=max(4, h // 40))
    for p in lay.lines:
        img = fonts.get(p.mono, p.size).render(p.text, True, p.color)
        surface.blit(img, p.rect[:2])
