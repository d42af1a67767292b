"""Lengths of time as people read them."""

from datetime import timedelta


def duration(delta: timedelta) -> str:
    """A short, readable length of time: 120 ms, 4.2 s, 3 min 5 s, 2 h 5 min, 3 d 4 h."""
    seconds = max(delta.total_seconds(), 0)
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    if whole < 86400:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    return f"{whole // 86400} d {whole % 86400 // 3600} h"
