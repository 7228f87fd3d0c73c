"""The copy of cache mode's entries that one process keeps, and the connection
on which Redis tells it what changed. cache_copy.py says when it is used, and
why it cannot answer with what Redis has already changed (the numbered steps
the comments below refer to)."""

from __future__ import annotations

import datetime
import decimal
import logging
import pickle
import ssl
import threading
import time
import uuid
from typing import Any

from .redis_wire import PING, Error, disconnect, parse

__all__ = [
    "ALIVE_SECONDS",
    "CHANNEL",
    "MAX_ENTRIES",
    "PING_SECONDS",
    "PING_TIMEOUT_SECONDS",
    "RETRY_MAX_SECONDS",
    "RETRY_SECONDS",
    "Copy",
]

logger = logging.getLogger("django_pat")

PING_SECONDS = 0.25
ALIVE_SECONDS = 1.0
PING_TIMEOUT_SECONDS = 5.0
RETRY_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0
MAX_ENTRIES = 10_000
CHANNEL = b"__redis__:invalidate"

# Values an entry may share between requests: none of them can be changed in place.
_IMMUTABLE = (
    str,
    bytes,
    int,
    float,
    bool,
    type(None),
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    uuid.UUID,
)


class Copy:
    """One process's copy of the entries of one cache, and its connection."""

    def __init__(self, connect: Any, prefix: str) -> None:
        # connect() -> (a redis-py Connection, subscribed as described above).
        self._connect = connect
        self._prefix = prefix.encode()
        self._lock = threading.Lock()
        # digest -> entry, or pickled entry (bytes) when it holds mutable values.
        self._entries: dict[str, Any] = {}
        # digest -> ticket of the read in flight; a message naming it cancels it.
        self._pending: dict[str, int] = {}
        self._tickets = 0
        self._connection: Any = None
        self._socket: Any = None
        self._buffer = b""
        self._alive_until = 0.0
        self._ping_sent_at: float | None = None
        self._next_ping = 0.0
        self._retry_at = 0.0
        self._failures = 0
        self._opening = False
        self._closed = False

    # --- what cache.find uses ---------------------------------------------------

    def get(self, digest: str) -> Any:
        """The entry kept for ``digest``, or None (not kept, or the copy unusable now)."""
        with self._lock:
            if self._connection is None:
                if self._closed or self._opening or time.monotonic() < self._retry_at:
                    return None
                self._opening = True
                entry = None
            else:
                if not self._receive():
                    return None
                # Not while part of a message is here: the rest may name this
                # very entry. Not while a PING is unanswered: a change Redis
                # ran after it in the same pass may have been answered before
                # its message, which comes with the PONG (2. and 3. above).
                usable = (
                    not self._buffer
                    and self._ping_sent_at is None
                    and time.monotonic() < self._alive_until
                )
                # A PING sent now cannot precede a change answered already.
                if not self._ping() or not usable:
                    return None
                entry = self._entries.pop(digest, None)
                if entry is None:
                    return None
                self._entries[digest] = entry  # most recently used last
        if entry is None:
            self._open()
            return None
        return pickle.loads(entry) if isinstance(entry, bytes) else entry  # noqa: S301 - ours

    def expect(self, digest: str) -> int:
        """Note that ``digest`` is about to be read from Redis.

        Every call must be followed by :meth:`keep` with the ticket it returns,
        whatever the read gave.
        """
        with self._lock:
            if len(self._pending) >= MAX_ENTRIES:
                self._pending.clear()  # only ever costs a keep
            self._tickets += 1
            self._pending[digest] = self._tickets
            return self._tickets

    def keep(self, digest: str, entry: Any, ticket: int) -> None:
        """Keep ``entry``, read from Redis after :meth:`expect`, unless it changed
        meanwhile; None (Redis holds no usable entry) ends the expectation and
        drops what the copy holds."""
        if entry is not None and not all(
            isinstance(value, _IMMUTABLE) for part in entry for value in part
        ):
            # A JSONField's dict, say: each request must get its own.
            entry = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._connection is None or not self._sync():
                self._pending.clear()
                return
            if entry is None:
                self._entries.pop(digest, None)
            if self._pending.get(digest) != ticket:
                return
            del self._pending[digest]
            if entry is None:
                return
            if digest not in self._entries and len(self._entries) >= MAX_ENTRIES:
                del self._entries[next(iter(self._entries))]
            self._entries[digest] = entry

    def drop(self, digests: Any) -> None:
        with self._lock:
            for digest in digests:
                self._entries.pop(digest, None)
                self._pending.pop(digest, None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lost()

    # --- the connection ---------------------------------------------------------

    def _open(self) -> None:
        """Make the connection, outside the lock; one thread at a time (``_opening``)."""
        started = time.monotonic()
        connection = sock = error = None
        try:
            connection = self._connect()
            sock = connection._sock
            sock.setblocking(False)
        except Exception as failure:
            error = failure
        finally:
            # Also on a BaseException (a gevent timeout, say): never stay "opening".
            with self._lock:
                self._opening = False
                if sock is not None and not self._closed:
                    self._connection, self._socket = connection, sock
                    self._buffer = b""
                    # Reads begun before the subscription could miss a change: keep none.
                    self._pending.clear()
                    self._entries.clear()
                    # connect() ended with an answered PING, sent after `started`.
                    self._alive_until = started + ALIVE_SECONDS
                    self._ping_sent_at = None
                    self._next_ping = started + PING_SECONDS
                    connection = None
                elif not self._closed:
                    self._failed(error)
            if connection is not None:
                disconnect(connection)

    def _failed(self, error: BaseException | None) -> None:
        """Count a failure; retry later, less often after each one in a row."""
        self._failures += 1
        if self._failures == 1 and error is not None:
            logger.warning(
                "django_pat: no in-process copy of the cache for now: Redis's invalidation "
                "messages failed (retrying, less and less often)",
                exc_info=error,
            )
        delay = min(RETRY_SECONDS * 2 ** (self._failures - 1), RETRY_MAX_SECONDS)
        self._retry_at = time.monotonic() + delay

    def _sync(self) -> bool:
        """Apply every message that has arrived, then send a PING if one is due;
        False if the connection is lost."""
        return self._receive() and self._ping()

    def _receive(self) -> bool:
        """Apply every message that has arrived; False if the connection is lost."""
        try:
            chunks = []
            while True:
                try:
                    data = self._socket.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError):
                    break
                if not data:
                    raise ConnectionError("Redis closed the invalidation connection")
                chunks.append(data)
            if chunks:
                # One join and one parse for all that came: linear in its size.
                self._buffer = b"".join([self._buffer, *chunks])
                self._apply_buffer()
        except Exception as error:
            self._lost(error)
            return False
        return True

    def _ping(self) -> bool:
        """Send a PING if one is due; False if the connection is lost (or its
        last PING went unanswered too long)."""
        try:
            now = time.monotonic()
            if self._ping_sent_at is None:
                if now >= self._next_ping:
                    if self._socket.send(PING) != len(PING):
                        raise ConnectionError("could not send a PING")
                    self._ping_sent_at = now
            elif now - self._ping_sent_at > PING_TIMEOUT_SECONDS:
                raise ConnectionError(f"no PONG in {PING_TIMEOUT_SECONDS} s")
        except Exception as error:
            self._lost(error)
            return False
        return True

    def _apply_buffer(self) -> None:
        buffer, position = self._buffer, 0
        while True:
            parsed = parse(buffer, position)
            if parsed is None:
                break
            message, position = parsed
            self._apply(message)
        self._buffer = buffer[position:]

    def _apply(self, message: Any) -> None:
        if isinstance(message, Error):
            raise ConnectionError(f"Redis answered {message.text!r}")
        if not isinstance(message, list) or not message:
            return
        kind = message[0]
        if kind == b"pong":
            if self._ping_sent_at is not None:
                self._alive_until = self._ping_sent_at + ALIVE_SECONDS
                self._next_ping = self._ping_sent_at + PING_SECONDS
                self._ping_sent_at = None
                self._failures = 0  # this connection works
        elif kind == b"message" and len(message) == 3 and message[1] == CHANNEL:
            keys = message[2]
            if keys is None:  # FLUSHDB or FLUSHALL: everything
                self._entries.clear()
                self._pending.clear()
                return
            prefix = self._prefix
            for key in keys:
                if isinstance(key, bytes) and key.startswith(prefix):
                    digest = key[len(prefix) :].decode("ascii", "replace")
                    self._entries.pop(digest, None)
                    self._pending.pop(digest, None)

    def _lost(self, error: BaseException | None = None) -> None:
        self._entries.clear()
        self._pending.clear()
        self._alive_until = 0.0
        self._ping_sent_at = None
        self._buffer = b""
        connection, self._connection, self._socket = self._connection, None, None
        if connection is not None:
            if not self._closed:
                # A connection lost before its PING was ever answered counts as
                # a failed setup: backing off, and warning once.
                self._failed(error)
            disconnect(connection)
