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

Links (a root shell running `results export` into a folder others can write): temporaries
have random names and are created O_EXCL|O_NOFOLLOW; a final path, or a database, that is a
symbolic link is refused with one line; modes are set with fchmod on a descriptor opened
O_NOFOLLOW, never by chmod through a path.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
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


def _link_error(path: Path) -> OSError:
    return OSError(errno.ELOOP, "is a symbolic link: not followed (give the real path, or remove the "
                   "link)", str(path))


def refuse_link(path: Path) -> None:
    """OSError when `path` itself is a symbolic link (a planted link must not send a write,
    a chmod or the database somewhere else). A missing path is fine."""
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise _link_error(path)


def check_output_file(path: Path) -> None:
    """OSError naming `path` unless it is missing or a regular file: a command never writes
    through a symbolic link, nor replaces a folder, a device or a pipe with its output."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if stat.S_ISLNK(st.st_mode):
        raise _link_error(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder: give a file name", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "is a device or special file, not a regular file: give a file name",
                      str(path))


def ensure_private_dir(path: Path) -> None:
    """Create `path` and missing parents as 0700 (whatever the umask); leave existing ones.
    The mode is set on the directory just made, opened without following a link (a link
    swapped in meanwhile is refused, never chmod'ed through)."""
    missing: list[Path] = []
    p = path
    while not os.path.lexists(p):
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, DIR_MODE)
        except FileExistsError:
            continue
        fd = _open_nofollow(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fchmod(fd, DIR_MODE)  # mkdir's mode is filtered by the umask
        finally:
            os.close(fd)
        fsync_dir(d.parent)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a directory", str(path))


def _open_nofollow(path: Path, flags: int, mode: int = FILE_MODE) -> int:
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _link_error(path) from None
        raise


def ensure_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 if missing (True when created); tighten an existing
    file we own to 0600. The parent directory must exist. A symbolic link is refused."""
    try:
        fd = _open_nofollow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
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
    """chmod 0600 a regular file this user owns that others could read; leave anything else
    alone. Never through a link: the file is opened with O_NOFOLLOW and fchmod'ed (OSError
    naming the link when `path` is one)."""
    try:
        fd = _open_nofollow(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        return
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`: a new 0600 temporary with a random name beside
    it (O_CREAT|O_EXCL|O_NOFOLLOW: a file or link planted under that name is never opened),
    fsync, rename over `path`, fsync the directory. A reader sees the old file or the whole
    new one. Only a regular file is ever replaced: a symbolic link, a folder or a device
    (/dev/full, as root) at `path` is refused (check_output_file)."""
    path = Path(path)
    check_output_file(path)
    for _ in range(8):
        tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(8)}.tmp")
        try:
            fd = _open_nofollow(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 8 collisions of 64 random bits
        raise FileExistsError(errno.EEXIST, "cannot make a temporary file", str(path.parent))
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
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def try_lock(path: Path) -> int | None:
    """Hold an exclusive lock on `path` (created 0600, never through a link): its
    descriptor, to keep open for as long as the lock should last (the kernel drops it when
    the process ends, a SIGKILL included), or None when another process holds it."""
    fd = _open_nofollow(path, os.O_RDWR | os.O_CREAT)
    try:
        with contextlib.suppress(PermissionError):  # another user's lock file: leave its mode
            os.fchmod(fd, FILE_MODE)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def file_identity(path: Path) -> tuple[int, ...]:
    """(device, inode, size, mtime) of `path`, () when it cannot be read: tells whether a
    file was replaced or changed since it was last looked at."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
