"""hardware/pi/install.sh run twice, with the librealsense build in the loop: a new tag, the
same tag again, a broken source folder, short disk, a 2 GB board, and the operator PIN.

Same scratch tree as tests/test_pi_install.py (HINGE_KIOSK_ROOT, system tools stubbed), plus:
- git is the real git behind a wrapper that logs every call, and the "upstream" is a local
  repository with two tags, v2.59.1 and v2.60.0, whose VERSION files differ;
- cmake, make, ldconfig, nproc, df, fallocate, mkswap, swapon and swapoff are stubs that log;
  `make -jN` "compiles" by copying the checked-out VERSION into the module it installs, so the
  installed pyrealsense2 says which source it was built from;
- the venv's python imports pyrealsense2 only once a module is in its site-packages;
- free disk comes from the df stub (STUB_DF_FREE_MB), memory from $ROOT/proc/meminfo.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.app.operator import MAX_PIN_DIGITS, verify_pin
from tests.pin_text import shows_pin
from tests.test_pi_install import INSTALL_SH, REPO, STUB, STUBS, _write_exe

GIT = "/usr/bin/git"
TAGS = ("v2.59.1", "v2.60.0")
PY_STUB = STUB + """case "$*" in
  *sysconfig*) echo "$STUB_SITE" ;;
  *'import pyrealsense2'*) [ -f "$STUB_SITE/pyrealsense2/__init__.py" ] || exit 1 ;;
esac
"""
BUILD_STUBS: dict[str, str] = {
    # Every git call logged, then the real git.
    "git": f'#!/bin/sh\necho "git $*" >> "$STUB_LOG"\nexec {GIT} "$@"\n',
    "cmake": '#!/bin/sh\necho "cmake cwd=$PWD $*" >> "$STUB_LOG"\n',
    "make": '#!/bin/sh\necho "make cwd=$PWD $*" >> "$STUB_LOG"\n'
    'case "$1" in -j*) mkdir -p Release &&\n'
    "  cat ../VERSION > Release/pyrealsense2.cpython-311-aarch64-linux-gnu.so ;;\nesac\n",
    "ldconfig": STUB,
    "nproc": "#!/bin/sh\necho 4\n",
    "df": '#!/bin/sh\necho "df $*" >> "$STUB_LOG"\n'
    'echo "Filesystem 1024-blocks Used Available Capacity Mounted on"\n'
    'echo "/dev/mmcblk0p2 30000000 1000 $((STUB_DF_FREE_MB * 1024)) 5% /"\n',
    "fallocate": STUB + 'touch "$3"\n',  # fallocate -l SIZE FILE
    "mkswap": STUB,
    "swapon": STUB,
    "swapoff": STUB,
    # The environment every apt-get call sees (OPERATOR_PIN must not be in it).
    "apt-get": STUB + 'env >> "$STUB_ENV"\n',
}
GB = 1024 * 1024  # kB


def meminfo(total_kb: int, avail_kb: int, swap_kb: int) -> str:
    return (f"MemTotal:       {total_kb} kB\nMemFree:        {avail_kb // 2} kB\n"
            f"MemAvailable:   {avail_kb} kB\nSwapTotal:      {swap_kb} kB\nSwapFree:       {swap_kb} kB\n")


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1"}
    res = subprocess.run([GIT, *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return res.stdout.strip()


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in for librealsense's repository: one commit per tag, plus a newer commit."""
    up = tmp_path_factory.mktemp("upstream") / "librealsense"
    up.mkdir()
    git("init", "-q", "-b", "master", cwd=up)
    for tag in TAGS:
        (up / "VERSION").write_text(f"{tag} code\n")
        (up / "CMakeLists.txt").write_text(f"project(realsense2) # {tag}\n")
        git("add", "-A", cwd=up)
        git("commit", "-q", "-m", tag, cwd=up)
        git("tag", "-a", "-m", tag, tag, cwd=up)
    (up / "VERSION").write_text("unreleased\n")
    git("commit", "-q", "-am", "development", cwd=up)
    return up


@pytest.fixture
def pi(tmp_path: Path, upstream: Path) -> dict[str, Path]:
    root = tmp_path / "root"
    for d in ("etc/udev/rules.d", "etc/systemd/system", "boot/firmware", "sys/fs/cgroup", "proc"):
        (root / d).mkdir(parents=True)
    (root / "etc/os-release").write_text('PRETTY_NAME="Raspbian bookworm"\nVERSION_CODENAME=bookworm\n')
    (root / "boot/firmware/cmdline.txt").write_text("console=tty1 root=PARTUUID=1234-02 rootwait\n")
    (root / "sys/fs/cgroup/cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (root / "proc/meminfo").write_text(meminfo(8 * GB, 7 * GB, 100 * 1024))  # an 8 GB Pi 5
    venv = root / "opt/hinge-kiosk/venv"
    site = venv / "lib/python3.11/site-packages"
    site.mkdir(parents=True)
    _write_exe(venv / "bin/python", PY_STUB)
    _write_exe(venv / "bin/hinge-kiosk", f'#!/bin/sh\nexec "{sys.executable}" -m kiosk.cli "$@"\n')
    bin_dir = tmp_path / "bin"
    for name, text in {**STUBS, "chown": STUB, **BUILD_STUBS}.items():
        _write_exe(bin_dir / name, text)
    return {"root": root, "bin": bin_dir, "log": tmp_path / "calls.log", "envlog": tmp_path / "env.log",
            "active": tmp_path / "active", "site": site, "venv": venv, "upstream": upstream,
            "src": root / "usr/local/src/librealsense", "home": tmp_path / "home"}


def run(pi: dict[str, Path], *, ok: bool = True, free_mb: int = 20_000, **env_extra: str
        ) -> subprocess.CompletedProcess[str]:
    pi["home"].mkdir(exist_ok=True)
    env = {
        "PATH": f"{pi['bin']}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HINGE_KIOSK_ROOT": str(pi["root"]),
        "STUB_LOG": str(pi["log"]), "STUB_ENV": str(pi["envlog"]), "STUB_ACTIVE": str(pi["active"]),
        "STUB_SITE": str(pi["site"]), "STUB_DF_FREE_MB": str(free_mb),
        "LIBREALSENSE_REPO": f"file://{pi['upstream']}",
        "HOME": str(pi["home"]), "GIT_CONFIG_NOSYSTEM": "1",
        "PYTHONPATH": str(REPO),
        **env_extra,
    }
    pi["log"].write_text("")  # this run's calls only
    res = subprocess.run(["bash", str(INSTALL_SH)], capture_output=True, text=True, env=env, timeout=120,
                         stdin=subprocess.DEVNULL)
    if ok:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def calls(pi: dict[str, Path]) -> list[str]:
    return pi["log"].read_text().splitlines()


def installed_module(pi: dict[str, Path]) -> str:
    (so,) = (pi["site"] / "pyrealsense2").glob("pyrealsense2*.so")
    return so.read_text()


def stamp(pi: dict[str, Path]) -> dict[str, str]:
    text = (pi["venv"] / "librealsense-build.txt").read_text()
    return dict(line.split("=", 1) for line in text.splitlines())


def built(log: list[str]) -> list[str]:
    return [c for c in log if c.startswith(("cmake ", "make "))]


def tag_commit(pi: dict[str, Path], tag: str) -> str:
    return git("rev-parse", f"refs/tags/{tag}^{{commit}}", cwd=pi["upstream"])


# --- the librealsense build: tags, folders, idempotence -------------------------------------


def test_first_install_clones_the_tag_and_builds_it(pi: dict[str, Path]) -> None:
    res = run(pi, LIBREALSENSE_TAG="v2.59.1")
    log = calls(pi)
    assert "no pyrealsense2" in res.stdout
    assert sum(c.startswith("git clone") and "--branch v2.59.1" in c for c in log) == 1
    src = pi["src"]
    assert git("rev-parse", "HEAD", cwd=src) == tag_commit(pi, "v2.59.1")
    assert f"cmake cwd={src}/build-v2.59.1 {src} -DCMAKE_BUILD_TYPE=Release" in " ".join(log)
    assert installed_module(pi) == "v2.59.1 code\n"
    assert stamp(pi) == {"state": "installed", "tag": "v2.59.1", "commit": tag_commit(pi, "v2.59.1")}
    assert not Path(f"{src}.partial").exists()
    assert "make cwd=" + str(src / "build-v2.59.1") + " -j4" in log  # 8 GB, 4 cores: all four


def test_rebuild_with_a_new_tag_fetches_checks_it_out_and_builds_it_fresh(pi: dict[str, Path]) -> None:
    run(pi, LIBREALSENSE_TAG="v2.59.1")
    src = pi["src"]
    # What the old script left: a single build/ folder.
    (src / "build").mkdir()
    (src / "build/CMakeCache.txt").write_text("old\n")

    res = run(pi, REBUILD_LIBREALSENSE="1", LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    new = tag_commit(pi, "v2.60.0")
    assert not any(c.startswith("git clone") for c in log)  # the clone is reused
    assert any(" fetch " in c and "refs/tags/v2.60.0:refs/tags/v2.60.0" in c for c in log), log
    assert any(" checkout " in c and "--detach refs/tags/v2.60.0" in c for c in log), log
    # Detached exactly at the tag's commit, nothing changed.
    assert git("rev-parse", "HEAD", cwd=src) == new
    assert git("describe", "--tags", "--exact-match", cwd=src) == "v2.60.0"
    assert subprocess.run([GIT, "symbolic-ref", "-q", "HEAD"], cwd=src).returncode != 0  # detached
    assert git("status", "--porcelain", "--untracked-files=no", cwd=src) == ""
    # A fresh build folder for the tag; the old ones gone.
    assert any(c.startswith(f"cmake cwd={src}/build-v2.60.0 ") for c in log)
    assert f"make cwd={src}/build-v2.60.0 install" in log
    assert not (src / "build-v2.59.1").exists() and not (src / "build").exists()
    assert (src / "build-v2.60.0/.source-commit").read_text().strip() == new
    # The new source is what got installed.
    assert installed_module(pi) == "v2.60.0 code\n"
    assert stamp(pi) == {"state": "installed", "tag": "v2.60.0", "commit": new}
    assert "librealsense source: v2.60.0" in res.stdout


def test_a_new_tag_is_built_once_and_the_same_tag_again_is_not(pi: dict[str, Path]) -> None:
    run(pi, LIBREALSENSE_TAG="v2.59.1")
    res = run(pi, LIBREALSENSE_TAG="v2.60.0")  # no REBUILD_LIBREALSENSE: the tag differs
    assert "is librealsense v2.59.1, v2.60.0 wanted" in res.stdout
    assert installed_module(pi) == "v2.60.0 code\n"

    res = run(pi, LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    assert "pyrealsense2 (librealsense v2.60.0) already in" in res.stdout
    assert not any(c.startswith("git ") for c in log)
    assert built(log) == [] and not any(c.startswith(("fallocate", "swapon")) for c in log)
    assert installed_module(pi) == "v2.60.0 code\n"


def test_rebuild_with_the_same_tag_is_idempotent(pi: dict[str, Path]) -> None:
    run(pi, REBUILD_LIBREALSENSE="1", LIBREALSENSE_TAG="v2.60.0")
    src = pi["src"]
    (src / "build-v2.60.0/object.o").write_text("compiled\n")  # what make would not redo
    run(pi, REBUILD_LIBREALSENSE="1", LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    assert not any(c.startswith("git clone") or " fetch " in c or " checkout " in c for c in log), log
    assert (src / "build-v2.60.0/object.o").exists()  # the same build folder, kept
    assert f"make cwd={src}/build-v2.60.0 install" in log
    assert git("rev-parse", "HEAD", cwd=src) == tag_commit(pi, "v2.60.0")
    assert installed_module(pi) == "v2.60.0 code\n"
    assert stamp(pi)["tag"] == "v2.60.0"


def _edit_tracked(src: Path) -> None:
    (src / "VERSION").write_text("hand-edited code\n")


def _delete_tracked(src: Path) -> None:  # a checkout cut off half-way
    (src / "CMakeLists.txt").unlink()


def _interrupted_clone(src: Path) -> None:  # .git made, nothing fetched yet
    subprocess.run(["rm", "-rf", str(src)], check=True)
    src.mkdir()
    git("init", "-q", cwd=src)


def _not_git(src: Path) -> None:
    subprocess.run(["rm", "-rf", str(src / ".git")], check=True)


@pytest.mark.parametrize("damage", [_edit_tracked, _delete_tracked, _interrupted_clone, _not_git],
                         ids=["edited", "files-missing", "interrupted-clone", "not-git"])
def test_a_broken_source_folder_is_cloned_again(pi: dict[str, Path], damage: Callable[[Path], None]) -> None:
    run(pi, LIBREALSENSE_TAG="v2.59.1")
    src = pi["src"]
    damage(src)
    res = run(pi, REBUILD_LIBREALSENSE="1", LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    assert f"{src} is unusable" in res.stdout
    assert sum(c.startswith("git clone") and "--branch v2.60.0" in c for c in log) == 1
    assert git("rev-parse", "HEAD", cwd=src) == tag_commit(pi, "v2.60.0")
    assert git("status", "--porcelain", "--untracked-files=no", cwd=src) == ""
    assert installed_module(pi) == "v2.60.0 code\n"  # never the stale or edited code


def test_an_unfinished_build_is_built_again(pi: dict[str, Path]) -> None:
    run(pi, LIBREALSENSE_TAG="v2.59.1")
    (pi["venv"] / "librealsense-build.txt").write_text("state=building\ntag=v2.59.1\n")  # cut off
    res = run(pi, LIBREALSENSE_TAG="v2.59.1")
    assert "did not finish" in res.stdout
    assert any(c.startswith("make ") and "-j" in c for c in calls(pi))
    assert stamp(pi)["state"] == "installed"


def test_an_older_install_without_a_record_is_kept(pi: dict[str, Path]) -> None:
    (pi["site"] / "pyrealsense2").mkdir()
    (pi["site"] / "pyrealsense2/__init__.py").write_text("")
    res = run(pi)
    assert "version not recorded" in res.stdout
    assert built(calls(pi)) == []


def test_the_default_tag_is_the_build_scripts(pi: dict[str, Path]) -> None:
    text = (REPO / "hardware/pi/build_librealsense.sh").read_text()
    key = "DEFAULT_LIBREALSENSE_TAG="
    (default,) = [ln.removeprefix(key) for ln in text.splitlines() if ln.startswith(key)]
    assert default in TAGS  # the upstream stand-in has it
    run(pi)
    assert stamp(pi)["tag"] == default


# --- disk and memory ----------------------------------------------------------------------------


def test_short_disk_refuses_in_one_line_before_anything_is_built(pi: dict[str, Path]) -> None:
    res = run(pi, ok=False, free_mb=1200, LIBREALSENSE_TAG="v2.60.0")
    assert res.returncode != 0
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    (line,) = lines
    assert "not enough free disk for the librealsense build" in line
    assert "needs 3072 MB free on /" in line and "1200 MB free" in line  # needed, free
    assert "then run the installer again" in line  # what to do
    log = calls(pi)
    assert not any(c.startswith("git ") for c in log)
    assert built(log) == [] and not any(c.startswith(("fallocate", "swapon")) for c in log)
    assert not any(c.startswith("apt-get install") and "cmake" in c for c in log)  # no build tools either
    assert not (pi["venv"] / "librealsense-build.txt").exists()
    assert not pi["src"].exists()
    assert "4/8" not in res.stdout  # the installer stopped there


def test_a_2gb_board_gets_a_swap_file_for_the_build_and_one_job(pi: dict[str, Path]) -> None:
    (pi["root"] / "proc/meminfo").write_text(meminfo(1_892_000, 1_500_000, 100 * 1024))  # Pi 4 2 GB
    swapfile = pi["root"] / "var/swap.librealsense-build"
    res = run(pi, LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    # 3584 - 1847 - 100 MB, rounded up to 256 MB.
    assert f"fallocate -l 1792M {swapfile}" in log
    assert f"mkswap {swapfile}" in log and f"swapon {swapfile}" in log
    i_on = log.index(f"swapon {swapfile}")
    i_make = next(i for i, c in enumerate(log) if c.startswith("make ") and "-j" in c)
    assert i_on < i_make and log[i_make].endswith(" -j1")  # swap before the build, one job
    assert f"swapoff {swapfile}" in log[i_make:]  # removed when the build ended
    assert not swapfile.exists()
    assert "added a 1792 MB swap file" in res.stdout
    assert installed_module(pi) == "v2.60.0 code\n"


def test_a_2gb_board_also_needs_disk_for_the_swap_file(pi: dict[str, Path]) -> None:
    (pi["root"] / "proc/meminfo").write_text(meminfo(1_892_000, 1_500_000, 100 * 1024))
    res = run(pi, ok=False, free_mb=4000, LIBREALSENSE_TAG="v2.60.0")
    assert res.returncode != 0
    assert "needs 4864 MB free on / (source, build tree, build tools, a 1792 MB swap file" in res.stderr
    assert not any(c.startswith(("fallocate", "git ", "make ")) for c in calls(pi))


def test_a_4gb_board_builds_with_two_jobs_and_no_swap(pi: dict[str, Path]) -> None:
    (pi["root"] / "proc/meminfo").write_text(meminfo(3_880_000, 3_300_000, 100 * 1024))
    run(pi, LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    assert not any(c.startswith(("fallocate", "mkswap", "swapon")) for c in log)
    assert any(c.startswith("make ") and c.endswith(" -j2") for c in log)


def test_a_swap_file_left_by_a_cut_off_run_is_replaced(pi: dict[str, Path]) -> None:
    (pi["root"] / "proc/meminfo").write_text(meminfo(1_892_000, 1_500_000, 100 * 1024))
    swapfile = pi["root"] / "var/swap.librealsense-build"
    swapfile.parent.mkdir(parents=True)
    swapfile.write_text("left over\n")
    run(pi, LIBREALSENSE_TAG="v2.60.0")
    log = calls(pi)
    assert log.index(f"swapoff {swapfile}") < log.index(f"fallocate -l 1792M {swapfile}")
    assert not swapfile.exists()


# --- the operator PIN ---------------------------------------------------------------------------


def _pin_hash(pi: dict[str, Path]) -> str:
    return str(tomllib.loads((pi["root"] / "etc/hinge-kiosk/kiosk.toml").read_text())["operator"]["pin_hash"])


def _everything_written(pi: dict[str, Path], res: subprocess.CompletedProcess[str]) -> str:
    return "\n".join([res.stdout, res.stderr, pi["log"].read_text(), pi["envlog"].read_text(),
                      (pi["root"] / "etc/hinge-kiosk/kiosk.toml").read_text()])


def test_operator_pin_from_the_environment_is_stored_hashed_and_never_shown(pi: dict[str, Path]) -> None:
    res = run(pi, OPERATOR_PIN="739154", LIBREALSENSE_TAG="v2.60.0")
    cfg = pi["root"] / "etc/hinge-kiosk/kiosk.toml"
    assert verify_pin("739154", _pin_hash(pi))
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640  # root:hinge-kiosk, see docs/install-pi.md
    assert f"chown root:hinge-kiosk {cfg}" in calls(pi)
    assert "operator PIN set" in res.stdout and "operator PIN: " not in res.stdout
    everything = _everything_written(pi, res)
    assert not shows_pin(everything, "739154")  # not in output, command lines, children's environment, file
    assert "OPERATOR_PIN=" not in pi["envlog"].read_text()


def test_reinstall_keeps_the_pin_unless_asked_to_change_it(pi: dict[str, Path]) -> None:
    run(pi, OPERATOR_PIN="4711", LIBREALSENSE_TAG="v2.60.0")
    first = _pin_hash(pi)

    res = run(pi, LIBREALSENSE_TAG="v2.60.0")  # a plain update
    assert _pin_hash(pi) == first and "operator PIN already set" in res.stdout
    res = run(pi, OPERATOR_PIN="8080", LIBREALSENSE_TAG="v2.60.0")  # a provisioning script run again
    assert _pin_hash(pi) == first and "OPERATOR_PIN not used" in res.stdout
    assert "8080" not in _everything_written(pi, res)

    res = run(pi, OPERATOR_PIN="8080", CHANGE_OPERATOR_PIN="1", LIBREALSENSE_TAG="v2.60.0")
    assert verify_pin("8080", _pin_hash(pi)) and not verify_pin("4711", _pin_hash(pi))
    assert "8080" not in _everything_written(pi, res)


@pytest.mark.parametrize("bad", ["12", "1" * (MAX_PIN_DIGITS + 1), "12a4", "12 34"])
def test_a_pin_the_kiosk_would_refuse_stops_the_install_first(pi: dict[str, Path], bad: str) -> None:
    res = run(pi, ok=False, OPERATOR_PIN=bad)
    assert res.returncode != 0
    assert res.stderr.strip() == "OPERATOR_PIN must be 3-8 digits; nothing installed"
    assert calls(pi) == []  # not even apt-get


@pytest.mark.parametrize("old", ['[display]\nunits = "cm"\n\n[operator]\n',
                                 '[display]\nunits = "cm"\n'],
                         ids=["operator-without-pin_hash", "no-operator-table"])
def test_an_older_config_without_the_key_gets_a_pin(pi: dict[str, Path], old: str) -> None:
    cfg = pi["root"] / "etc/hinge-kiosk/kiosk.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(old)
    cfg.chmod(0o644)  # as an older install might have left it
    run(pi, OPERATOR_PIN="2468", LIBREALSENSE_TAG="v2.60.0")
    parsed = tomllib.loads(cfg.read_text())
    assert verify_pin("2468", parsed["operator"]["pin_hash"]) and parsed["display"]["units"] == "cm"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640
