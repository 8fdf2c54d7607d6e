"""One line of plain words for a pydantic validation error, shared by every file the
product reads and a person may have edited: the calibration JSON, `kiosk.toml` and the
threshold profile.

pydantic's own report is several lines with URLs; an installer reading a status screen or
a journal line needs the key, the value and what is allowed. Bounds come from the model's
field metadata (ge/gt/le/lt), walked along the error's location, so a message names both
ends of the range even though pydantic's error carries only the one that was crossed.
Every error is named, not only the first (a file with three mistakes is fixed in one go):
"3 problems: A; B; C", as many as MAX_SHOWN and MAX_CHARS allow, then "(and N more)".
"""

from __future__ import annotations

import json
import math
import tomllib
from typing import Any, TypeVar

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M", bound=BaseModel)

_RANGE_ERRORS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")
MAX_SHOWN = 8  # problems named in the line, in at most MAX_CHARS: it goes on a status screen too
MAX_CHARS = 400


def describe_validation_error(err: ValidationError, model: type[BaseModel]) -> str:
    """Every error of `err` (raised validating `model`) as one line: one error as
    `describe_error` says; several as "N problems: A; B; C" (unknown keys named together),
    as many as MAX_SHOWN and MAX_CHARS allow, then "(and N more)"."""
    errors = err.errors(include_url=False)
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    items = [(describe_error(e, model), 1) for e in errors if e["type"] != "extra_forbidden"]
    if len(unknown) == 1:
        items.append((describe_error(unknown[0], model), 1))
    elif unknown:
        keys = ", ".join(f"'{_key(e['loc'])}'" for e in unknown[:MAX_SHOWN])
        keys += ", ..." if len(unknown) > MAX_SHOWN else ""
        items.append((f"unknown keys {keys} (typos, or keys from another version)", len(unknown)))
    if len(errors) == 1:
        return items[0][0]
    shown = items[:1]
    for item in items[1:MAX_SHOWN]:
        if sum(len(text) + 2 for text, _ in shown) + len(item[0]) > MAX_CHARS:
            break
        shown.append(item)
    left = len(errors) - sum(n for _, n in shown)
    more = f" (and {left} more)" if left else ""
    return f"{len(errors)} problems: {'; '.join(text for text, _ in shown)}{more}"


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def describe_error(e: ErrorDetails, model: type[BaseModel]) -> str:
    """One error of a ValidationError (raised validating `model`) as plain words: which key,
    what value, what is allowed. Location parts are joined with '.' ("pose.rotation.0.1")."""
    loc = tuple(e["loc"])
    key = _key(loc)
    value, kind = e.get("input"), e["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}' (a typo, or a key from another version)"
    if kind == "missing":
        return f"missing key '{key}'"
    if kind in _RANGE_ERRORS:
        lo, hi = field_bounds(model, loc)
        if lo is None or hi is None:
            return f"{key} = {show_value(value)} is out of range ({e['msg']})"
        return f"{key} = {show_value(value)} is out of range (allowed {show_value(lo)} to {show_value(hi)})"
    if kind == "literal_error":
        expected = e.get("ctx", {}).get("expected", "?")
        return f"{key} = {show_value(value)} is not allowed (allowed: {expected})"
    if kind == "value_error":
        msg = str(e["msg"]).removeprefix("Value error, ")
        if key == "(top level)" or msg.startswith(key.split(".")[0]):
            return msg
        return f"{key}: {msg}" if isinstance(value, dict) else f"{key} = {show_value(value)}: {msg}"
    return f"{key} = {show_value(value)}: {e['msg']}"


def parse_toml_model(text: str, model: type[M], source: str) -> M:
    """`model` from TOML text; ValueError with one line, prefixed by `source`, naming what is
    wrong (not TOML at all, or the key, value and allowed range). Callers re-raise it as
    their own error type."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{source}: not valid TOML: {err}") from None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ValueError(f"{source}: {describe_validation_error(err, model)}") from None


def show_value(v: Any) -> str:
    """A value as a person would type it in TOML/JSON; long strings are shortened."""
    if isinstance(v, float) and math.isfinite(v):
        return f"{v:g}"
    if isinstance(v, str) and len(v) > 40:
        v = v[:37] + "..."
    return json.dumps(v) if isinstance(v, str | int | float | bool | type(None)) else str(v)


def field_bounds(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[float | None, float | None]:
    """(lower, upper) bound of the field at `loc`, walking nested models; items of a
    tuple/list field use the bounds of their element annotation (e.g. `Annotated[float,
    Field(ge=-1, le=1)]`). (None, None) when the field is unknown or unbounded."""
    cls: Any = model
    meta: list[Any] = []
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(cls, "model_fields", {})
        if part not in fields:
            return None, None
        field = fields[part]
        meta = list(field.metadata)
        ann = field.annotation
        cls = ann
        if not meta and getattr(ann, "__args__", None):
            inner = ann.__args__[0]
            while getattr(inner, "__args__", None) and not hasattr(inner, "__metadata__"):
                inner = inner.__args__[0]
            for m in getattr(inner, "__metadata__", ()):
                meta.extend(getattr(m, "metadata", [m]))
    lo = hi = None
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            lo = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            lo = float(m.gt)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            hi = float(m.le)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            hi = float(m.lt)  # type: ignore[arg-type]
    return lo, hi
