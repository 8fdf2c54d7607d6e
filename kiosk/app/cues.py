"""Coaching words: the one cue for a rep's faults and for a whole session.

Fault names are DESIGN.md's fixed vocabulary; what the member reads is plain words (the
"lower back", never the "sacrum"). A cue is short: it is drawn large enough to read from
3 m while bent over (render.py), so it fits one line; the measured miss ("hips 6 cm short
of the wall") is said beside it by the view. When a rep shows several faults the cue is
for the most important one: a rounded back first (it is what loads the spine), then the
squat pattern (knees instead of hips), then the hips not reaching back, the head, and the
weight on the toes (usually fixed by the hips going back).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from kiosk.core.drill import RepResult

FAULT_PRIORITY: tuple[str, ...] = (
    "back_rounded",
    "knees_bent",
    "wall_not_reached",
    "head_not_neutral",
    "weight_on_toes",
)

FAULT_CUES: dict[str, str] = {
    "back_rounded": "Keep your back flat",
    "knees_bent": "Less knee bend",
    "wall_not_reached": "Push your hips back",
    "head_not_neutral": "Head in line, eyes down",
    "weight_on_toes": "Sit back onto your heels",
}

# Short names for the result screen's list of faults.
FAULT_NAMES: dict[str, str] = {
    "back_rounded": "back rounded",
    "knees_bent": "knees bent (squatting)",
    "wall_not_reached": "hips short of the wall",
    "head_not_neutral": "head out of line",
    "weight_on_toes": "weight on the toes",
}

PRAISE = "Great hinge!"
SESSION_PRAISE = "Every rep clean. Keep it up!"
LIMIT_PRAISE = "Clean hinges: your hamstrings set the limit"
UNKNOWN_CUE = "Hinge at the hips, back flat"


def _rank(fault: str) -> int:
    return FAULT_PRIORITY.index(fault) if fault in FAULT_PRIORITY else len(FAULT_PRIORITY)


def main_fault(faults: Iterable[str]) -> str | None:
    """The most important fault of a rep, or None for a clean rep."""
    ordered = sorted(faults, key=_rank)
    return ordered[0] if ordered else None


def rep_cue(faults: Sequence[str]) -> str:
    """The one thing to say after a rep: praise, or the main fault in plain words."""
    fault = main_fault(faults)
    if fault is None:
        return PRAISE
    return FAULT_CUES.get(fault, UNKNOWN_CUE)


def fault_counts(reps: Sequence[RepResult]) -> list[tuple[str, int]]:
    """(fault, reps showing it), most frequent first, ties by importance."""
    counts = Counter(f for r in reps for f in r.faults)
    return sorted(counts.items(), key=lambda kv: (-kv[1], _rank(kv[0])))


def session_cue(reps: Sequence[RepResult]) -> str:
    """The one coaching cue to take away: for the most frequent fault (ties: the most
    important), or praise when every rep was clean. A wall drill always ends with misses
    (that is how the depth is found), so misses at the last distance are not held
    against the athlete when the rest was clean."""
    judged = _judged(reps)
    counted = fault_counts(judged)
    if not counted:
        return SESSION_PRAISE if len(judged) == len(reps) else LIMIT_PRAISE
    return FAULT_CUES.get(counted[0][0], UNKNOWN_CUE)


def _judged(reps: Sequence[RepResult]) -> list[RepResult]:
    """Reps whose faults count for the take-away cue: all but the final wall misses that
    show nothing but `wall_not_reached`, when a wall distance was passed before them (the
    end of the progression; with no wall passed at all, the misses are the lesson)."""
    out = list(reps)
    while out and out[-1].drill == "wall" and out[-1].faults == ("wall_not_reached",):
        out.pop()
    if not any(r.drill == "wall" and r.passed for r in out):
        return list(reps)
    return out
