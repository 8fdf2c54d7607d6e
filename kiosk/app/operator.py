"""The operator menu behind a PIN: pure key handling, PIN hashing with PBKDF2.

Keys arrive as names ("0"-"9", "enter", "backspace", "escape", "menu", letters) from a
keyboard or a USB numeric keypad; the renderer maps pygame's key codes to these names.
"menu" (Tab, F1 or the keypad's "*") opens the PIN prompt; with the menu open a digit picks
an item. Only a hash of the PIN is ever stored: `pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`.
Three wrong PINs lock the prompt for `LOCKOUT_S`.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from dataclasses import dataclass, replace

PIN_SCHEME = "pbkdf2_sha256"
PIN_ITERATIONS = 100_000  # ~0.1 s on a dev core, a few tenths on a Pi 4: once per PIN entry
MAX_PIN_DIGITS = 8
MAX_WRONG = 3
LOCKOUT_S = 30.0
MENU_IDLE_S = 60.0  # an open menu or prompt left alone closes itself


def hash_pin(pin: str, salt: bytes | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """The stored form of a PIN (digits only)."""
    if not pin.isdigit() or not 3 <= len(pin) <= MAX_PIN_DIGITS:
        raise ValueError(f"a PIN is 3-{MAX_PIN_DIGITS} digits")
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"{PIN_SCHEME}${iterations}${salt.hex()}${digest.hex()}"


def parse_pin_hash(pin_hash: str) -> tuple[int, bytes, bytes]:
    """(iterations, salt, digest) of a stored PIN hash; ValueError when malformed."""
    parts = pin_hash.split("$")
    if len(parts) != 4 or parts[0] != PIN_SCHEME:
        raise ValueError(f"expected {PIN_SCHEME}$<iterations>$<salt hex>$<hash hex> "
                         "(make one with `hinge-kiosk run --hash-pin`)")
    try:
        iterations, salt, digest = int(parts[1]), bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        raise ValueError("iterations must be a number and salt/hash hex digits") from None
    if not 1_000 <= iterations <= 10_000_000 or len(salt) < 8 or len(digest) != 32:
        raise ValueError("iterations 1000-10000000, salt >= 8 bytes, hash 32 bytes")
    return iterations, salt, digest


def verify_pin(pin: str, pin_hash: str) -> bool:
    """True when `pin` matches the stored hash (constant-time compare)."""
    iterations, salt, digest = parse_pin_hash(pin_hash)
    got = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return hmac.compare_digest(got, digest)


# The development default, for the simulated athlete and recordings only: a live kiosk
# without `[operator] pin_hash` gets a random PIN per run (kiosk/cli/run.py with_operator_pin), and
# hardware/pi/install.sh sets one. Precomputed with a fixed salt: hashing costs ~0.1 s.
DEFAULT_PIN_HASH = (
    "pbkdf2_sha256$100000$6b696f736b2d64656661756c74210000$"
    "004495051dcf05221210a4fb1637a5f1e35c16618bc7e82781c8e8a70d49164a"
)


class Action(enum.Enum):
    RECALIBRATE = "recalibrate"
    TOGGLE_UNITS = "units"
    TOGGLE_MUTE = "mute"
    RESET_SESSION = "reset"
    QUIT = "quit"


MENU_ITEMS: tuple[tuple[str, Action], ...] = (
    ("1", Action.RECALIBRATE),
    ("2", Action.TOGGLE_UNITS),
    ("3", Action.TOGGLE_MUTE),
    ("4", Action.RESET_SESSION),
    ("5", Action.QUIT),
)


class MenuMode(enum.Enum):
    CLOSED = "closed"
    PIN = "pin"
    OPEN = "open"


@dataclass(frozen=True)
class MenuState:
    mode: MenuMode = MenuMode.CLOSED
    digits: str = ""
    wrong: int = 0
    locked_until_s: float = 0.0
    last_key_s: float = 0.0
    message: str = ""


def menu_key(s: MenuState, key: str, now_s: float, pin_hash: str) -> tuple[MenuState, Action | None]:
    """Handle one key. Returns the new state and the chosen action (None: nothing chosen)."""
    s = replace(s, last_key_s=now_s)
    if s.mode is MenuMode.CLOSED:
        if key != "menu":
            return s, None
        if now_s < s.locked_until_s:
            wait = round(s.locked_until_s - now_s)
            return replace(s, mode=MenuMode.PIN, digits="", message=f"Locked: try again in {wait} s"), None
        return replace(s, mode=MenuMode.PIN, digits="", message=""), None
    if key in ("escape", "menu"):
        return replace(s, mode=MenuMode.CLOSED, digits="", message=""), None
    if s.mode is MenuMode.PIN:
        return _pin_key(s, key, now_s, pin_hash), None
    for item_key, action in MENU_ITEMS:
        if key == item_key:
            # The toggles keep the menu open so their new value shows; the rest close it.
            if action in (Action.TOGGLE_UNITS, Action.TOGGLE_MUTE):
                return s, action
            return replace(s, mode=MenuMode.CLOSED, message=""), action
    return s, None


def _pin_key(s: MenuState, key: str, now_s: float, pin_hash: str) -> MenuState:
    if now_s < s.locked_until_s:
        return s
    if key.isdigit() and len(key) == 1:
        return replace(s, digits=(s.digits + key)[:MAX_PIN_DIGITS], message="")
    if key == "backspace":
        return replace(s, digits=s.digits[:-1])
    if key != "enter" or not s.digits:
        return s
    if verify_pin(s.digits, pin_hash):
        return replace(s, mode=MenuMode.OPEN, digits="", wrong=0, message="")
    wrong = s.wrong + 1
    if wrong >= MAX_WRONG:
        return replace(s, digits="", wrong=0, locked_until_s=now_s + LOCKOUT_S,
                       message=f"Wrong PIN: locked for {LOCKOUT_S:.0f} s")
    return replace(s, digits="", wrong=wrong, message=f"Wrong PIN ({MAX_WRONG - wrong} tries left)")


def menu_idle(s: MenuState, now_s: float) -> MenuState:
    """Close a prompt or menu nobody has touched for MENU_IDLE_S (a walk-up kiosk must not
    be left showing the operator menu)."""
    if s.mode is not MenuMode.CLOSED and now_s - s.last_key_s > MENU_IDLE_S:
        return replace(s, mode=MenuMode.CLOSED, digits="", message="")
    return s
