"""The one exception calibration raises for a person to read.

str(err) is a single line: the problem and what to do about it (the CLI prints it as is).
"""

from __future__ import annotations


class CalibrationError(Exception):
    """Calibration cannot be computed, loaded or used. One line: problem, then the fix."""
