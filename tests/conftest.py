"""Shared fixtures: the third-party real captures and headless settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

REPO_ROOT = Path(__file__).resolve().parents[1]


def realdata_dir() -> Path | None:
    env = os.environ.get("HINGE_REALDATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "realdata")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def realdata() -> Path:
    d = realdata_dir()
    if d is None:
        pytest.skip("../shared/realdata not present (set HINGE_REALDATA)")
    return d
