"""Times as people read them, and days as the site's time zone cuts them."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def duration(delta: timedelta, *, fine: bool = False) -> str:
    """A length of time as a person says it, two units at most: 3 s, 2 min 5 s, 1 h 4 min,
    2 d 3 h (a second unit that is zero is left out: 2 min, 1 d).

    `fine`, for the steps of a message's timeline, keeps what a second holds (120 ms, 4.2 s)
    and shows both units always (1 min 0 s), counting whole seconds passed.
    """
    total = max(delta.total_seconds(), 0)
    if fine and total < 1:
        return f"{round(total * 1000)} ms"
    if fine and total < 60:
        return f"{total:.1f} s"
    seconds = int(total) if fine else round(total)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds or fine else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes or fine else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours or fine else f"{days} d"


def start_of_day(day: date, days: int = 0) -> datetime | None:
    """Midnight at the start of `day` (+ `days`) in the current time zone, as an aware datetime;
    None at the calendar's ends (years 1 and 9999 bound nothing, and would overflow once
    shifted to UTC)."""
    if not 1 < day.year < 9999:
        return None
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))
