"""How times are written on the wire and in messages."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]"
    r"(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<hours>[0-9]{2}):(?P<minutes>[0-9]{2}))"
)


def rfc3339(value: datetime) -> str:
    """``2026-11-28T07:15:53.123456Z``: RFC 3339, always in UTC."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime | None:
    """The moment an RFC 3339 date-time names, or None if ``text`` is not one.

    Strict: ASCII digits, seconds present, a ``Z`` or ``±hh:mm`` offset. A
    fraction beyond microseconds is truncated; leap seconds are refused.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    if match["utc"]:
        zone = timezone.utc
    else:
        hours, minutes = int(match["hours"]), int(match["minutes"])
        if hours > 23 or minutes > 59:
            return None
        sign = -1 if match["sign"] == "-" else 1
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    fraction = (match["fraction"] or "").ljust(6, "0")[:6]
    try:
        naive = datetime.fromisoformat(f"{match['date']}T{match['time']}.{fraction}")
        moment = naive.replace(tzinfo=zone)
        # Year 1 or 9999 with an offset can fall outside what datetime holds in UTC.
        moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return moment
