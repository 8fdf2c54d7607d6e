"""What the fallback notice says: the facts about the failed unit, read from systemd's
$MONITOR_* variables, `systemctl show` and the journal, and the words made of them.

Everything read here can be missing or broken: journalctl absent, failing, hanging or
returning nothing, systemctl unreachable, a log line of ten thousand characters. Each reader
then returns what it knows and why the rest is missing, never raising, so the notice can say
so instead of crashing. Pure text: nothing here draws (drawing.py lays it out).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kiosk.palette import CUE, DIM, TEXT, Color

LOG_LINES = 3  # the kiosk's last lines shown (a traceback's last frame and its exception)
COMMAND_TIMEOUT_S = 5.0  # journalctl / systemctl; the notice must come up regardless
MAX_LINE_CHARS = 600  # a log line is cut to this before layout (a 1 MB line must not stall it)

# The kiosk's palette (kiosk/palette.py: constants only, so nothing of the app is imported).
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
