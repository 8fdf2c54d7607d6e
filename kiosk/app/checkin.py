"""Athlete check-in from the keyboard: a typed roster id or a badge/QR scan.

USB barcode and QR scanners are keyboards: they type the code and press Enter, a few
milliseconds per character. A person types an id on a keypad the same way, slower. So
check-in is a line editor that is always listening while the operator menu is closed:
printable single characters collect, Backspace deletes, Enter hands the code over, and a
pause of IDLE_S without Enter drops a stray keypress. The operator menu's keys ("menu",
"escape") are never taken. Pure state; the loop asks the results writer to look the code
up and shows the answer for SHOW_S.
"""

from __future__ import annotations

from dataclasses import dataclass

IDLE_S = 4.0
SHOW_S = 5.0
MAX_CHARS = 40


@dataclass
class CheckIn:
    text: str = ""
    last_key_s: float = 0.0
    message: str = ""
    message_alert: bool = False
    message_until_s: float = 0.0

    @property
    def typing(self) -> bool:
        return bool(self.text)

    def key(self, key: str, now_s: float) -> tuple[bool, str | None]:
        """(taken, code): taken = the key was check-in's; code = a finished line on Enter."""
        if self.text and now_s - self.last_key_s > IDLE_S:
            self.text = ""
        if len(key) == 1 and key.isprintable() and not key.isspace():
            self.text = (self.text + key)[:MAX_CHARS]
            self.last_key_s = now_s
            return True, None
        if not self.text:
            return False, None
        if key == "backspace":
            self.text = self.text[:-1]
            self.last_key_s = now_s
            return True, None
        if key == "enter":
            code, self.text = self.text, ""
            return True, code
        if key == "escape":
            self.text = ""
            return True, None
        return False, None

    def said(self, answer: tuple[bool, str], now_s: float) -> None:
        """Show the lookup's answer (checked in, line) for SHOW_S; a refusal as a problem."""
        ok, self.message = answer
        self.message_alert, self.message_until_s = not ok, now_s + SHOW_S

    def notice(self, now_s: float) -> tuple[str, bool]:
        """The bottom line and whether it reports a problem: what is being typed, else the
        last answer while it is fresh; ("", False) when there is nothing to say."""
        if self.text and now_s - self.last_key_s <= IDLE_S:
            return f"Check in: {self.text}_   (Enter to confirm)", False
        if self.message and now_s < self.message_until_s:
            return self.message, self.message_alert
        return "", False
