"""`hinge-kiosk run`: the walk-up kiosk, fullscreen, with live cues, sound and the operator
menu. The composition root of kiosk/app: config -> sources, profile, display, audio,
clock, systemd supervisor -> KioskLoop.

Headless (SDL_VIDEODRIVER=dummy) it runs the same loop without a screen; `--frames N`
stops after N loop iterations and `--screenshot-dir DIR` keeps a PNG of each screen state.
A bad config or profile does not crash it: the kiosk shows a "config error" screen with
the one-line reason (and prints it), and waits for the operator.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import notify
from kiosk.app.audio import Audio
from kiosk.app.config import ConfigError, KioskConfig, load_config, path_or_none
from kiosk.app.loop import KioskLoop, LoopParts
from kiosk.app.operator import hash_pin
from kiosk.app.ports import MonotonicClock
from kiosk.app.results_writer import ResultsWriter
from kiosk.app.sources import KioskSources
from kiosk.cli.common import CliError, check_input
from kiosk.core import Profile, RepResult, summary
from kiosk.core.profile_loader import ProfileError, load_profile
from kiosk.results.paths import default_db_path
from kiosk.results.store import ResultsStore
from kiosk.results.words import reps_lines, summary_line
from kiosk.sources import source_kind

if TYPE_CHECKING:
    from kiosk.results.sync_worker import SyncWorker

log = logging.getLogger("kiosk")


class SystemdSupervisor:
    """READY/STATUS/WATCHDOG through kiosk.notify (no-ops outside systemd)."""

    def __init__(self) -> None:
        self._notifier = notify.default_notifier()
        self._watchdog = notify.Watchdog.from_env(self._notifier)

    def ready(self, status: str) -> None:
        self._notifier.ready(status)

    def status(self, text: str) -> None:
        self._notifier.status(text)

    def tick(self) -> None:
        self._watchdog.tick()

    def stopping(self) -> None:
        self._notifier.stopping()


def _one_line(err: Exception) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0]


def load_settings(config: str | None) -> tuple[KioskConfig, Profile, str | None]:
    """Config and profile; on a problem the defaults and the one-line reason."""
    try:
        cfg, path = load_config(Path(config) if config else None)
    except ConfigError as err:
        return KioskConfig(), Profile(), str(err)
    log.info("config: %s", path or "built-in defaults")
    try:
        profile = load_profile(path_or_none(cfg.station.profile))
    except ProfileError as err:
        lines = str(err).splitlines()
        return cfg, Profile(), " ".join(line.strip() for line in lines[:3])
    return cfg, profile, None


def read_new_pin() -> str:
    """The new PIN: asked twice on a terminal; without one (a script, the installer) the
    first line of standard input (and, when there is a second line, it must match)."""
    if sys.stdin.isatty():
        pin = getpass.getpass("New operator PIN (3-8 digits): ")
        if pin != getpass.getpass("Again: "):
            raise ValueError("the two PINs differ")
        return pin
    lines = sys.stdin.read(4096).splitlines()
    if not lines or not lines[0].strip():
        raise ValueError("no PIN on standard input (pipe one in: echo 4711 | hinge-kiosk run --hash-pin)")
    if len(lines) > 1 and lines[1].strip() != lines[0].strip():
        raise ValueError("the two PINs differ")
    return lines[0].strip()


def cmd_hash_pin() -> int:
    try:
        print(f'[operator]\npin_hash = "{hash_pin(read_new_pin())}"')
    except (ValueError, EOFError, OSError) as err:
        print(f"hinge-kiosk: error: {err or 'no PIN given'}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hinge-kiosk: interrupted, no PIN set", file=sys.stderr)
        return 130
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.hash_pin:
        return cmd_hash_pin()
    # The command line's own paths first: a bad one is one line and exit 2, before any log line.
    # The same problems in kiosk.toml are a config problem: the kiosk's config-error screen.
    cli_problem = (source_problem(args.source) if args.source else "") or (
        screenshot_dir(args.screenshot_dir, "--screenshot-dir")[1] if args.screenshot_dir else "")
    if cli_problem:
        print(f"hinge-kiosk: error: {cli_problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cfg, profile, problem = load_settings(args.config)
    if args.script:
        try:
            sim = type(cfg.sim).model_validate({**cfg.sim.model_dump(), "script": args.script})
        except ValueError:
            print(f"hinge-kiosk: error: --script {args.script!r} is not a simulator script "
                  f"(see hinge-kiosk run --help)", file=sys.stderr)
            return 2
        cfg = cfg.model_copy(update={"sim": sim})
    source = args.source or cfg.camera.source
    cfg = with_operator_pin(cfg, source)
    shots, why = screenshot_dir(args.screenshot_dir or cfg.screenshots.dir, "--screenshot-dir"
                                if args.screenshot_dir else "[screenshots] dir")
    problem = problem or why or source_problem(source) or None
    if problem:
        print(f"hinge-kiosk: config error: {problem}", file=sys.stderr)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # stdout is for the kiosk's own lines
    import pygame

    from kiosk.app.render import PygameRenderer

    try:
        display = PygameRenderer(windowed=args.windowed or cfg.display.windowed)
    except pygame.error as err:
        print(f"hinge-kiosk: error: no display ({err}); set SDL_VIDEODRIVER (kmsdrm, x11, dummy)",
              file=sys.stderr)
        return 2
    results, why, sync = results_writer(args, cfg)
    if why:
        print(f"hinge-kiosk: error: {why}", file=sys.stderr)
        display.close()
        return 2
    supervisor = SystemdSupervisor()
    results.start()  # a damaged file shows now; the last run's unwritten and interrupted sessions
    parts = LoopParts(
        sources=KioskSources(cfg), profile=profile, cfg=cfg, display=display,
        audio=Audio(muted=cfg.audio.mute, volume=cfg.audio.volume), clock=MonotonicClock(),
        supervisor=supervisor, config_error=problem, screenshot_dir=shots, results=results,
        sync_status=sync.status if sync is not None else None,
    )
    log.info("display driver %s; sound: %s", display.driver, parts.audio.status)
    loop = KioskLoop(parts, source)  # with a config problem it shows that and opens nothing
    if sync is not None:
        sync.start()
    # systemd stops the kiosk with SIGTERM: end the loop through its `finally` (the results
    # writer closes the session in progress and keeps what is unwritten) instead of dying.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        rc = loop.run(args.frames, args.sessions)
    finally:
        supervisor.stopping()
        display.close()
        if sync is not None:
            sync.nudge(force=True)  # one last try for what the last athlete did
            sync.stop(timeout=5.0)
    if loop.session is not None:
        print_sessions(loop.session.finished)
    if results.enabled and (results.saved_sessions or results.problem):
        line = f"results: {results.saved_sessions} session(s) saved"
        print(f"\n{line}; NOT saved: {results.problem}" if results.problem else f"\n{line}")
    return rc


def with_operator_pin(cfg: KioskConfig, source: str) -> KioskConfig:
    """A live kiosk never opens its menu with a published PIN: without `[operator] pin_hash`
    (install.sh sets one) it gets a random PIN for this run, written once to its log (the
    journal). Simulated athletes and recordings (development) keep the built-in one."""
    if cfg.operator.pin_hash:
        return cfg
    if not source_kind(source).live_camera:
        log.warning("operator PIN: the development default ([operator] pin_hash not set)")
        return cfg
    pin = f"{secrets.randbelow(1_000_000):06d}"
    log.warning("no [operator] pin_hash set: the operator PIN for this run is %s (set one with "
                "hinge-kiosk run --hash-pin, or run hardware/pi/install.sh again)", pin)
    return cfg.model_copy(update={"operator": cfg.operator.model_copy(update={"pin_hash": hash_pin(pin)})})


class _Stopped(SystemExit):
    """SIGTERM: the loop ends through its `finally` blocks."""


def _stop_on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the shutdown itself is not cut short
    raise _Stopped(0)


def source_problem(source: str) -> str:
    """"" for live, sim or a recording path that can be read; else the one line why not
    (a name over 255 bytes, a link loop, a file on the way, a device)."""
    path = source_kind(source).path()
    if path is None:
        return ""
    try:
        check_input(path)
    except CliError as err:
        return f"camera source {err}"
    return ""


def screenshot_dir(text: str, where: str) -> tuple[Path | None, str]:
    """The screenshot folder (`where`: which setting named it), made now: (the folder, "")
    or (None, one line saying why it cannot be used); ("" : none)."""
    if not text:
        return None, ""
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as err:
        return None, f"{where} {text[:80]!r} cannot be used: {err.strerror or err}"
    return folder, ""


def results_writer(args: argparse.Namespace,
                   cfg: KioskConfig) -> tuple[ResultsWriter, str, SyncWorker | None]:
    """Where results go: --db, else the default store for a live camera (or when an athlete
    is checked in); simulated athletes and recordings keep none unless --db is given. With
    `[results] sync_to`, a background worker copies them to the club server. Returns the
    writer, a one-line problem ("" when fine) and the sync worker (None: no sync)."""
    source = args.source or cfg.camera.source
    db = Path(args.db) if args.db else None
    if db is None and (source_kind(source).live_camera or args.athlete):
        db = default_db_path(cfg.station.data_dir)
    if db is None:
        return ResultsWriter(None), "", None
    where, station = db, cfg.results.station_id or None
    worker = None
    if cfg.results.sync_to:
        from kiosk.results.sync_worker import SyncWorker

        worker = SyncWorker(where, cfg.results.sync_to, station_id=station,
                            interval_s=cfg.results.sync_interval_s)
    writer = ResultsWriter(lambda: ResultsStore.open(where, station_id=station),
                           on_saved=worker.nudge if worker is not None else None)
    log.info("results: %s%s", db, f", synced to the club server every {cfg.results.sync_interval_s:g} s"
             if worker is not None else "")
    for athlete in args.athlete or ():
        ok, said = writer.check_in(athlete)
        if not ok:
            return writer, f"--athlete {athlete}: {said}", None
        print(said)
    return writer, "", worker


def print_sessions(finished: list[tuple[RepResult, ...]]) -> None:
    """What each athlete did, for a headless run (the demo) and the operator's terminal."""
    for n, reps in enumerate(finished, start=1):
        print(f"\nathlete {n}:")
        print("\n".join(reps_lines([{**r.to_json(), "drill": r.drill} for r in reps])))
        print(summary_line(summary(list(reps))))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="the walk-up kiosk: fullscreen coaching with live cues and sound")
    p.add_argument("--source", default=None, metavar="{live,sim,REC}",
                   help="live camera, the simulated athlete, or a recording (default: the config's, live)")
    p.add_argument("--windowed", action="store_true", help="a 1280x720 window instead of fullscreen")
    p.add_argument("--frames", type=int, default=None, metavar="N", help="stop after N frames")
    p.add_argument("--sessions", type=int, default=None, metavar="N",
                   help="stop once N athletes have seen their result (the demo uses 1)")
    p.add_argument("--screenshot-dir", default=None, metavar="DIR",
                   help="save a PNG each time the screen changes state")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="kiosk.toml (default: /etc/hinge-kiosk/kiosk.toml when present)")
    p.add_argument("--script", default=None, help="simulator script for --source sim (default: session)")
    p.add_argument("--db", default=None, metavar="PATH",
                   help="results database (default: the service's state directory for a live camera; "
                        "none for sim/recordings)")
    p.add_argument("--athlete", action="append", default=None, metavar="ID",
                   help="check an athlete in from the roster (repeat to queue several)")
    p.add_argument("--hash-pin", action="store_true", help="print a pin_hash line for kiosk.toml and exit")
    p.set_defaults(func=cmd_run)
    return p
