"""Redis's RESP2 protocol, as much as cache mode's invalidation connection
receives (see cache_copy.py): simple strings, errors, integers, bulk strings
and arrays of them."""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["PING", "Error", "disconnect", "parse"]

logger = logging.getLogger("django_pat")

PING = b"*1\r\n$4\r\nPING\r\n"


def disconnect(connection: Any) -> None:
    try:
        connection.disconnect()
    except Exception:
        logger.debug("django_pat: closing the invalidation connection", exc_info=True)


class Error:
    def __init__(self, text: bytes) -> None:
        self.text = text


def parse(buffer: bytes, position: int) -> tuple[Any, int] | None:
    """One value from ``buffer`` at ``position`` and where the next begins; None if incomplete."""
    end = buffer.find(b"\r\n", position)
    if end < 0:
        return None
    kind, line, after = buffer[position : position + 1], buffer[position + 1 : end], end + 2
    if kind == b"+":
        return line, after
    if kind == b"-":
        return Error(line), after
    if kind == b":":
        return int(line), after
    if kind == b"$":
        length = int(line)
        if length < 0:
            return None, after
        if len(buffer) < after + length + 2:
            return None
        return buffer[after : after + length], after + length + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items = []
        for _ in range(count):
            parsed = parse(buffer, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item)
        return items, after
    raise ValueError(f"unexpected RESP type {kind!r}")
