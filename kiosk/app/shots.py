"""Screenshots: one PNG per screen state (`--screenshot-dir`), for docs and for support.

A state is the view's key ("attract", "stance", "wall-hinge", "wall-fail", "result",
"status-no-camera", ...). Its picture is taken `settle_s` after it starts (HINGE_SETTLE_S
for "*-hinge": about the bottom of the rep), so it shows the state settled, or on its
last frame when it is shorter than that. Files: `NNN-<key>.png` in order of appearance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SETTLE_S = 0.8
HINGE_SETTLE_S = 1.2  # "*-hinge": from the rep's start to about its bottom


class Screenshots:
    """Call `before_draw(key, now_s)` before drawing a frame and `after_draw(now_s)` after;
    `save(path)` is the renderer's (it saves what is on the canvas)."""

    def __init__(self, folder: Path | None, save: Callable[[Path], None], settle_s: float = SETTLE_S,
                 max_files: int = 500) -> None:
        self.folder = folder
        self._save = save
        self.settle_s = settle_s
        self.max_files = max_files
        self.saved: list[Path] = []
        self._key: str | None = None
        self._since_s = 0.0
        self._done = True
        self._drawn = False
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def before_draw(self, key: str, now_s: float) -> None:
        """A new key: the canvas still shows the old state's last frame; take it if its
        picture is still owed."""
        if key == self._key:
            return
        if not self._done and self._drawn:
            self._take()
        self._key, self._since_s, self._done, self._drawn = key, now_s, False, False

    def after_draw(self, now_s: float) -> None:
        self._drawn = True
        settle_s = HINGE_SETTLE_S if (self._key or "").endswith("-hinge") else self.settle_s
        if not self._done and now_s - self._since_s >= settle_s:
            self._take()

    def flush(self) -> None:
        """The run ends: take the last state's picture if it is still owed."""
        if not self._done and self._drawn:
            self._take()

    def _take(self) -> None:
        self._done = True
        if self.folder is None or self._key is None or len(self.saved) >= self.max_files:
            return
        path = self.folder / f"{len(self.saved):03d}-{self._key}.png"
        try:
            self._save(path)
        except Exception as err:  # a full disk must not stop the kiosk
            log.warning("screenshot %s not saved: %s", path, err)
            return
        self.saved.append(path)
