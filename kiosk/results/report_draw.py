"""Shared pieces of the printed reports, drawn with matplotlib: the A4 page, header, sections,
cards, tables, and saving as a multi-page PDF (real, searchable text) or PNG pages.

matplotlib is the optional `reports` extra (too big for the kiosk's install budget);
`require_matplotlib()` turns its absence into one StoreError line naming the extra. Text is
DejaVu Sans (matplotlib's own font) embedded as TrueType (`pdf.fonttype = 42`), so a PDF's
words can be searched, copied and read by pdftotext. Positions are in inches from the
page's top-left corner; the figure is A4 portrait. PASS and FAIL carry a check mark or a
cross as well as a colour, as on the kiosk's screens.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.results import paths
from kiosk.results.model import StoreError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PAGE_IN = (8.27, 11.69)  # A4 portrait
MARGIN_IN = 0.55
PNG_DPI = 150
INK = "#161a20"
MUTED = "#606874"
RULE = "#c8cdd4"
STRIPE = "#f3f5f8"
ACCENT = "#1c4ea0"
LIGHT = "#82a5dc"
PASS_INK = "#12783e"
FAIL_INK = "#c42424"
BAND = "#f5b041"  # target bands
NEEDS_EXTRA = "reports need matplotlib, which is not installed: pip install 'hinge-kiosk[reports]'"
Cell = str | tuple[bool, bool]  # text, or (passed, set by a coach) for a verdict


def require_matplotlib() -> None:
    """Load matplotlib (off-screen, real-text PDF fonts) or raise StoreError naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise StoreError(NEEDS_EXTRA) from None
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams.update({
        "pdf.fonttype": 42, "ps.fonttype": 42, "font.family": "DejaVu Sans", "font.size": 8.5,
        "axes.edgecolor": RULE, "axes.labelcolor": MUTED, "xtick.color": MUTED, "ytick.color": MUTED,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10,
        "axes.titleweight": "bold", "axes.titlecolor": INK, "axes.titlelocation": "left",
        "svg.fonttype": "none", "pdf.compression": 6,
    })


class Page:
    """One A4 page: a matplotlib Figure with helpers placed in inches from the top left."""

    def __init__(self) -> None:
        from matplotlib.figure import Figure

        self.fig: Figure = Figure(figsize=PAGE_IN)
        self.fig.patch.set_facecolor("white")

    def _y(self, y_in: float) -> float:
        return 1.0 - y_in / PAGE_IN[1]

    def _x(self, x_in: float) -> float:
        return x_in / PAGE_IN[0]

    def text(self, x_in: float, y_in: float, s: str, size: float = 8.5, color: str = INK,
             ha: str = "left", va: str = "top", weight: str = "normal") -> None:
        self.fig.text(self._x(x_in), self._y(y_in), s, fontsize=size, color=color, ha=ha, va=va,
                      fontweight=weight)

    def rect(self, x_in: float, y_in: float, w_in: float, h_in: float, color: str) -> None:
        from matplotlib.patches import Rectangle

        self.fig.add_artist(Rectangle((self._x(x_in), self._y(y_in + h_in)), w_in / PAGE_IN[0],
                                      h_in / PAGE_IN[1], transform=self.fig.transFigure, color=color,
                                      zorder=0, linewidth=0))

    def rule(self, y_in: float, color: str = INK, width: float = 1.2) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D([self._x(MARGIN_IN), self._x(PAGE_IN[0] - MARGIN_IN)],
                                   [self._y(y_in)] * 2, color=color, linewidth=width,
                                   transform=self.fig.transFigure))

    def axes(self, x_in: float, y_in: float, w_in: float, h_in: float) -> Axes:
        """Axes whose frame is the box (x, y, w, h) in inches from the top left."""
        return self.fig.add_axes((self._x(x_in), self._y(y_in + h_in), w_in / PAGE_IN[0], h_in / PAGE_IN[1]))

    def header(self, title: str, subtitle: str, right: Sequence[str]) -> float:
        """Title band; returns the y (inches) below it."""
        room = PAGE_IN[0] - 2 * MARGIN_IN - max((width_in(r, 9) for r in right), default=0.0) - 0.25
        self.text(MARGIN_IN, MARGIN_IN, clip(title, 20, room, bold=True), 20, weight="bold")
        self.text(MARGIN_IN, MARGIN_IN + 0.42, clip(subtitle, 11, room), 11, MUTED)
        for i, line in enumerate(right):
            self.text(PAGE_IN[0] - MARGIN_IN, MARGIN_IN + 0.02 + 0.19 * i, line, 9, MUTED, ha="right")
        self.rule(MARGIN_IN + 0.72)
        return MARGIN_IN + 0.87

    def section(self, y_in: float, title: str, note: str = "") -> float:
        """A section title (and a muted note under it, wrapped); returns the y below it."""
        self.text(MARGIN_IN, y_in, title, 12, weight="bold")
        y = y_in + 0.3
        if note:
            y = self.para(MARGIN_IN, y - 0.05, note, 8, PAGE_IN[0] - 2 * MARGIN_IN, MUTED) + 0.06
        return y

    def para(self, x_in: float, y_in: float, s: str, size: float, width: float, color: str = INK) -> float:
        """s wrapped to `width` inches from (x, y); returns the y below it."""
        for line in wrap(s, size, width):
            self.text(x_in, y_in, line, size, color)
            y_in += size * 1.35 / 72.0
        return y_in

    def cards(self, y_in: float, items: Sequence[tuple[str, str, str]], h_in: float = 0.82) -> float:
        """A row of number cards (label, value, note); returns the y below them."""
        gap = 0.12
        w = (PAGE_IN[0] - 2 * MARGIN_IN - gap * (len(items) - 1)) / len(items)
        for i, (label, value, note) in enumerate(items):
            x = MARGIN_IN + i * (w + gap)
            self.rect(x, y_in, w, h_in, STRIPE)
            self.text(x + 0.1, y_in + 0.08, clip(label, 8, w - 0.15), 8, MUTED)
            self.text(x + 0.1, y_in + 0.26, value, 17, INK, weight="bold")
            self.text(x + 0.1, y_in + h_in - 0.08, clip(note, 7.5, w - 0.15), 7.5, MUTED, va="bottom")
        return y_in + h_in

    def footer(self, note: str, page: int, pages: int) -> None:
        y = PAGE_IN[1] - MARGIN_IN + 0.1
        self.text(MARGIN_IN, y, note, 7, MUTED, va="bottom")
        self.text(PAGE_IN[0] - MARGIN_IN, y, f"page {page} of {pages}", 7, MUTED, ha="right", va="bottom")

    def table(self, y_in: float, headers: Sequence[str], widths_in: Sequence[float],
              rows: Sequence[Sequence[Cell]], right: Sequence[int] = (), row_h_in: float = 0.22,
              size: float = 8.5) -> float:
        """Columns of `widths_in` from the left margin; text cut to fit; returns the y below."""
        xs = [MARGIN_IN + sum(widths_in[:i]) for i in range(len(widths_in))]
        total = sum(widths_in)

        def put(i: int, y: float, s: str, color: str, sz: float) -> None:
            s = clip(s, sz, widths_in[i] - 0.1)
            if i in right:
                self.text(xs[i] + widths_in[i] - 0.06, y, s, sz, color, ha="right", va="center")
            else:
                self.text(xs[i] + 0.05, y, s, sz, color, va="center")

        for i, h in enumerate(headers):
            put(i, y_in + row_h_in / 2, h, MUTED, size - 0.5)
        y = y_in + row_h_in
        self.rule(y, RULE, 0.8)
        for n, row in enumerate(rows):
            if n % 2:
                self.rect(MARGIN_IN, y, total, row_h_in, STRIPE)
            for i, cell in enumerate(row):
                if isinstance(cell, tuple):
                    passed, coach = cell
                    word = ("\u2713 PASS" if passed else "\u2717 FAIL") + (" (coach)" if coach else "")
                    put(i, y + row_h_in / 2, word, PASS_INK if passed else FAIL_INK, size)
                else:
                    put(i, y + row_h_in / 2, cell, INK, size)
            y += row_h_in
        self.rule(y, RULE, 0.8)
        return y


def width_in(s: str, size_pt: float, bold: bool = False) -> float:
    """The printed width of s in DejaVu Sans at size_pt (matplotlib's text layout)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    if not s:
        return 0.0
    prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return float(TextPath((0, 0), s, size=size_pt, prop=prop).get_extents().x1) / 72.0


def clip(s: str, size_pt: float, width: float, bold: bool = False) -> str:
    """s without control characters, cut with an ellipsis to fit `width` inches."""
    s = "".join("?" if ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in s)
    if width_in(s, size_pt, bold) <= width:
        return s
    lo, hi = 0, len(s)  # the longest prefix that fits with the ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if width_in(s[:mid] + "\u2026", size_pt, bold) <= width else (lo, mid - 1)
    return s[:lo] + "\u2026"


def wrap(s: str, size_pt: float, width: float) -> list[str]:
    """s broken into lines at spaces, each fitting `width` inches."""
    lines: list[str] = []
    for word in s.split():
        if lines and width_in(lines[-1] + " " + word, size_pt) <= width:
            lines[-1] += " " + word
        else:
            lines.append(clip(word, size_pt, width))
    return lines


def style(ax: Axes, title: str, ylabel: str = "") -> None:
    ax.set_title(title, pad=6)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.grid(axis="y", color=RULE, linewidth=0.6)
    ax.set_axisbelow(True)


def empty(ax: Axes, message: str) -> None:
    """A chart with nothing to plot says so in its middle."""
    ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, transform=ax.transAxes)
    ax.set_yticks([])


def printed() -> str:
    return f"printed {datetime.now().strftime('%Y-%m-%d %H:%M')}"


def save(pages: Sequence[Page], out: Path, title: str) -> list[Path]:
    """Write the pages (0600, atomically): one PDF when `out` ends in .pdf; else PNGs, the
    first page at `out` and page n at `out`'s stem + `-n`. Returns the files written."""
    out = Path(out)
    if out.suffix.lower() == ".pdf":
        from matplotlib.backends.backend_pdf import PdfPages

        buf = io.BytesIO()
        meta: dict[str, Any] = {"Title": title, "Creator": "hinge-kiosk", "Subject": "hip hinge screening"}
        with PdfPages(buf, metadata=meta) as pdf:
            for p in pages:
                pdf.savefig(p.fig)
        paths.write_private(out, buf.getvalue())
        return [out]
    written = []
    for i, p in enumerate(pages, start=1):
        target = out if i == 1 else out.with_name(f"{out.stem}-{i}{out.suffix}")
        buf = io.BytesIO()
        p.fig.savefig(buf, format="png", dpi=PNG_DPI)
        paths.write_private(target, buf.getvalue())
        written.append(target)
    return written
