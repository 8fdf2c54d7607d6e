"""The staff notice that hinge-kiosk-fallback.service keeps on the screen when the kiosk has
stopped for good (systemd/hinge-kiosk.service: OnFailure=, after its restart limit).

One plain screen, redrawn slowly until SIGTERM: what failed (the unit, how many automatic
restarts systemd made and why it gave up), the kiosk's last log lines, and what staff can do.
Everything it reads can be missing or broken: journalctl absent, failing, hanging or returning
nothing, systemctl unreachable, a log line of ten thousand characters. It then says so on the
screen instead of crashing; every text is wrapped, shrunk and at last cut to fit its box.

Deliberately self-contained (pygame and the standard library only, nothing else of `kiosk`):
the notice must come up when the kiosk failed because of its own code or its config.

    python -m kiosk.fallback_screen --unit hinge-kiosk.service          # the service's command
    SDL_VIDEODRIVER=dummy python -m kiosk.fallback_screen --once --screenshot out/fallback.png
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

import pygame

from kiosk.palette import BG, CUE, DIM, PANEL, TEXT, Color

SIZE = (1280, 720)
DEFAULT_UNIT = "hinge-kiosk.service"
LOG_LINES = 3  # the kiosk's last lines shown (a traceback's last frame and its exception)
COMMAND_TIMEOUT_S = 5.0  # journalctl / systemctl; the notice must come up regardless
REDRAW_S = 30.0  # a slow redraw keeps the picture up (e.g. after the monitor was replugged)
POLL_S = 0.1  # how often the loop looks at the stop flag: SIGTERM ends it within this
MAX_LINE_CHARS = 600  # a log line is cut to this before layout (a 1 MB line must not stall it)
MONO_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",  # fonts-dejavu-core (install.sh)
    "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
)

# The kiosk's palette (kiosk/palette.py: constants only, so nothing of the app is imported).
INSET: Color = (20, 24, 31)
LABEL: Color = CUE

# $MONITOR_SERVICE_RESULT (systemd.exec(5)) in words.
RESULTS = {
    "start-limit-hit": "it kept failing, so the system stopped restarting it",
    "exit-code": "it exited with an error",
    "signal": "it was stopped by a signal (a crash)",
    "core-dump": "it crashed",
    "watchdog": "it stopped responding (watchdog)",
    "timeout": "it did not start or stop in time",
    "oom-kill": "it ran out of memory",
    "resources": "the system could not prepare its start",
    "exec-condition": "its start condition failed",
    "protocol": "it did not report ready as it should",
}


# --- what to say ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    unit: str
    result: str | None = None  # systemd's result for the unit ("start-limit-hit", "exit-code", ...)
    restarts: int | None = None  # automatic restarts before it gave up (NRestarts)
    log_lines: tuple[str, ...] = ()
    log_problem: str | None = None  # why there are no log lines, when there are none
    support: str | None = None  # who to call ($HINGE_KIOSK_SUPPORT)


def _run(cmd: Sequence[str], timeout: float) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of a short command, never raising: a missing program is
    127, a hung one 124 (the shell's conventions), any other OS error 126."""
    exe = shutil.which(cmd[0])
    if exe is None:
        return 127, "", f"{cmd[0]} not found"
    try:
        res = subprocess.run([exe, *cmd[1:]], capture_output=True, timeout=timeout,
                             stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return 124, "", f"no answer within {timeout:g} s"
    except OSError as err:
        return 126, "", str(err)
    return (res.returncode, res.stdout.decode("utf-8", "replace"), res.stderr.decode("utf-8", "replace"))


def _first_line(text: str) -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")


def read_journal(unit: str, n: int = LOG_LINES,
                 timeout: float = COMMAND_TIMEOUT_S) -> tuple[list[str], str | None]:
    """The unit's last `n` log lines of this boot, or ([], why not).

    First the kiosk's own output (`_SYSTEMD_UNIT=`): `journalctl -u` would also match systemd's
    lines about the unit, and the last of those ("Failed to start ...") says nothing. Only when
    the process logged nothing (it never started: a missing binary, a sandbox set-up error) the
    `-u` lines, where systemd wrote why."""
    base = ["journalctl", "--no-pager", "--quiet", "-o", "cat", "-b", "-n", str(n)]
    problem = None
    for match in ([f"_SYSTEMD_UNIT={unit}"], ["-u", unit]):
        rc, out, err = _run([*base, *match], timeout)
        if rc == 127:
            return [], "journalctl is not installed here, so the log cannot be shown"
        if rc == 124:
            return [], f"journalctl gave no answer within {timeout:g} s"
        if rc != 0:
            detail = _first_line(err)
            return [], f"journalctl failed (exit status {rc})" + (f": {detail}" if detail else "")
        lines = [ln for ln in (clean(x) for x in out.splitlines()) if ln]
        if lines:
            return lines[-n:], None
        hint = _first_line(err)  # e.g. no permission: "Hint: You are currently not seeing ..."
        problem = f"the log has no lines from {unit} since boot" + (f" ({hint})" if hint else "")
    return [], problem


def read_restarts(unit: str, timeout: float = COMMAND_TIMEOUT_S) -> tuple[int | None, str | None]:
    """(NRestarts, Result) from `systemctl show`, each None when unknown."""
    rc, out, _ = _run(["systemctl", "show", "--property=NRestarts,Result", unit], timeout)
    if rc != 0:
        return None, None
    props = dict(ln.split("=", 1) for ln in out.splitlines() if "=" in ln)
    n = props.get("NRestarts", "")
    result = props.get("Result") or None
    return (int(n) if n.isdigit() else None), (None if result == "success" else result)


def gather(unit: str, env: Mapping[str, str], n_lines: int = LOG_LINES,
           timeout: float = COMMAND_TIMEOUT_S) -> Facts:
    """Everything the notice says, from systemd's $MONITOR_* variables, systemctl and journalctl."""
    restarts, result = read_restarts(unit, timeout)
    result = env.get("MONITOR_SERVICE_RESULT") or result
    lines, problem = read_journal(unit, n_lines, timeout)
    support = clean(env.get("HINGE_KIOSK_SUPPORT", "")) or None
    return Facts(unit=unit, result=result, restarts=restarts, log_lines=tuple(lines),
                 log_problem=problem, support=support)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def clean(text: str) -> str:
    """One printable line: tabs as spaces, control characters (colour codes, NULs) dropped,
    cut to MAX_LINE_CHARS."""
    text = _CONTROL.sub("", text.replace("\t", "    ").replace("\r", " ").replace("\n", " ")).rstrip()
    return text if len(text) <= MAX_LINE_CHARS else text[: MAX_LINE_CHARS - 1] + "…"


@dataclass(frozen=True)
class Para:
    text: str
    mono: bool = False
    color: Color = TEXT
    one_line: bool = False  # a command: shrink the block rather than break it (until min size)


@dataclass(frozen=True)
class Notice:
    title: str
    subtitle: str
    what: tuple[Para, ...]
    log: tuple[Para, ...]
    actions: tuple[Para, ...]


def notice_for(f: Facts) -> Notice:
    name = f.unit.removesuffix(".service")
    what = f"The kiosk program ({f.unit}) has stopped"
    if f.restarts:
        what += f" after {f.restarts} automatic restart{'s' if f.restarts != 1 else ''}"
    why = RESULTS.get(f.result or "", f"result: {f.result}" if f.result else "")
    what += f": {why}." if why else "."
    if f.log_lines:
        log = tuple(Para(ln, mono=True) for ln in f.log_lines)
    else:
        log = (Para(f"({f.log_problem or 'no log lines'})", color=DIM),)
    actions = [
        Para("1.  Switch the kiosk box off and on again at the power socket: it starts afresh."),
        Para("2.  Or, from a laptop over SSH:"),
        Para(f"sudo systemctl reset-failed {name} && sudo systemctl start {name}", mono=True, one_line=True),
        Para(f"3.  Why it stopped: journalctl -u {name} -b   (guide: docs/install-pi.md, part 4)"),
    ]
    if f.support:
        actions.append(Para(f"Support: {f.support}", color=LABEL))
    return Notice(
        title="This kiosk is out of order",
        subtitle="Please tell a member of staff. The details below are for them.",
        what=(Para(what),),
        log=log,
        actions=tuple(actions),
    )


# --- layout ---------------------------------------------------------------------------------


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


# --- the service ----------------------------------------------------------------------------


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


if __name__ == "__main__":
    sys.exit(main())
