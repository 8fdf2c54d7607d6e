"""Read a profile TOML into a validated `Profile` (the core's only file I/O).

Sections absent from the file keep their defaults; unknown keys and out-of-bound values
raise `ProfileError` with one line naming the key, the value and the allowed range.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from calibration.describe import parse_toml_model
from kiosk.core.body_model import old_names
from kiosk.core.thresholds import Profile


class ProfileError(ValueError):
    """The profile file cannot be read or does not validate."""


def parse_profile(text: str, source: str = "<string>") -> Profile:
    """Profile from TOML text. An error about a key the file gives under its older name
    (kiosk/core/body_model.py) names it as the file does, and its name today."""
    try:
        return parse_toml_model(text, Profile, source)
    except ValueError as err:
        message = str(err)
        try:
            renamed = old_names(tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            renamed = {}
        for new, old in renamed.items():
            message = re.sub(rf"\b{re.escape(new)}\b", f"{old} (now {new})", message, count=1)
        raise ProfileError(message) from None


def load_profile(path: Path | None = None) -> Profile:
    """Profile from a TOML file; None = kiosk/default_profile.toml shipped with the package."""
    if path is None:
        text = resources.files("kiosk").joinpath("default_profile.toml").read_text(encoding="utf-8")
        return parse_profile(text, "default_profile.toml")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ProfileError(f"{path}: {err.strerror or err}") from None
    return parse_profile(text, str(path))
