"""The OnFailure unit's one plain screen: the staff notice hinge-kiosk-fallback.service keeps
up when the kiosk has stopped for good (systemd/hinge-kiosk.service: OnFailure=, after its
restart limit).

One plain screen, redrawn slowly until SIGTERM: what failed (the unit, how many automatic
restarts systemd made and why it gave up), the kiosk's last log lines, and what staff can do.
Everything it reads can be missing or broken: journalctl absent, failing, hanging or returning
nothing, systemctl unreachable, a log line of ten thousand characters. It then says so on the
screen instead of crashing; every text is wrapped, shrunk and at last cut to fit its box.

Deliberately self-contained (pygame, the standard library and kiosk/palette.py's constants,
nothing else of `kiosk` outside this package):
the notice must come up when the kiosk failed because of its own code or its config.

    notice.py    what it says: the facts from systemd and the journal, and the words for them
    drawing.py   where each line goes (wrapped, shrunk, cut to its box) and drawing it
    service.py   the display, the command line and the loop until SIGTERM
    __main__.py  `python -m kiosk.fallback_screen`, the service's command (see service.py)

This was one module; its names stay importable from the package (`fs.layout`, `fs.Facts`, ...).
"""

from kiosk.fallback_screen.drawing import (
    INSET,
    MONO_FONTS,
    SIZE,
    Fonts,
    Layout,
    Placed,
    draw,
    fit,
    layout,
    wrap,
)
from kiosk.fallback_screen.notice import (
    COMMAND_TIMEOUT_S,
    LABEL,
    LOG_LINES,
    MAX_LINE_CHARS,
    RESULTS,
    Facts,
    Notice,
    Para,
    clean,
    gather,
    notice_for,
    read_journal,
    read_restarts,
)
from kiosk.fallback_screen.service import DEFAULT_UNIT, POLL_S, REDRAW_S, Screen, main, parse_args
from kiosk.palette import BG  # the notice's background, which the tests look for in its picture

__all__ = [
    "BG",
    "COMMAND_TIMEOUT_S",
    "DEFAULT_UNIT",
    "INSET",
    "LABEL",
    "LOG_LINES",
    "MAX_LINE_CHARS",
    "MONO_FONTS",
    "POLL_S",
    "REDRAW_S",
    "RESULTS",
    "SIZE",
    "Facts",
    "Fonts",
    "Layout",
    "Notice",
    "Para",
    "Placed",
    "Screen",
    "clean",
    "draw",
    "fit",
    "gather",
    "layout",
    "main",
    "notice_for",
    "parse_args",
    "read_journal",
    "read_restarts",
    "wrap",
]
