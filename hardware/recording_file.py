"""A RealSense recording as a file, before and beside the SDK's playback of it: the checks
that turn a wrong path into a one-line message, the SDK's open errors in words, the depth
stream the playback reads, and a `.db3` recording's own index of its depth frames' file times.

A `.db3` (what librealsense 2.59's recorder writes) is SQLite: its message table gives the
exact file time of every depth frame, which lets playback.py count and skip damaged frames
exactly. A ROS1 `.bag` has no such index here (the playback estimates instead).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pyrealsense2 as rs

from hardware.source import SourceError

RECORDING_SUFFIXES = (".db3", ".bag")



def depth_frame_times(path: Path, sensor_index: int = 0, stream_index: int = 0) -> list[int] | None:
    """File times (ns from the recording's start, what the playback device's position
    reports) of every depth frame of a `.db3` recording, in order, read from its own SQLite
    message table; None for a `.bag` or when the table cannot be read."""
    if path.suffix.lower() != ".db3":
        return None
    pattern = f"/device_*/sensor_{sensor_index}/Depth_{stream_index}/image/data*"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = con.execute(
                "SELECT m.timestamp FROM messages m JOIN topics t ON t.id = m.topic_id "
                "WHERE t.name GLOB ? ORDER BY m.timestamp",
                (pattern,),
            ).fetchall()
        finally:
            con.close()
    except (sqlite3.Error, ValueError, OSError):
        return None
    times = [int(r[0]) for r in rows if isinstance(r[0], int)]
    return times or None


def check_recording_path(path: Path) -> None:
    """One-line SourceError for a path that cannot be a recording."""
    if not path.exists():
        raise SourceError(f"recording not found: {path} (check the path)")
    if path.is_dir():
        raise SourceError(f"{path} is a directory; give a .db3 or .bag recording file")
    if path.suffix.lower() not in RECORDING_SUFFIXES:
        raise SourceError(f"{path.name}: not a RealSense recording (expected .db3 or .bag)")
    if path.stat().st_size == 0:
        raise SourceError(f"{path.name}: file is empty; record it again")


def sdk_error_line(path: Path, err: Exception) -> str:
    """The SDK's error opening `path` as one line for a person: what is wrong, what to do."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    low = text.lower()
    if "malformed" in low or "truncat" in low or "unexpected end" in low or "not a database" in low:
        return f"{path.name}: recording is truncated or corrupt ({text}); record it again"
    if "version" in low or "ros reader" in low or "unknown" in low:
        return f"{path.name}: not a RealSense recording the SDK can read ({text})"
    return f"{path.name}: cannot open recording: {text}"


def find_depth_stream(dev: Any, path: Path) -> tuple[Any, Any, int]:
    """(sensor, profile, sensor index) of the first z16 depth stream of a loaded recording
    device (`path` names the recording in the SourceError when it has none)."""
    for i, sensor in enumerate(dev.query_sensors()):
        for profile in sensor.get_stream_profiles():
            if profile.stream_type() == rs.stream.depth and profile.format() == rs.format.z16:
                return sensor, profile, i
    raise SourceError(f"{path.name}: recording has no z16 depth stream; record with depth enabled")
