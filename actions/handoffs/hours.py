"""A handoff's opening hours: when the people behind it can take a call.

The hours are one JSON value, as the configuration file writes them:

    {"time_zone": "Europe/London",
     "weekly": {"mon": ["09:00-17:30"], "tue": ["09:00-12:00", "13:00-17:30"]},
     "closed": ["2026-12-25"],
     "holidays": "GB"}

Empty ({}) means always open. A range belongs to the day it starts on and may run past
midnight ("22:00-02:00"; "00:00-00:00" is the whole day); a closed date or a public holiday
(the `holidays` package, by country code) closes the ranges that start on it. Times are local
wall-clock times in the time zone, so a 09:00 opening stays 09:00 across a DST change; the
hour that does not exist on a spring-forward night is read as the clock reads it after the
change.
"""

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as public_holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
MAX_RANGES_PER_DAY = 6
MAX_CLOSED_DATES = 400
# How far ahead "closed until …" looks: past it, a handoff is closed for the foreseeable.
LOOKAHEAD_DAYS = 60
KEYS = ("time_zone", "weekly", "closed", "holidays")


@dataclass(frozen=True)
class Status:
    open: bool
    # Open: when the current range ends (None: open all the time). Closed: when it opens next
    # (None: not within LOOKAHEAD_DAYS).
    change_at: datetime | None

    def describe(self, now: datetime, zone: ZoneInfo) -> str:
        """ "open now, until 17:30" / "closed until Monday 09:00", in the handoff's zone."""
        if self.open:
            if self.change_at is None:
                return "open now"
            return f"open now, until {_when(self.change_at, now, zone)}"
        if self.change_at is None:
            return f"closed for the next {LOOKAHEAD_DAYS} days"
        return f"closed until {_when(self.change_at, now, zone)}"


def _when(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return clock
    if local.date() == today + timedelta(days=1):
        return f"tomorrow {clock}"
    if local.date() < today + timedelta(days=7):
        return f"{DAY_NAMES[local.weekday()]} {clock}"
    return f"{DAY_NAMES[local.weekday()]} {local.day} {local.strftime('%B')} {clock}"


def current_time() -> datetime:
    """Now, aware: one place for the tests to freeze the clock."""
    return datetime.now(UTC)


def is_set(hours) -> bool:
    return bool(hours) and bool(hours.get("weekly") or hours.get("closed") or hours.get("holidays"))


# --- checking ---------------------------------------------------------------------------------


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(public_holidays.list_supported_countries())


def _range(text) -> tuple[time, time]:
    """ "09:00-17:30" -> (09:00, 17:30); ValueError with the reason otherwise."""
    match = RANGE_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"“{text}” is not a range of hours such as 09:00-17:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(f"“{text}” has a time that does not exist")
    return time(h1, m1), time(0, 0) if h2 == 24 else time(h2, m2)


def problems(hours) -> dict[str, str]:
    """What is wrong with the hours, by key (time_zone, weekly.mon, closed, holidays)."""
    if hours in (None, {}):
        return {}
    if not isinstance(hours, dict):
        return {"": "must be a mapping: {time_zone, weekly, closed, holidays}"}
    found = {}
    for key in hours:
        if key not in KEYS:
            found[key] = f"unknown key; the hours take {', '.join(KEYS)}"
    zone = hours.get("time_zone")
    if not isinstance(zone, str) or zone not in _zones():
        found["time_zone"] = (
            f"“{zone or ''}” is not a time zone: use an IANA name such as Europe/London"
        )
    weekly = hours.get("weekly", {})
    if not isinstance(weekly, dict):
        found["weekly"] = "must map days (mon … sun) to lists of ranges such as 09:00-17:30"
        weekly = {}
    for day, ranges in weekly.items():
        where = f"weekly.{day}"
        if day not in DAYS:
            found[where] = f"“{day}” is not a day: use {', '.join(DAYS)}"
            continue
        if not isinstance(ranges, list) or len(ranges) > MAX_RANGES_PER_DAY:
            found[where] = f"must be a list of at most {MAX_RANGES_PER_DAY} ranges"
            continue
        for text in ranges:
            try:
                _range(text)
            except ValueError as exc:
                found[where] = str(exc)
                break
    closed = hours.get("closed", [])
    if not isinstance(closed, list) or len(closed) > MAX_CLOSED_DATES:
        found["closed"] = f"must be a list of at most {MAX_CLOSED_DATES} dates (YYYY-MM-DD)"
    else:
        for text in closed:
            try:
                date.fromisoformat(text)
            except (TypeError, ValueError):
                found["closed"] = f"“{text}” is not a date such as 2026-12-25"
                break
    country = hours.get("holidays")
    if country not in (None, "") and (not isinstance(country, str) or country not in _countries()):
        found["holidays"] = (
            f"“{country}” is not a country whose public holidays are known: use a code such "
            "as GB, US or DE"
        )
    if not found and not weekly and (closed or country):
        found["weekly"] = "give the opening hours of at least one day"
    return found


# --- at call time -----------------------------------------------------------------------------


def zone_of(hours) -> ZoneInfo:
    try:
        return ZoneInfo(hours.get("time_zone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@functools.lru_cache(maxsize=64)
def _holidays(country: str, year: int):
    return public_holidays.country_holidays(country, years=year)


def _closed_on(hours, day: date) -> bool:
    if day.isoformat() in (hours.get("closed") or []):
        return True
    country = hours.get("holidays")
    return bool(country) and day in _holidays(country, day.year)


def _local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant a local wall-clock time names, in UTC. A time skipped by DST (01:30 on
    London's spring-forward night) is read with the offset before the change, so it is the
    moment the clock jumps past it (02:30 BST); a time the clock reads twice (autumn) is its
    first reading."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _intervals(hours, first: date, last: date):
    """(start, end) in UTC of every open range starting on a day from first to last."""
    zone = zone_of(hours)
    weekly = hours.get("weekly") or {}
    day = first
    while day <= last:
        if not _closed_on(hours, day):
            for text in weekly.get(DAYS[day.weekday()], []):
                opens, closes = _range(text)
                start = _local(day, opens, zone)
                end_day = day if closes > opens else day + timedelta(days=1)
                yield start, _local(end_day, closes, zone)
        day += timedelta(days=1)


def status(hours, now: datetime) -> Status:
    """Open or closed at `now` (aware), and when that changes."""
    if not is_set(hours):
        return Status(True, None)
    zone = zone_of(hours)
    today = now.astimezone(zone).date()
    intervals = sorted(
        _intervals(hours, today - timedelta(days=1), today + timedelta(LOOKAHEAD_DAYS))
    )
    for start, end in intervals:
        if start <= now < end:
            # Ranges that touch or overlap run on: open until the last of them ends.
            for next_start, next_end in intervals:
                if next_start <= end < next_end:
                    end = next_end
            # Open without a break as far as we look: no closing time to tell.
            last = max(e for _, e in intervals)
            return Status(True, None if end >= last else end)
    upcoming = [start for start, _ in intervals if start > now]
    return Status(False, min(upcoming) if upcoming else None)
