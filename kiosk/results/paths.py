"""Where the results database lives, and private files and directories.

Default database path, first match wins:
  1. `--db PATH` on the command line (the caller passes it as `explicit`);
  2. `$STATE_DIRECTORY/results.sqlite3`: systemd sets STATE_DIRECTORY for the service
     (StateDirectory=hinge-kiosk -> /var/lib/hinge-kiosk); the first entry when it lists
     several (colon-separated);
  3. the kiosk config's `[station] data_dir`, when the caller passes a non-empty one;
  4. `/var/lib/hinge-kiosk/results.sqlite3` when that directory exists and is writable
     (a root shell, or `sudo -u hinge-kiosk hinge-kiosk results ...` on the Pi);
  5. `$XDG_STATE_HOME/hinge-kiosk/results.sqlite3`, default
     `~/.local/state/hinge-kiosk/results.sqlite3` (a developer's non-root run).

Files with results (the database, its -wal/-shm, exports) are created 0600 and the
directories this module creates 0700: results carry athletes' names. Existing directories
are not re-moded (systemd owns the state directory's mode).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DB_NAME = "results.sqlite3"
SYSTEM_STATE_DIR = Path("/var/lib/hinge-kiosk")
FILE_MODE = 0o600
DIR_MODE = 0o700


def default_db_path(data_dir: str = "", env: dict[str, str] | None = None) -> Path:
    """Rules 2-5 of the module docstring."""
    env = dict(os.environ) if env is None else env
    state = env.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        return Path(state) / DB_NAME
    if data_dir:
        return Path(data_dir).expanduser() / DB_NAME
    if SYSTEM_STATE_DIR.is_dir() and os.access(SYSTEM_STATE_DIR, os.W_OK | os.X_OK):
        return SYSTEM_STATE_DIR / DB_NAME
    xdg = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(xdg) / "hinge-kiosk" / DB_NAME


def fsync_dir(path: Path) -> None:
    """Make a new directory entry in `path` durable (a file created or renamed there)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_private_dir(path: Path) -> None:
    """Create `path` and missing parents as 0700 (whatever the umask); leave existing ones."""
    missing: list[Path] = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(d, DIR_MODE)
            os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask
            fsync_dir(d.parent)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a directory")


def ensure_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 if missing (True when created); tighten an existing
    file we own to 0600. The parent directory must exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path)
        return False
    try:
        os.fchmod(fd, FILE_MODE)
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return True


def tighten(path: Path) -> None:
    """chmod 0600 a file this user owns that others could read; leave anything else alone."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        os.chmod(path, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`: a 0600 temporary beside it, fsync, rename,
    fsync the directory. A reader sees the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)
