"""The real kiosk loop on the simulated athlete under SDL's dummy video and audio drivers:
calibration, the screen sequence (attract -> detected -> stance -> dowel -> ... -> result
-> attract), a verdict screen whose cue matches the rep's faults, sounds, READY and the
watchdog, screenshots; and the status screens (no camera, config error, an exception).

Verdicts themselves depend on the measurement core's tuning (tested elsewhere); here the
screen must say what the core decided. Scripts are shortened (1 dowel rep, a short walk)
to keep the runtime modest: ~1 min for the two simulated sessions on one core.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from hardware.sim.source import SimConfig
from hardware.source import SourceError
from kiosk.analysis.analyzer import with_drill
from kiosk.app.audio import Audio
from kiosk.app.config import KioskConfig, SimSection
from kiosk.app.cues import rep_cue, session_cue
from kiosk.app.flow import FlowConfig
from kiosk.app.loop import (
    ERROR_TITLE,
    NO_CAMERA_LINE,
    NO_CAMERA_LINE_LEAN,
    NO_CAMERA_MEMBER,
    NO_CAMERA_TITLE,
    SIM_MENU_LINE,
    SOURCE_STOPPED_TITLE,
    SOURCE_UNOPENED_TITLE,
    KioskLoop,
    LoopParts,
)
from kiosk.app.render import PygameRenderer
from kiosk.app.results_writer import ResultsWriter
from kiosk.app.sources import KioskSources
from kiosk.core.profile_loader import load_profile
from kiosk.results.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]
SHORT = {"dowel_reps": 1, "walk_s": 1.5, "enter_x_m": -1.6, "exit_x_m": 1.6, "absent_s": 1.5}


class StepClock:
    """Loop time advancing one frame period per iteration: deterministic however slowly
    the simulator renders."""

    def __init__(self) -> None:
        self.t_s = 1000.0

    def now_s(self) -> float:
        return self.t_s

    def pace(self, period_s: float) -> None:
        self.t_s += period_s


class Supervisor:
    def __init__(self) -> None:
        self.ready_calls: list[str] = []
        self.statuses: list[str] = []
        self.ticks = 0

    def ready(self, status: str) -> None:
        self.ready_calls.append(status)

    def status(self, text: str) -> None:
        self.statuses.append(text)

    def tick(self) -> None:
        self.ticks += 1


class SpyAudio(Audio):
    def __init__(self) -> None:
        super().__init__()
        self.played: list[str] = []

    def play(self, name: str) -> bool:
        self.played.append(name)
        return super().play(name)


class KeyedRenderer(PygameRenderer):
    """The real renderer with key presses queued by the test, one per iteration."""

    def __init__(self, keys: list[str] | None = None) -> None:
        super().__init__(windowed=True)
        self.queued = list(keys or [])

    def poll(self) -> list[str]:
        return [self.queued.pop(0)] if self.queued else super().poll()


@pytest.fixture(scope="module")
def display() -> Iterator[KeyedRenderer]:
    r = KeyedRenderer()
    yield r
    r.close()


def make_loop(display: PygameRenderer, tmp: Path, script: str, options: Mapping[str, object],
              spec: str = "sim", sources: KioskSources | None = None, config_error: str | None = None,
              results: ResultsWriter | None = None, **drill: float) -> tuple[KioskLoop, LoopParts]:
    flow = FlowConfig(result_empty_s=1.0, result_min_s=1.0)
    cfg = KioskConfig(flow=flow, sim=SimSection(loop=False))
    sim = SimConfig(script=script, script_options=dict(options))
    profile = with_drill(load_profile(), dowel_reps=1, **drill)
    parts = LoopParts(sources=sources or KioskSources(cfg, sim=sim, realtime=False), profile=profile, cfg=cfg,
                      display=display, audio=SpyAudio(), clock=StepClock(), supervisor=Supervisor(),
                      config_error=config_error, screenshot_dir=tmp)
    if results is not None:
        parts.results = results
    return KioskLoop(parts, spec), parts


def screens(parts: LoopParts) -> list[str]:
    """Screen keys in order, drill sub-states folded ("wall-hinge" -> "wall")."""
    out: list[str] = []
    for t in parts.transitions:
        k = t.key if t.key.startswith("status") else t.key.split("-")[0]
        if not out or out[-1] != k:
            out.append(k)
    return out


def is_subsequence(want: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(any(g == w for g in it) for w in want)


def check_verdicts(parts: LoopParts) -> list[bool]:
    """Every verdict screen says PASS/FAIL and the cue for the rep the core judged."""
    passed = []
    for t in parts.transitions:
        if t.key.endswith(("-pass", "-fail")):
            assert t.flow is not None and t.flow.verdict is not None and t.view.verdict is not None
            rep = t.flow.verdict.rep
            assert t.view.verdict.passed == rep.passed == t.key.endswith("-pass")
            assert t.view.verdict.headline == ("PASS" if rep.passed else "FAIL")
            assert t.view.verdict.cue == rep_cue(rep.faults)
            passed.append(rep.passed)
    return passed


@pytest.mark.slow
def test_session_screen_sequence_verdicts_and_result(display: KeyedRenderer, tmp_path: Path) -> None:
    # One dowel rep, then the wall at 12 in, beyond this athlete's reach (11 in): two misses end the drill.
    options = {**SHORT, "wall_start_in": 12.0, "max_reach_in": 11.0}
    db = tmp_path / "results.sqlite3"
    with ResultsStore.open(db) as s, s.transaction() as c:
        c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES ('A7', 'Ana Lima', 'Row', 'x')")
    writer = ResultsWriter(lambda: ResultsStore.open(db))
    assert writer.check_in("A7")[0]  # as `run --athlete A7` does
    loop, parts = make_loop(display, tmp_path, "session", options, results=writer, wall_start_in=12.0)
    frames = 15 + round(30 * 21.0)
    assert loop.run(max_frames=frames) == 0
    got = screens(parts)
    want = ["status-calibrating", "attract", "detected", "stance", "dowel", "result", "attract"]
    assert is_subsequence(want, got), got
    results = check_verdicts(parts)
    assert True in results and False in results, f"a clean dowel rep and wall misses expected: {got}"
    audio = parts.audio
    assert isinstance(audio, SpyAudio)
    assert audio.played[0] == "start"
    assert audio.played.count("pass") + audio.played.count("fail") == len(results)
    result = next(t for t in parts.transitions if t.key == "result")
    assert result.flow is not None and result.view.lines[0] == session_cue(result.flow.reps)
    assert dict(result.view.stats)["Reps"].startswith(str(len(result.flow.reps)))
    assert dict(result.view.stats)["Saved"] == "Saved on this kiosk"
    with ResultsStore.open(db, create=False) as store:  # what the screen said is in the file
        (row,) = store.sessions()
        assert row.athlete_id == "A7" and row.finished
        stored = [(r.index, r.drill, r.passed, r.faults) for r in store.reps(row.id)]
        assert stored == [(r.index, r.drill, r.passed, r.faults) for r in result.flow.reps]
    sup = parts.supervisor
    assert isinstance(sup, Supervisor) and sup.ready_calls == ["first frame"] and sup.ticks == frames
    assert sup.statuses.count("calibrating") == 1  # once per calibration, not once per frame of it
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert shots[0] == "000-status-calibrating.png" and any(s.endswith("-result.png") for s in shots)
    assert any(s.endswith("-hinge.png") for s in shots)


@pytest.mark.slow
def test_squat_pattern_fail_says_what_the_core_found(display: KeyedRenderer, tmp_path: Path) -> None:
    options = {**SHORT, "reps": 1, "absent_s": 2.0}  # 12.5 s: the result comes once the athlete has left
    loop, parts = make_loop(display, tmp_path, "squat_pattern", options)
    assert loop.run(max_frames=15 + round(30 * 12.5)) == 0
    got = screens(parts)
    assert is_subsequence(["attract", "detected", "stance", "dowel", "result"], got), got
    assert check_verdicts(parts) == [False], got  # the scripted squat rep fails...
    fail = next(t for t in parts.transitions if t.key == "dowel-fail")
    assert fail.flow is not None and fail.flow.verdict is not None and fail.view.verdict is not None
    faults = fail.flow.verdict.rep.faults
    assert fail.view.verdict.cue == rep_cue(faults)  # ...and the screen says why, in words
    assert "knees_bent" not in faults or fail.view.verdict.cue == "Less knee bend"


class NoCamera(KioskSources):
    def open(self, spec: str, for_calibration: bool = False,
             depth_limit_m: float | None = None):  # type: ignore[no-untyped-def]
        if spec == "live":
            raise SourceError("no RealSense camera found: plug it into a USB 3 port")
        return super().open(spec, for_calibration, depth_limit_m)


def test_no_camera_offers_the_simulated_athlete(display: KeyedRenderer, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: a gym member read "press S to run the simulated athlete". The member sees a
    # plain "camera not connected, please tell staff"; why, and S for the simulated athlete,
    # are staff words, in the operator menu behind the PIN. S without the PIN does nothing.
    cfg = KioskConfig(sim=SimSection(loop=False))
    sources = NoCamera(cfg, sim=SimConfig(script="walk_in_stand", max_seconds=1.0), realtime=False)
    display.queued = ["x", "s", "S", "x", "menu", *"2580", "enter"]
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, spec="live", sources=sources)
    assert loop.run(max_frames=10) == 0
    assert NO_CAMERA_LINE in capsys.readouterr().out  # the console/journal: for staff
    first = parts.transitions[0]
    assert first.key == "status-no-camera" and first.view.title == NO_CAMERA_TITLE == "Camera not connected"
    assert first.view.lines == (NO_CAMERA_MEMBER,) == ("Please tell a member of staff",)
    member_words = " ".join((first.view.title, *first.view.lines)).lower()
    assert "simulat" not in member_words and "press" not in member_words and "usb" not in member_words
    assert screens(parts) == ["status-no-camera", "status-no-camera-menu"]  # S did nothing before the PIN
    menu = loop.step(parts.clock.now_s()).menu  # the PIN is in: the operator menu is open
    assert menu is not None and menu.title == "Operator menu" and SIM_MENU_LINE in menu.lines
    assert "no RealSense camera found" in menu.message  # why, for staff only
    display.queued = ["s"]
    assert loop.run(max_frames=4) == 0
    keys = screens(parts)
    assert keys[:3] == ["status-no-camera", "status-no-camera-menu", "status-calibrating"], keys
    sup = parts.supervisor
    assert isinstance(sup, Supervisor) and sup.ready_calls == ["no camera"] and sup.ticks == 10 + 4


class Broken(KioskSources):
    def open(self, spec: str, for_calibration: bool = False,
             depth_limit_m: float | None = None):  # type: ignore[no-untyped-def]
        src = super().open(spec, for_calibration, depth_limit_m)
        src.read = self._boom  # type: ignore[method-assign]
        return src

    @staticmethod
    def _boom(timeout_s: float = 1.0) -> None:
        raise RuntimeError("depth buffer exploded\nsecond line never shown")


def test_an_exception_becomes_a_status_screen_then_a_restart(display: KeyedRenderer, tmp_path: Path) -> None:
    cfg = KioskConfig()
    sources = Broken(cfg, sim=SimConfig(script="walk_in_stand", max_seconds=1.0), realtime=False)
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, sources=sources)
    rc = loop.run(max_frames=400)
    assert rc == 1  # the third failure within a minute: exit and let systemd restart the process
    assert len(loop.error_times) == 3  # held ERROR_HOLD_S each, retried, failed again
    errors = [t for t in parts.transitions if t.key == "status-error"]
    assert errors and errors[0].view.title == ERROR_TITLE
    assert errors[0].view.lines == ("RuntimeError: depth buffer exploded",)


def test_config_error_screen(display: KeyedRenderer, tmp_path: Path) -> None:
    line = 'kiosk.toml: display.units = "mm" is not allowed (allowed: \'in\' or \'cm\')'
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, config_error=line)
    assert loop.run(max_frames=5) == 0
    assert screens(parts) == ["status-config-error"]
    assert parts.transitions[0].view.title == "Config error" and parts.transitions[0].view.lines[0] == line


def run_cli(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PATH": "/usr/bin:/bin",
           "PYGAME_HIDE_SUPPORT_PROMPT": "1", "STATE_DIRECTORY": str(tmp)}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "run", *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=120)


def test_cli_bad_config_shows_the_config_error_screen(tmp_path: Path) -> None:
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[display]\nunits = "mm"\n')
    shots = str(tmp_path / "shots")
    res = run_cli("--config", str(bad), "--frames", "3", "--screenshot-dir", shots, tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert f'hinge-kiosk: config error: {bad}: display.units = "mm" is not allowed' in res.stderr
    assert [p.name for p in (tmp_path / "shots").iterdir()] == ["000-status-config-error.png"]


def test_cli_config_and_profile_with_three_mistakes_name_all_three(tmp_path: Path) -> None:
    # Issue 15: a file with three errors named only the first (fix, restart, next error, ...).
    bad = tmp_path / "kiosk.toml"
    bad.write_text('[display]\nunits = "mm"\n[audio]\nvolume = 3\n[flow]\nverdict_s = 99\n')
    res = run_cli("--config", str(bad), "--frames", "3", tmp=tmp_path)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if "config error" in ln]
    assert lines == [f"hinge-kiosk: config error: {bad}: 3 problems: display.units = \"mm\" is not allowed "
                     "(allowed: 'in' or 'cm'); audio.volume = 3 is out of range (allowed 0 to 1); "
                     "flow.verdict_s = 99 is out of range (allowed 0.5 to 10)"], res.stderr
    # The threshold profile the config names: the same loader, all three named.
    profile = tmp_path / "juniors.toml"
    profile.write_text("[reps]\nmin_rep_s = -3\nbogus = 1\n[faults]\nmax_knee_flexion = 30\n")
    (tmp_path / "k2.toml").write_text(f'[station]\nprofile = "{profile}"\n')
    res = run_cli("--config", str(tmp_path / "k2.toml"), "--frames", "3", tmp=tmp_path)
    lines = [ln for ln in res.stderr.splitlines() if "config error" in ln]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"hinge-kiosk: config error: {profile}: 3 problems: reps.min_rep_s = -3 "
                               "is out of range"), lines
    assert lines[0].endswith("; unknown keys 'reps.bogus', 'faults.max_knee_flexion' (typos, or keys from "
                             "another version)"), lines


def test_cli_a_source_that_cannot_be_opened_logs_why(tmp_path: Path) -> None:
    # Issue 15: the journal said only "screen: status-source-error"; the reason was on the screen alone.
    bad = tmp_path / "take.db3"
    bad.write_bytes(b"not a recording")
    res = run_cli("--source", str(bad), "--frames", "3", "--screenshot-dir", str(tmp_path / "shots"),
                  tmp=tmp_path)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    tag = " kiosk.app.loop: "
    lines = [ln.split(tag, 1)[1] for ln in res.stderr.splitlines() if tag in ln]
    assert lines == ["screen: status-source-error: take.db3: recording is truncated or corrupt (Failed to "
                     f"open .db3 file '{bad}': Failed to setup storage. Error: Error when processing SQL "
                     "statement. SQLite error (26): file is not a database); record it again"], res.stderr
    assert [p.name for p in (tmp_path / "shots").iterdir()] == ["000-status-source-error.png"]


def test_a_lean_install_without_the_simulator_offers_no_s(
    display: KeyedRenderer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The Pi's install has no Open3D: S would only answer "the simulator needs Open3D".
    import kiosk.app.loop as loop_mod

    monkeypatch.setattr(loop_mod, "simulator_available", lambda: False)
    cfg = KioskConfig(sim=SimSection(loop=False))
    sources = NoCamera(cfg, sim=SimConfig(script="walk_in_stand", max_seconds=1.0), realtime=False)
    display.queued = ["menu", *"2580", "enter", "s"]
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, spec="live", sources=sources)
    assert loop.run(max_frames=10) == 0
    out = capsys.readouterr().out
    assert NO_CAMERA_LINE_LEAN in out and NO_CAMERA_LINE not in out
    menu = loop.step(parts.clock.now_s()).menu
    assert menu is not None and menu.title == "Operator menu" and SIM_MENU_LINE not in menu.lines
    assert "status-calibrating" not in screens(parts)  # S started nothing


def test_a_source_that_never_opened_is_not_said_to_have_stopped(
    display: KeyedRenderer, tmp_path: Path
) -> None:
    bad = tmp_path / "take.db3"
    bad.write_bytes(b"not a recording")
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, spec=str(bad))
    assert loop.run(max_frames=3) == 0
    shown = [t.view for t in parts.transitions if t.key == "status-source-error"]
    assert shown and shown[0].title == SOURCE_UNOPENED_TITLE != SOURCE_STOPPED_TITLE


def test_cli_without_a_camera_says_so(tmp_path: Path) -> None:
    from hardware.live import list_devices

    if list_devices():
        pytest.skip("a RealSense camera is connected")
    res = run_cli("--source", "live", "--frames", "3", tmp=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == NO_CAMERA_LINE and "Traceback" not in res.stderr


def test_operator_menu_in_the_loop(display: KeyedRenderer, tmp_path: Path) -> None:
    sim = SimConfig(script="walk_in_stand", max_seconds=3.0)
    sources = KioskSources(KioskConfig(), sim=sim, realtime=False)
    display.queued = ["menu", *"2580", "enter", "2", "3", "escape", "menu", *"2580", "enter", "5"]
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, sources=sources)
    assert loop.run(max_frames=60) == 0  # "5" (quit) ended it before 60 frames
    assert loop.units == "cm" and isinstance(parts.audio, SpyAudio) and parts.audio.muted
    assert len(parts.transitions) < 60 and parts.supervisor.ticks < 60  # type: ignore[attr-defined]
    menus = [t.view.menu for t in parts.transitions if t.view.menu is not None]
    assert menus and menus[0].title.startswith("Operator: enter PIN")


def test_failed_calibration_says_so_and_retries(display: KeyedRenderer, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from calibration.errors import CalibrationError
    from kiosk.app import sources as calibrating

    def no_floor(self: calibrating.Calibrating, sources: KioskSources) -> None:
        raise CalibrationError("No floor found: point the camera so the floor fills the lower image")

    monkeypatch.setattr(calibrating.Calibrating, "finish", no_floor)
    monkeypatch.setattr("kiosk.app.modes.RETRY_S", 0.5)
    sim = SimConfig(script="walk_in_stand", max_seconds=2.0)
    sources = KioskSources(KioskConfig(), sim=sim, realtime=False)
    loop, parts = make_loop(display, tmp_path, "walk_in_stand", {}, sources=sources)
    assert loop.run(max_frames=60) == 0
    got = screens(parts)
    assert got[:3] == ["status-calibrating", "status-calibration-failed", "status-calibrating"], got
    failed = parts.transitions[1].view
    assert failed.title.startswith("Calibration failed") and "No floor found" in failed.lines[0]
