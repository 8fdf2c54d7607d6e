"""Read a profile TOML into a validated `Profile` (the core's only file I/O).

Sections absent from the file keep their defaults; unknown keys and out-of-bound values
raise `ProfileError` with pydantic's message (which names the offending key).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from kiosk.core.thresholds import Profile


class ProfileError(ValueError):
    """The profile file cannot be read or does not validate."""


def parse_profile(text: str, source: str = "<string>") -> Profile:
    """Profile from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"{source}: not valid TOML: {err}") from None
    try:
        return Profile.model_validate(data)
    except ValidationError as err:
        raise ProfileError(f"{source}: {_first_problem(err)}") from None


def _first_problem(err: ValidationError) -> str:
    """pydantic's report is several lines; a person gets one: key, value, what is wrong."""
    e = err.errors(include_url=False)[0]
    key = ".".join(str(p) for p in e["loc"]) or "(top level)"
    if e["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    return f"{key} = {e.get('input')!r}: {e['msg']}"


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
