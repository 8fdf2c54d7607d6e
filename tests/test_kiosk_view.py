"""What the screen says: one cue per rep (the most important fault in plain words, praise
for a clean rep), the result's hinge depth and take-away cue, units, the operator menu."""

from __future__ import annotations

from test_kiosk_flow import rep

from kiosk.app.cues import FAULT_CUES, LIMIT_PRAISE, PRAISE, SESSION_PRAISE, main_fault, rep_cue, session_cue
from kiosk.app.flow import FlowState, Screen, Verdict
from kiosk.app.operator import MenuMode, MenuState
from kiosk.app.view import ViewContext, build_view, length_text, status_view, wall_text

CTX = ViewContext(t_s=10.0, status=("D435: ok", "calibrated"), sound="sound on")


def test_each_fault_has_its_plain_words() -> None:
    assert rep_cue(()) == PRAISE == "Great hinge!"
    assert rep_cue(("wall_not_reached",)) == "Push your hips back"
    assert rep_cue(("knees_bent",)) == "Less knee bend"
    assert rep_cue(("back_rounded",)) == "Keep your back flat"
    assert rep_cue(("head_not_neutral",)) == "Head in line, eyes down"
    assert rep_cue(("weight_on_toes",)) == "Sit back onto your heels"
    assert set(FAULT_CUES) == {"wall_not_reached", "knees_bent", "back_rounded", "head_not_neutral",
                               "weight_on_toes"}


def test_the_most_important_fault_is_the_one_said() -> None:
    assert main_fault(("weight_on_toes", "knees_bent", "back_rounded")) == "back_rounded"
    assert main_fault(("wall_not_reached", "knees_bent")) == "knees_bent"
    assert rep_cue(("head_not_neutral", "wall_not_reached")) == "Push your hips back"


def test_session_cue_is_for_the_most_frequent_fault() -> None:
    reps = [rep(0, faults=("knees_bent",)), rep(1, faults=("knees_bent",)), rep(2, faults=("back_rounded",))]
    assert session_cue(reps) == "Less knee bend"
    # A clean progression ends with two misses at the next wall: that is the limit, not a fault.
    clean = [rep(0), rep(1, "wall", wall_in=6), rep(2, "wall", ("wall_not_reached",), 8),
             rep(3, "wall", ("wall_not_reached",), 8)]
    assert session_cue(clean) == LIMIT_PRAISE
    assert session_cue(clean[:2]) == SESSION_PRAISE
    # Missing the very first wall is the lesson.
    missed = [rep(0), rep(1, "wall", ("wall_not_reached",), 6), rep(2, "wall", ("wall_not_reached",), 6)]
    assert session_cue(missed) == "Push your hips back"


def test_verdict_view_pass_and_fail() -> None:
    passed = FlowState(screen=Screen.WALL, reps=(rep(0, "wall", wall_in=6),),
                       verdict=Verdict(rep(0, "wall", wall_in=6), 20.0))
    vm = build_view(passed, None, CTX)
    assert vm.key == "wall-pass" and vm.verdict is not None
    assert vm.verdict.passed and vm.verdict.headline == "PASS" and vm.verdict.cue == "Great hinge!"
    assert vm.verdict.detail == "Wall moves back to 8 in"
    fail = rep(1, "wall", ("knees_bent", "wall_not_reached"), 8)
    failed = FlowState(screen=Screen.WALL, reps=(rep(0, "wall", wall_in=6), fail),
                       verdict=Verdict(fail, 20.0))
    vm = build_view(failed, None, CTX)
    assert vm.key == "wall-fail" and vm.verdict is not None
    assert not vm.verdict.passed and vm.verdict.headline == "FAIL" and vm.verdict.cue == "Less knee bend"
    assert vm.cue == "Less knee bend"  # the big line across the top says the verdict's cue
    assert vm.verdict.detail == "One more try at 8 in"
    assert vm.status == ("D435: ok", "calibrated", "sound on")


def test_result_view_hinge_depth_faults_and_cue() -> None:
    reps = (rep(0), rep(1, "wall", wall_in=6), rep(2, "wall", wall_in=8),
            rep(3, "wall", ("wall_not_reached",), 10), rep(4, "wall", ("wall_not_reached",), 10))
    vm = build_view(FlowState(screen=Screen.RESULT, reps=reps), None, CTX)
    stats = dict(vm.stats)
    assert vm.key == "result" and stats["Hinge depth"] == "8 in"
    assert stats["Reps"] == "5  (3 clean)" and "hips short of the wall x2" in stats["Faults seen"]
    assert vm.lines[0] == LIMIT_PRAISE
    cm = build_view(FlowState(screen=Screen.RESULT, reps=reps), None, ViewContext(units="cm"))
    assert dict(cm.stats)["Hinge depth"] == "20 cm"
    none = build_view(FlowState(screen=Screen.RESULT, reps=(rep(0, faults=("back_rounded",)),)), None, CTX)
    assert dict(none.stats)["Hinge depth"] == "not yet"
    assert dict(none.stats)["Depth note"] == "no wall reached with good form yet"
    assert none.lines[0] == "Keep your back flat"


def test_units_and_status_and_menu() -> None:
    assert length_text(0.0254, "in") == "1.0 in" and length_text(0.0254, "cm") == "2.5 cm"
    assert wall_text(6.0, "in") == "6 in" and wall_text(6.0, "cm") == "15 cm"
    vm = status_view(CTX, "no-camera", "No camera found", ("plug it in",))
    assert vm.key == "status-no-camera" and vm.kind == "status" and vm.alert
    pin = build_view(FlowState(), None, ViewContext(menu=MenuState(mode=MenuMode.PIN, digits="12")))
    assert pin.menu is not None and pin.menu.lines == ("* *",)
    menu = build_view(FlowState(), None, ViewContext(menu=MenuState(mode=MenuMode.OPEN), units="cm"))
    assert menu.menu is not None and any("Units: cm" in line for line in menu.menu.lines)
    assert [line.split()[0] for line in menu.menu.lines] == ["1", "2", "3", "4", "5", "Esc"]
