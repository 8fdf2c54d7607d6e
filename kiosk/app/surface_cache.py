"""What the renderer keeps between frames so it does not draw the same pixels again.

- `content_key(value)`: a view model (or any nest of dataclasses, tuples and numpy arrays)
  as one comparable value. Arrays go in as bytes (a copy: a producer that refills its
  buffer in place still changes the key), so two keys are equal exactly when every field
  is. Nothing is hashed lossily: equal keys mean equal content.
- `FrameMemo`: the key of what the canvas shows now. A frame whose key is that one is not
  drawn again; the canvas keeps its pixels between flips (pygame's display surface and the
  renderer's own canvas are plain memory that only the renderer draws on).
- `LayerCache`: whole-canvas layers drawn once per key (a screen's still part: background,
  cue, the side view's floor and wall) and blitted after that, with the text placements
  drawing them produced. Least recently used first out, `max_layers` at most
  (a 1280x720 layer is 3.7 MB).

- `remembered(cache, key, make, limit)`: the capped memo the text caches share (textbox.Text's
  rendered lines and fits, textbox's laid-out boxes).

Contract for FrameMemo and LayerCache: a key must be made from everything the pixels are drawn from; the
renderer builds them from the very values its painters read (render.py).
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

import numpy as np
import pygame

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
MAX_LAYERS = 6  # ~22 MB at 1280x720; a session cycles through a handful (cue x wall lit or not)


_PLAIN = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}  # field names by dataclass (dataclasses.fields is slow)


def content_key(value: object, skip: tuple[str, ...] = ()) -> object:
    """`value` as nested tuples of plain values: a dataclass as (its type, field keys...) with
    the top-level fields named in `skip` left out, an array as (ndarray, dtype, shape, bytes),
    a tuple of plain values as itself. Types tag the nests, so unequal values never meet."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, tuple) and all(type(v) in _PLAIN for v in value):
        return value
    if isinstance(value, np.ndarray):
        return (np.ndarray, value.dtype.str, value.shape, value.tobytes())
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return (kind, *(content_key(getattr(value, n)) for n in names if n not in skip))
    if isinstance(value, (tuple, list)):
        return (kind, *(content_key(v) for v in value))
    return value


def remembered(cache: dict[K, V], key: K, make: Callable[[], V], limit: int) -> V:
    """cache[key], made by make() the first time; a cache holding `limit` entries starts
    again empty (the texts of a screen recur frame after frame; a long-running kiosk must not
    grow)."""
    if key in cache:
        return cache[key]
    if len(cache) >= limit:
        cache.clear()
    value = cache[key] = make()
    return value


class FrameMemo(Generic[T]):
    """The content key of the frame on the canvas and the text placements drawing it made.

    A kept frame expires after `max_age_s` (seconds of the caller's clock): a display
    surface the system recreated or cleared (a mode change, a console switch on the Pi's
    panel) is drawn again within that time even when nothing in the view changes."""

    def __init__(self, max_age_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self._key: object = None
        self._placed: tuple[T, ...] = ()
        self._valid = False
        self._drawn_s = 0.0

    def shows(self, key: object, now_s: float) -> bool:
        """The canvas shows exactly the frame of `key` (drawing it again changes no pixel),
        drawn less than max_age_s before now_s."""
        return self._valid and self._key == key and 0.0 <= now_s - self._drawn_s < self.max_age_s

    def keep(self, key: object, placed: Sequence[T], now_s: float) -> None:
        self._key, self._placed, self._valid, self._drawn_s = key, tuple(placed), True, now_s

    def placed(self) -> list[T]:
        return list(self._placed)

    def forget(self) -> None:
        """The canvas was drawn on by something else: the next frame is drawn in full."""
        self._key, self._placed, self._valid = None, (), False


class LayerCache(Generic[T]):
    """Pre-drawn layers by key, each with the placements drawing it made (at most max_layers)."""

    def __init__(self, max_layers: int = MAX_LAYERS) -> None:
        self.max_layers = max_layers
        self._layers: OrderedDict[Hashable, tuple[pygame.Surface, tuple[T, ...]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._layers)

    def show(self, surf: pygame.Surface, key: Hashable, paint: Callable[[pygame.Surface], Sequence[T]],
             restore: Sequence[pygame.Rect] | None = None) -> tuple[T, ...]:
        """Blit the layer of `key` over the whole of `surf`, painting it first when it is not
        kept (paint(layer): draw the layer, return its placements); returns the placements.
        The layer has surf's size and pixel format (part of the key), so the blit is a copy of
        what painting on surf would have drawn; a surface with per-pixel alpha (where a blit
        blends) is painted on directly and nothing is kept. `restore`: surf shows this layer
        but within these rectangles (Overdraw.restore): only they are blitted."""
        if surf.get_flags() & pygame.SRCALPHA:
            return tuple(paint(surf))
        key = (key, surf.get_size(), surf.get_bitsize(), surf.get_masks())
        kept = self._layers.get(key)
        if kept is None:
            layer = pygame.Surface(surf.get_size(), 0, surf)
            kept = self._layers[key] = (layer, tuple(paint(layer)))
            while len(self._layers) > self.max_layers:
                self._layers.popitem(last=False)
        self._layers.move_to_end(key)
        if restore is None:
            surf.blit(kept[0], (0, 0))
        else:
            surf.blits([(kept[0], r, r) for r in restore], doreturn=False)
        return kept[1]

    def clear(self) -> None:
        self._layers.clear()


class Overdraw:
    """What a frame drew over its kept layer, so that the next frame over the same layer on
    the same surface blits back only those rectangles (about a tenth of the canvas on a live
    screen) instead of the whole 1280x720 layer, 3.7 MB read and written every frame (0.2-0.35
    ms from cold caches here, more on a Pi's slower memory). The whole layer is blitted at
    least every `max_age_s` (the caller's clock), as FrameMemo draws afresh: a surface the
    system cleared is whole again within that time."""

    def __init__(self, max_age_s: float = 1.0) -> None:
        self.max_age_s = max_age_s
        self._over: tuple[pygame.Surface, Hashable, tuple[pygame.Rect, ...]] | None = None
        self._whole_s = float("-inf")  # when the whole layer was last blitted

    def restore(self, surf: pygame.Surface, key: Hashable, now_s: float) -> tuple[pygame.Rect, ...] | None:
        """The rectangles of layer `key` to blit back onto `surf` (None: all of it). What is
        drawn over it after this is unknown until `drew`."""
        over, self._over = self._over, None
        fresh = 0.0 <= now_s - self._whole_s < self.max_age_s
        if over is not None and over[0] is surf and over[1] == key and fresh:
            return over[2]
        self._whole_s = now_s
        return None

    def drew(self, surf: pygame.Surface, key: Hashable | None, rects: Sequence[pygame.Rect]) -> None:
        """Everything drawn on `surf` since layer `key` was shown is inside `rects` (key None:
        no layer, or drawn over anywhere). Widened to whole 16-pixel columns: some odd widths
        blit 10x slower (here: 0.15 instead of 0.015 ms for 250x450 pixels)."""
        self._over = None if key is None else (surf, key, tuple(
            pygame.Rect(r.x & ~15, r.y, ((r.right + 15) & ~15) - (r.x & ~15), r.height).clip(surf.get_rect())
            for r in rects if r.width > 0 and r.height > 0))
