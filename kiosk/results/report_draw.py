"""Shared pieces of the printed reports: the page, its palette, tables, saving as PNG or PDF,
and the verdicts in force (a coach's override wins over the kiosk's verdict).

Pages are A4 portrait at 150 dpi (1240 x 1754 px), dark ink on white for printing. Text is
pygame's default font through the kiosk's `Text` cache; PASS and FAIL carry a check mark or
a cross as well as a colour, as on the kiosk's screens.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pygame

from kiosk.app.shapes import GREEN, RED, Color, Text, check_mark, cross
from kiosk.report import FAULT_WORDS
from kiosk.results import paths, pdf, verdicts
from kiosk.results.model import RepRow, SessionRow

PAGE_SIZE = (1240, 1754)
MARGIN = 60
PAPER: Color = (255, 255, 255)
INK: Color = (22, 26, 32)
MUTED: Color = (96, 104, 116)
RULE: Color = (200, 205, 212)
STRIPE: Color = (243, 245, 248)
PASS_INK: Color = (18, 120, 62)
FAIL_INK: Color = (196, 36, 36)
ACCENT: Color = (28, 78, 160)


def fault_words(faults: Sequence[str]) -> str:
    """Faults in the words of the kiosk's rep table (kiosk.report.FAULT_WORDS)."""
    return ", ".join(FAULT_WORDS.get(f, f) for f in faults)


def faults_in_force(rep: RepRow) -> tuple[str, ...]:
    """The rep's faults as judged last: the coach's override's, else the kiosk's."""
    return rep.faults_in_force


def depth_in_force(reps: Sequence[RepRow]) -> float | None:
    """Hinge depth from the verdicts in force (verdicts.hinge_depth_in, the one rule)."""
    return verdicts.hinge_depth_in(reps)


@dataclass(frozen=True)
class SessionReps:
    """A session and its reps with the verdicts in force: what the reports draw from."""

    session: SessionRow
    reps: list[RepRow]

    @property
    def totals(self) -> verdicts.Totals:
        """reps, passed, hinge depth, faults: verdicts.totals, as list/show/export print them."""
        return verdicts.totals(self.reps)

    @property
    def depth_in(self) -> float | None:
        return self.totals.hinge_depth_in


def date(utc: str | None) -> str:
    """`2024-05-01` of a stored UTC time; '-' for none."""
    return "-" if not utc else utc[:10]


def fmt(x: float | None, digits: int = 0) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def new_page() -> tuple[pygame.Surface, Text]:
    pygame.font.init()
    surf = pygame.Surface(PAGE_SIZE)
    surf.fill(PAPER)
    return surf, Text()


def header(surf: pygame.Surface, text: Text, title: str, subtitle: str, right: Sequence[str]) -> int:
    """Title band at the top of the page; returns the y below it."""
    text.draw(surf, title, 64, INK, (MARGIN, MARGIN))
    text.draw(surf, subtitle, 34, MUTED, (MARGIN, MARGIN + 56))
    for i, line in enumerate(right):
        text.draw(surf, line, 28, MUTED, (PAGE_SIZE[0] - MARGIN, MARGIN + 6 + 30 * i), "topright")
    y = MARGIN + 104
    pygame.draw.line(surf, INK, (MARGIN, y), (PAGE_SIZE[0] - MARGIN, y), 3)
    return y + 20


def section(surf: pygame.Surface, text: Text, title: str, y: int, note: str = "") -> int:
    """A section title (and a muted note beside it); returns the y below it."""
    r = text.draw(surf, title, 40, INK, (MARGIN, y))
    if note:
        text.draw(surf, note, 26, MUTED, (r.right + 16, r.bottom - 4), "bottomleft")
    return r.bottom + 10


def verdict_cell(surf: pygame.Surface, text: Text, passed: bool, coach: bool, x: int, cy: int) -> None:
    """PASS with a check mark or FAIL with a cross; '(coach)' when a coach set it."""
    (check_mark if passed else cross)(surf, (x + 12, cy), 22, GREEN if passed else RED)
    r = text.draw(surf, "PASS" if passed else "FAIL", 28, PASS_INK if passed else FAIL_INK,
                  (x + 30, cy), "midleft")
    if coach:
        text.draw(surf, "(coach)", 26, INK, (r.right + 6, cy), "midleft")


Cell = str | tuple[bool, bool]  # text, or (passed, by a coach) for a verdict


def table(surf: pygame.Surface, text: Text, x: int, y: int, headers: Sequence[str],
          widths: Sequence[int], rows: Sequence[Sequence[Cell]], right: Sequence[int] = (),
          row_h: int = 36, max_rows: int | None = None) -> int:
    """Columns of `widths` px from x; returns the y below the table. Text cells are cut to fit
    their column; rows beyond max_rows are summarised in one line."""
    total = sum(widths)
    for i, (h, w) in enumerate(zip(headers, widths, strict=True)):
        cx = x + sum(widths[:i])
        at = (cx + w - 8, y + row_h // 2) if i in right else (cx + 6, y + row_h // 2)
        text.draw(surf, h, 26, MUTED, at, "midright" if i in right else "midleft")
    y += row_h
    pygame.draw.line(surf, RULE, (x, y), (x + total, y), 2)
    shown = rows if max_rows is None or len(rows) <= max_rows else rows[: max_rows - 1]
    for n, row in enumerate(shown):
        if n % 2:
            pygame.draw.rect(surf, STRIPE, (x, y, total, row_h))
        cy = y + row_h // 2
        for i, (cell, w) in enumerate(zip(row, widths, strict=True)):
            cx = x + sum(widths[:i])
            if isinstance(cell, tuple):
                verdict_cell(surf, text, cell[0], cell[1], cx + 4, cy)
                continue
            s = fit(text, cell, 28, w - 12)
            text.draw(surf, s, 28, INK, (cx + w - 8, cy) if i in right else (cx + 6, cy),
                      "midright" if i in right else "midleft")
        y += row_h
    if len(shown) < len(rows):
        text.draw(surf, f"... and {len(rows) - len(shown)} more (hinge-kiosk results show)", 26, MUTED,
                  (x + 6, y + row_h // 2), "midleft")
        y += row_h
    pygame.draw.line(surf, RULE, (x, y), (x + total, y), 2)
    return y


def fit(text: Text, s: str, size: int, width_px: int) -> str:
    """s cut with an ellipsis to fit width_px; control characters shown as '?'."""
    s = "".join("?" if ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in s)
    font = text.font(size)
    if font.size(s)[0] <= width_px:
        return s
    while s and font.size(s + "…")[0] > width_px:
        s = s[:-1]
    return s + "…"


def save_page(surf: pygame.Surface, out: Path) -> Path:
    """Write the page to `out` (0600, atomically): a PDF when it ends in .pdf, else a PNG."""
    out = Path(out)
    if out.suffix.lower() == ".pdf":
        data = pdf.image_pdf(surf.get_width(), surf.get_height(), pygame.image.tobytes(surf, "RGB"))
    else:
        buf = io.BytesIO()
        pygame.image.save(surf, buf, "report.png")
        data = buf.getvalue()
    paths.write_private(out, data)
    return out
