"""`hinge-kiosk bench --json`: the output contract only. Speed is measured by the benchmark
(`make bench`, docs/performance.md), never asserted by a test."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _hinge_kiosk() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).parent / "hinge-kiosk"
    if script.exists():
        return [str(script)]
    found = shutil.which("hinge-kiosk")
    return [found] if found else [sys.executable, "-m", "kiosk.cli"]


@pytest.mark.slow
def test_bench_json_prints_exactly_the_three_numbers() -> None:
    proc = subprocess.run(
        [*_hinge_kiosk(), "bench", "--json", "--frames", "5"],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # stdout is the JSON object and nothing else
    assert set(doc) == {"analysis_ms_median", "baseline_ms_median", "ratio"}
    for key, value in doc.items():
        assert isinstance(value, float | int) and not isinstance(value, bool), key
        assert math.isfinite(value) and value > 0, (key, value)
