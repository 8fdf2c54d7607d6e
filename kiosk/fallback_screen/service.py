"""The staff notice that hinge-kiosk-fallback.service keeps on the screen when the kiosk has
stopped for good (systemd/hinge-kiosk.service: OnFailure=, after its restart limit).

The service itself: the display opened as the kiosk opens it, the command line, and the
loop that puts the notice up at once, fills it in from systemd and the journal, and redraws
it slowly until SIGTERM. Whatever fails on the way, the notice still goes up; only a display
that cannot be opened ends it with status 1 (systemd retries).

    python -m kiosk.fallback_screen --unit hinge-kiosk.service          # the service's command
    SDL_VIDEODRIVER=dummy python -m kiosk.fallback_screen --once --screenshot out/fallback.png
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from types import FrameType

import pygame

from kiosk.fallback_screen.drawing import SIZE, Fonts, Layout, draw, layout
from kiosk.fallback_screen.notice import COMMAND_TIMEOUT_S, LOG_LINES, Facts, gather, notice_for

DEFAULT_UNIT = "hinge-kiosk.service"
REDRAW_S = 30.0  # a slow redraw keeps the picture up (e.g. after the monitor was replugged)
POLL_S = 0.1  # how often the loop looks at the stop flag: SIGTERM ends it within this


class Screen:
    """The display as the kiosk opens it (kiosk/app/render.py): fullscreen and scaled through
    SDL's KMSDRM on the Pi, a plain surface under SDL's dummy driver (tests, screenshots)."""

    def __init__(self, size: tuple[int, int]) -> None:
        pygame.display.init()
        headless = os.environ.get("SDL_VIDEODRIVER", "") in ("dummy", "offscreen")
        flags = 0 if headless else pygame.FULLSCREEN | pygame.SCALED
        try:
            self.screen = pygame.display.set_mode(size, flags)
        except pygame.error:  # no SCALED renderer: the mode as it is, scaled by hand
            self.screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        self.canvas = self.screen if self.screen.get_size() == size else pygame.Surface(size)
        pygame.display.set_caption("Hip hinge kiosk: out of order")
        if not headless:
            pygame.mouse.set_visible(False)

    def show(self, lay: Layout, fonts: Fonts) -> None:
        draw(self.canvas, lay, fonts)
        if self.canvas is not self.screen:
            pygame.transform.smoothscale(self.canvas, self.screen.get_size(), self.screen)
        pygame.display.flip()


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text)
    if not m or int(m.group(1)) < 320 or int(m.group(2)) < 240:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, at least 320x240: {text!r}")
    return int(m.group(1)), int(m.group(2))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m kiosk.fallback_screen", description=__doc__.split("\n\n")[0])
    ap.add_argument("--unit", default=os.environ.get("MONITOR_UNIT") or DEFAULT_UNIT,
                    help="the unit that failed (default: $MONITOR_UNIT, else %(default)s)")
    ap.add_argument("--size", type=_size, default=SIZE, help="canvas WIDTHxHEIGHT (default 1280x720)")
    ap.add_argument("--log-lines", type=int, default=LOG_LINES, help="last log lines shown (default 3)")
    ap.add_argument("--timeout", type=float, default=COMMAND_TIMEOUT_S,
                    help="seconds to wait for journalctl/systemctl (default 5)")
    ap.add_argument("--once", action="store_true", help="draw once and exit (tests, screenshots)")
    ap.add_argument("--screenshot", type=Path, help="save the drawn canvas as a PNG")
    ap.add_argument("--layout-json", type=Path, help="write every text line's rectangle as JSON")
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    # Before SDL initialises: SDL installs its own SIGTERM/SIGINT handlers only where none is set.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    fonts = Fonts()
    try:
        screen: Screen | None = Screen(args.size)
    except pygame.error as err:
        print(f"fallback screen: cannot open the display: {err}", file=sys.stderr, flush=True)
        screen = None
    if screen is not None and not args.once:
        # Up at once, before journalctl/systemctl are asked (each may take up to --timeout).
        screen.show(layout(notice_for(Facts(args.unit, log_problem="reading the log ...")), fonts,
                           args.size), fonts)

    try:
        facts = gather(args.unit, os.environ, max(1, args.log_lines), args.timeout)
    except Exception as err:  # whatever went wrong, the notice still goes up
        facts = Facts(unit=args.unit, log_problem=f"could not read the log: {err}")
    notice = notice_for(facts)
    # The journal keeps what the screen says (journalctl -u hinge-kiosk-fallback).
    print(f"fallback screen for {facts.unit}: {notice.what[0].text}", flush=True)
    for p in notice.log:
        print(f"  log: {p.text}", flush=True)
    if screen is None:
        return 1  # systemd retries (Restart=on-failure), a few times

    lay = layout(notice, fonts, args.size)
    if args.layout_json:
        args.layout_json.write_text(json.dumps(
            {"size": list(lay.size), "lines": [asdict(p) for p in lay.lines]}, indent=1))
    screen.show(lay, fonts)
    if args.screenshot:
        pygame.image.save(screen.canvas, str(args.screenshot))
    print("fallback screen: up", flush=True)
    if args.once:
        pygame.quit()
        return 0

    shown = time.monotonic()
    while not stop:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                stop.append(0)
        if time.monotonic() - shown >= REDRAW_S:
            screen.show(lay, fonts)
            shown = time.monotonic()
        time.sleep(POLL_S)
    pygame.quit()
    print(f"fallback screen: stopped (signal {stop[0]})", flush=True)
    return 0

