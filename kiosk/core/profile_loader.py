"""Read a profile TOML into a validated `Profile` (the core's only file I/O).

Sections absent from the file keep their defaults; unknown keys and out-of-bound values
raise `ProfileError` with one line naming the key, the value and the allowed range.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from calibration.describe import parse_toml_model
from kiosk.core.thresholds import Profile


class ProfileError(ValueError):
    """The profile file cannot be read or does not validate."""


def parse_profile(text: str, source: str = "<string>") -> Profile:
    """Profile from TOML text."""
    try:
        return parse_toml_model(text, Profile, source)
    except ValueError as err:
        raise ProfileError(str(err)) from None


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
