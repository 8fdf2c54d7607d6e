"""Keyboard and USB keypad presses as the operator menu's key names (moved out of render.py,
which draws; this only reads pygame's events)."""

from __future__ import annotations

from collections.abc import Iterable

import pygame

_KEYS: dict[int, str] = {
    pygame.K_RETURN: "enter", pygame.K_KP_ENTER: "enter", pygame.K_BACKSPACE: "backspace",
    pygame.K_ESCAPE: "escape", pygame.K_TAB: "menu", pygame.K_F1: "menu", pygame.K_KP_MULTIPLY: "menu",
    pygame.K_ASTERISK: "menu",
    **{getattr(pygame, f"K_{d}"): str(d) for d in range(10)},
    **{getattr(pygame, f"K_KP{d}"): str(d) for d in range(10)},
}


def key_name(event_key: int) -> str:
    """A pygame key code as the operator menu's key name ("0"-"9", "enter", "menu", letters)."""
    return _KEYS.get(event_key) or pygame.key.name(event_key)


def key_names(events: Iterable[pygame.event.Event]) -> list[str]:
    """The key presses among `events` by name, in order, and "quit" for the window's close button."""
    keys: list[str] = []
    for event in events:
        if event.type == pygame.QUIT:
            keys.append("quit")
        elif event.type == pygame.KEYDOWN:
            # A typed character as itself (case kept: badge and roster ids); named keys
            # (Enter, Tab, keypad digits) by name.
            ch = event.unicode if isinstance(event.unicode, str) else ""
            printable = len(ch) == 1 and ch.isprintable() and not ch.isspace()
            keys.append(_KEYS.get(event.key) or (ch if printable else key_name(event.key)))
    return keys
