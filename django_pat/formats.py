"""How times are written on the wire and in messages."""

from __future__ import annotations

from datetime import datetime, timezone


def rfc3339(value: datetime) -> str:
    """``2026-11-28T07:15:53.123456Z``: RFC 3339, always in UTC."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
