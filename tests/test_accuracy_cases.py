"""The accuracy matrix (kiosk/accuracy_cases.py): the tuning family carries the confounds
the validation family showed (soft glutes), each case reaches the simulator with them, and
no two cases share a name (the name is the frame cache's key)."""

from __future__ import annotations

from kiosk.accuracy_cases import confound_matrix, full_matrix
from kiosk.accuracy_validation import validation_matrix


def test_case_names_are_unique_across_both_families() -> None:
    names = [c.name for c in full_matrix() + validation_matrix()]
    assert len(names) == len(set(names))


def test_the_tuning_family_has_soft_glutes_on_neutral_and_lumbar_scripts() -> None:
    conf = confound_matrix()
    assert set(conf) <= set(full_matrix())
    scripts = {c.script for c in conf}
    assert {"dowel_reps", "rounded_lumbar", "rounded_back"} <= scripts
    for case in conf:
        cfg = case.sim_config()
        assert cfg.glute_softness == case.glute_softness > 0
        assert cfg.body == "parametric" and "glutes1" in case.name


def test_a_plain_case_reaches_the_simulator_without_confounds() -> None:
    plain = [c for c in full_matrix() if c not in confound_matrix()]
    configs = [c.sim_config() for c in plain]
    assert configs and all(cfg.glute_softness == 0 and cfg.shirt_ease_m == 0 for cfg in configs)
