"""Headless pictures of an analysed recording: one depth image per rep at its bottom,
wall line and verdict drawn, tiled into a contact sheet PNG. Uses pygame's software
surfaces only (works under SDL's dummy video driver)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.results.words import verdict_words

PASS_RGB = (40, 170, 80)
FAIL_RGB = (210, 60, 50)


def depth_to_rgb(
    depth_m: npt.NDArray[np.float32], near_m: float = 1.0, far_m: float = 4.0
) -> npt.NDArray[np.uint8]:
    """(H, W, 3) greyscale: near is bright, no data is black."""
    g = 1.0 - np.clip((depth_m - near_m) / (far_m - near_m), 0.0, 1.0)
    rgb = (40 + 215 * g).astype(np.uint8)
    rgb[depth_m <= 0] = 0
    return np.repeat(rgb[..., None], 3, axis=2)


def contact_sheet(
    tiles: list[tuple[npt.NDArray[np.float32], dict[str, Any]]], out: Path, cols: int = 3
) -> Path:
    """Save tiles of (depth_m, rep json) as one PNG with a verdict banner on each tile."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.font.init()
    font = pygame.font.Font(None, 26)
    h, full_w = tiles[0][0].shape
    x0, x1 = full_w // 5, full_w - full_w // 5  # the station is mid-image: drop the empty sides
    w = x1 - x0
    rows = (len(tiles) + cols - 1) // cols
    sheet = pygame.Surface((cols * w, rows * h))
    sheet.fill((20, 20, 20))
    for i, (depth, rep) in enumerate(tiles):
        surf = pygame.surfarray.make_surface(depth_to_rgb(depth[:, x0:x1]).swapaxes(0, 1))
        colour = PASS_RGB if rep["passed"] else FAIL_RGB
        verdict = verdict_words(rep["passed"], rep["faults"])
        pygame.draw.rect(surf, colour, (0, 0, w, 34))
        label = f"rep {rep['index']}  wall {rep['wall_distance_in']:.0f} in  {verdict}"
        surf.blit(font.render(label, True, (255, 255, 255)), (8, 7))
        sheet.blit(surf, ((i % cols) * w, (i // cols) * h))
    out.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(sheet, str(out))
    return out
