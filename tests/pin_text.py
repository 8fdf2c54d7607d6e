"""Checking that a PIN never appears in text: a PIN is all digits, and the hex salt and
digest of its own hash contain any 4-digit string about 1 time in 170 (a flaky CI run
found one), so the hashes are blanked out before looking for the PIN."""

from __future__ import annotations

import re

PIN_HASH_RE = re.compile(r"pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]+")


def shows_pin(text: str, pin: str) -> bool:
    """True when `pin` appears in `text` anywhere but inside a stored PIN hash."""
    return pin in PIN_HASH_RE.sub("<pin hash>", text)
