"""Every `hinge-kiosk` verb against a matrix of bad paths (issue 12, item 10): the answer is
one line on stderr and exit code 2 (the kiosk, `run`, shows its error screen and exits 0
after --frames), never a traceback.

Bad paths, each a real file-system object: missing (a missing folder on the way), a folder
where a file belongs (a file where a folder belongs), a path through a regular file
(ENOTDIR), a 300-byte component (ENAMETOOLONG), a symbolic-link loop (ELOOP), a full device
(writes fail with ENOSPC; read, it is not a file) and a read-only folder. The full device
is a private node (mknod c 1 7) in the test's folder when root: a command that replaced its
output atomically once replaced /dev/full itself with a regular file. Running as root, an
"unreadable folder" stops
nothing (root reads it anyway), so what stops root stands in for it: the path through a
file, the loop, the long name and, for the read-only folder, a read-only tmpfs mount (as
another user, a chmod 0555 folder).

Each verb's cases run in one child process (`main(argv)` per case, stdout/stderr captured
per case, logging re-pointed per case); an exception escaping `main` is printed as the
traceback it would have been. One process per verb keeps the matrix to seconds.
"""

from __future__ import annotations

import json
import os
import resource
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KINDS = ("missing", "dir", "through-file", "long-name", "link-loop", "dev-full", "read-only")

DRIVER = r"""
import contextlib, io, json, logging, os, sys, traceback
from kiosk.cli.root import main
out = []
for argv in json.loads(sys.argv[1]):
    err, std = io.StringIO(), io.StringIO()
    logging.root.handlers.clear()  # `run` configures logging onto this case's stderr
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        except BaseException:
            traceback.print_exc()
            rc = "exception"
    out.append({"argv": argv, "rc": rc, "stderr": err.getvalue(), "stdout": std.getvalue()})
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def places() -> Iterator[dict[str, Path]]:
    base = Path(tempfile.mkdtemp(prefix="hk-paths-"))
    (base / "a-file").write_text("not a folder\n")
    (base / "loop").symlink_to(base / "loop")
    rec = base / "rec" / "take.db3"
    rec.parent.mkdir()
    res = subprocess.run([sys.executable, "-m", "kiosk.cli", "record", "--source", "sim", "--script",
                          "walk_in_stand", "--seconds", "0.3", str(rec)], cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    full = base / "full"
    if os.geteuid() == 0:
        os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # /dev/full's own numbers
    else:
        full = Path("/dev/full")  # a user cannot replace it
    ro = base / "read-only"
    ro.mkdir()
    mounted = False
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)],
                                 capture_output=True).returncode == 0
    try:
        if not mounted:
            if os.geteuid() == 0:
                pytest.skip("running as root without mount: no read-only folder root cannot write")
            ro.chmod(0o555)
        yield {"base": base, "rec": rec, "full": full}
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(ro)], check=False)
        ro.chmod(0o755)
        subprocess.run(["rm", "-rf", str(base)], check=False)


def _folder(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def bad(kind: str, places: dict[str, Path], name: str, fresh: Path) -> str:
    """A bad path of `kind` for a file called `name` (a folder when it has no suffix);
    `fresh`: a folder of this test only (a missing path stays missing)."""
    base = places["base"]
    return str({
        "missing": fresh / "no-such-folder" / "deeper" / name,
        "dir": _folder(base / "folders" / name) if "." in name else base / "a-file",
        "through-file": base / "a-file" / name,
        "long-name": base / ("L" * 300 + name),
        "link-loop": base / "loop" / name,
        "dev-full": places["full"],
        "read-only": base / "read-only" / name,
    }[kind])


# verb: (argv with {P} for the bad path and {REC} for a good recording, the file name to use)
VERBS: dict[str, tuple[list[str], str]] = {
    "record OUT": (["record", "--source", "sim", "--script", "walk_in_stand", "--seconds", "0.2", "{P}"],
                   "x.db3"),
    "calibrate --source": (["calibrate", "--source", "{P}", "--out", "{TMP}/c.json"], "x.db3"),
    "calibrate --out": (["calibrate", "--source", "{REC}", "--frames", "3", "--out", "{P}"], "cal.json"),
    "analyze REC": (["analyze", "{P}"], "x.db3"),
    "analyze --json": (["analyze", "{REC}", "--json", "{P}"], "a.json"),
    "analyze --calibration": (["analyze", "{REC}", "--calibration", "{P}"], "cal.json"),
    "analyze --profile": (["analyze", "{REC}", "--profile", "{P}"], "p.toml"),
    "bench --out": (["bench", "--frames", "1", "--out", "{P}"], "bench.md"),
    "demo --out": (["demo", "--out", "{P}"], "demo"),
    "run --source": (["run", "--source", "{P}", "--frames", "2"], "x.db3"),
    "run --config": (["run", "--source", "sim", "--config", "{P}", "--frames", "2"], "kiosk.toml"),
    "run --db": (["run", "--source", "sim", "--db", "{P}", "--frames", "2"], "r.sqlite3"),
    "run --screenshot-dir": (["run", "--source", "sim", "--screenshot-dir", "{P}", "--frames", "2"], "shots"),
    "roster import": (["roster", "import", "{P}", "--db", "{TMP}/r.sqlite3"], "team.csv"),
    "roster list --db": (["roster", "list", "--db", "{P}"], "r.sqlite3"),
    "results list --db": (["results", "list", "--db", "{P}"], "r.sqlite3"),
    "results show --db": (["results", "show", "abc", "--db", "{P}"], "r.sqlite3"),
    "results show --silhouette": (["results", "show", "{SID}", "--db", "{DB}", "--silhouette", "{P}"],
                                  "s.png"),
    "results export DIR": (["results", "export", "{P}", "--db", "{DB}"], "out"),
    "results delete-athlete --db": (["results", "delete-athlete", "A1", "--yes", "--db", "{P}"], "r.sqlite3"),
    "results override --db": (["results", "override", "abc", "0", "--pass", "--coach", "K", "--reason", "r",
                               "--db", "{P}"], "r.sqlite3"),
    "results report --out": (["results", "report", "A1", "--out", "{P}", "--db", "{DB}"], "a.png"),
    "results team-report --out": (["results", "team-report", "Row", "--out", "{P}", "--db", "{DB}"],
                                  "t.png"),
    "results sync --db": (["results", "sync", "--to", "postgresql://k@127.0.0.1:9/h", "--db", "{P}"],
                          "r.sqlite3"),
    "results bundle-export FILE": (["results", "bundle-export", "{P}", "--db", "{DB}"], "b.hkb"),
    "results bundle-import FILE": (["results", "bundle-import", "{P}", "--db", "{TMP}/r2.sqlite3"], "b.hkb"),
    "results bundle-import --db": (["results", "bundle-import", "{BUNDLE}", "--db", "{P}"], "r.sqlite3"),
}


# Verbs that make a missing folder for what they write: a missing folder is not bad there.
MAKES_FOLDERS = {"record OUT", "bench --out", "demo --out", "run --db", "run --screenshot-dir",
                 "results export DIR", "results bundle-export FILE", "results bundle-import --db"}
MEMORY_LIMIT_BYTES = 6 << 30  # a runaway read fails in the child, never OOM-kills the machine


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


@pytest.fixture(scope="module")
def good(places: dict[str, Path]) -> dict[str, str]:
    """A results database with one athlete and session, and its bundle."""
    import numpy as np

    from kiosk.core.drill import RepResult
    from kiosk.results.bundle import export_bundle
    from kiosk.results.silhouette import encode
    from kiosk.results.store import ResultsStore

    base = places["base"]
    db = base / "good" / "results.sqlite3"
    with ResultsStore.open(db, station_id="kiosk-1") as s:
        with s.transaction() as c:
            c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES ('A1', 'Ana', 'Row', "
                      "'2024-05-01T10:00:00.000Z')")
        sid = s.start_session("A1")
        rid = s.save_rep(sid, RepResult(index=0, start_s=0.0, bottom_s=0.8, end_s=1.6, wall_distance_in=6.0,
                                        min_hip_to_wall_mm=-4.0, max_knee_flexion_deg=14.0,
                                        max_trunk_angle_deg=50.0, faults=(), passed=True, drill="wall"))
        sil = encode(np.array([[0.0, 0.2], [0.1, 1.5], [-0.3, 1.0]]))
        assert sil is not None
        s.save_silhouette(sid, rid, sil.png, width_px=sil.width_px, height_px=sil.height_px,
                          mm_per_px=sil.mm_per_px)
        s.save_session(sid)
        export_bundle(s, base / "good" / "b.hkb")
    return {"DB": str(db), "SID": sid[:8], "BUNDLE": str(base / "good" / "b.hkb"), "REC": str(places["rec"])}


def test_the_matrix_covers_every_verb() -> None:
    """A verb added to the command line without a row here fails this."""
    from kiosk.cli.root import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    verbs = set(sub.choices)  # type: ignore[attr-defined]
    verbs |= {f"{v} {s}" for v in ("roster", "results")
              for s in sub.choices[v]._subparsers._group_actions[0].choices}  # type: ignore[attr-defined]
    covered = {" ".join(k.split()[:2]) if k.split()[0] in ("roster", "results") else k.split()[0]
               for k in VERBS}
    assert verbs - {"roster", "results"} <= covered, sorted(verbs - covered)


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_bad_path_is_one_line_and_no_traceback(
        places: dict[str, Path], good: dict[str, str], tmp_path: Path, verb: str) -> None:
    argv, name = VERBS[verb]
    cases = []
    for kind in KINDS:
        if kind == "missing" and verb in MAKES_FOLDERS:
            continue
        sub = {**good, "P": bad(kind, places, name, tmp_path), "TMP": str(tmp_path)}
        cases.append([a.format(**sub) for a in argv])
    env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    res = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(cases)], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
    assert res.returncode == 0, res.stderr[-3000:]
    problems = []
    kinds = [k for k in KINDS if not (k == "missing" and verb in MAKES_FOLDERS)]
    for kind, r in zip(kinds, json.loads(res.stdout.splitlines()[-1]), strict=True):
        err = r["stderr"]
        # The kiosk shows its problem and goes on (exit 0 after --frames; the results held in
        # memory, the config or source problem on screen); every other verb: exit 2.
        said = [ln for ln in err.splitlines() if ln.startswith("hinge-kiosk: ")]
        if verb == "run --db" and r["rc"] == 0:
            said = [ln for ln in r["stdout"].splitlines() if "NOT saved" in ln]
        elif verb == "run --source" and r["rc"] == 0:  # the recording is not there: said on screen
            said = [ln for ln in err.splitlines() if "screen: status-source-error" in ln]
        ok_rc = (0, 2) if verb.startswith("run ") else (2,)
        if "Traceback" in err or r["rc"] not in ok_rc or not said:
            problems.append(f"{kind}: rc={r['rc']} {err.strip()[-600:]} {r['stdout'][-300:]}")
        elif r["rc"] == 2 and len(err.strip().splitlines()) != 1:
            problems.append(f"{kind}: not one line: {err.strip()[:600]}")
    assert not problems, f"{verb}:\n" + "\n".join(problems)


CONFIG_PROBLEMS = {
    "sim script typo": ('[sim]\nscript = "sesion"\n', 'sim.script = "sesion": is not a simulator script'),
    "screenshots dir through a file": ('[screenshots]\ndir = "{BASE}/a-file/shots"\n',
                                       "[screenshots] dir"),
    "screenshots dir name too long": ('[screenshots]\ndir = "{BASE}/' + "L" * 300 + '"\n',
                                      "File name too long"),
    "recording in a link loop": ('[camera]\nsource = "{BASE}/loop/take.db3"\n',
                                 "Too many levels of symbolic links"),
}


@pytest.mark.parametrize("case", list(CONFIG_PROBLEMS))
def test_a_bad_kiosk_toml_shows_the_config_error_screen(places: dict[str, Path], tmp_path: Path,
                                                        case: str) -> None:
    """The kiosk (`run`, as systemd starts it) with a kiosk.toml naming something unusable:
    no traceback, one "config error" line, and the config-error screen (its screenshot)."""
    text, needle = CONFIG_PROBLEMS[case]
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(text.replace("{BASE}", str(places["base"])))
    shots = tmp_path / "shots"
    env = {**os.environ, "PYTHONPATH": str(REPO), "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    # (--screenshot-dir would replace the config's [screenshots] dir: not for those cases)
    extra = [] if "screenshots" in case else ["--screenshot-dir", str(shots)]
    res = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--config", str(cfg), "--frames", "3",
                          *extra], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120, preexec_fn=_limit_memory)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    (line,) = [ln for ln in res.stderr.splitlines() if ln.startswith("hinge-kiosk: ")]
    assert line.startswith("hinge-kiosk: config error: ") and needle in line, line
    assert "screen: status-config-error" in res.stderr
    if extra:
        assert [p.name for p in shots.iterdir()] == ["000-status-config-error.png"]
