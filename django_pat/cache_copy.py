"""Cache mode's copy in each process, kept current by Redis.

With cache mode on a Redis cache (``DJANGO_PAT["CACHE_IN_PROCESS"]``, on by
default), every process also keeps the entries it has read from Redis in its
own memory, and answers a hit from there: no round trip at all.

What keeps that copy current is Redis's own protocol for client-side caching.
Each process holds one more connection to the Redis server the cache writes
to, on which it has asked to be told of every change to a key of cache mode's
(``CLIENT TRACKING on BCAST PREFIX ...``, the messages redirected to this same
connection, subscribed to ``__redis__:invalidate``). Every change to such a
key, from any process (a tombstone, a fill, an expiry or eviction, a flush),
makes Redis send the key's name to every such connection; Redis writes those
messages out before it answers the client that made the change. Before it
looks anything up, a process reads whatever messages have arrived (one
non-blocking read of its socket; nothing is waited for) and drops what they
name. So the tombstone that a revocation, a deactivation or any other change
writes is seen by every process on its next request, exactly as without the
copy; the cross-process tests (``tests/test_cache_processes.py``) check it.

What keeps the copy from outliving what it copies:

* An entry is kept only when it was read from Redis, and only if no message
  naming it arrived while it was being read. A message only ever drops.
* The copy answers only while the connection is known to work: a ``PING`` is
  sent on it at most every :data:`PING_SECONDS`, and the copy is used only
  while the last ``PONG`` is younger than :data:`ALIVE_SECONDS`. Redis answers
  a ``PING`` after every message it sent before, so a ``PONG`` read means
  every earlier change has been applied. A process cut off from Redis stops
  using its copy within :data:`ALIVE_SECONDS`; a process idle for longer asks
  Redis on its first request.
* A connection that fails or closes empties the copy; another is tried at most
  every :data:`RETRY_SECONDS`, and it starts empty.
* A forked process starts with an empty copy and a connection of its own.
* At most :data:`MAX_ENTRIES` entries; the oldest go first.

No copy is kept (every hit is one Redis read, as with ``CACHE_IN_PROCESS``
off) for a cache that is not Redis, for a Redis cache with several servers
(reads may go to a replica, which could answer with what a message has
already dropped), or when the connection cannot be set up (a server older
than Redis 6, a proxy that does not forward the protocol); the last is logged.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

__all__ = [
    "ALIVE_SECONDS",
    "MAX_ENTRIES",
    "PING_SECONDS",
    "RETRY_SECONDS",
    "Copy",
    "client_name",
    "copy_for",
]

logger = logging.getLogger("django_pat")

PING_SECONDS = 0.25
ALIVE_SECONDS = 1.0
RETRY_SECONDS = 1.0
MAX_ENTRIES = 10_000
CHANNEL = b"__redis__:invalidate"


class Copy:
    """One process's copy of the entries of one cache, and its connection."""

    def __init__(self, connect: Any, prefix: str) -> None:
        # connect() -> a redis-py Connection, connected, in RESP2.
        self._connect = connect
        self._prefix = prefix.encode()
        self._lock = threading.Lock()
        self._entries: dict[str, Any] = {}
        # digest -> ticket of the read in flight; a message naming it cancels it.
        self._pending: dict[str, int] = {}
        self._tickets = 0
        self._connection: Any = None
        self._alive_until = 0.0
        self._next_ping = 0.0
        self._ping_outstanding = False
        self._retry_at = 0.0

    # --- what cache.find uses ---------------------------------------------------

    def get(self, digest: str) -> Any:
        """The entry kept for ``digest``, or None (not kept, or the copy unusable now)."""
        with self._lock:
            now = time.monotonic()
            if not self._sync(now):
                return None
            if now >= self._alive_until:
                return None
            return self._entries.get(digest)

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
        meanwhile; None (nothing to keep) ends the expectation."""
        with self._lock:
            if not self._sync(time.monotonic()):
                self._pending.clear()
                return
            if self._pending.get(digest) == ticket:
                del self._pending[digest]
            else:
                return
            if entry is None:
                return
            if len(self._entries) >= MAX_ENTRIES:
                del self._entries[next(iter(self._entries))]
            self._entries[digest] = entry

    def drop(self, digests: Any) -> None:
        with self._lock:
            for digest in digests:
                self._entries.pop(digest, None)
                self._pending.pop(digest, None)

    def close(self) -> None:
        with self._lock:
            self._lost(retry=False)

    # --- the connection ---------------------------------------------------------

    def _sync(self, now: float) -> bool:
        """Apply every message that has arrived; False if there is no working connection."""
        connection = self._connection
        if connection is None:
            if now < self._retry_at:
                return False
            connection = self._open(now)
            if connection is None:
                return False
        try:
            while connection.can_read(timeout=0):
                self._apply(connection.read_response(), now)
            if not self._ping_outstanding and now >= self._next_ping:
                connection.send_command("PING")
                self._ping_outstanding = True
                self._next_ping = now + PING_SECONDS
        except Exception:
            logger.warning("django_pat: lost the cache's invalidation connection", exc_info=True)
            self._lost(retry=True)
            return False
        return True

    def _open(self, now: float) -> Any:
        try:
            connection = self._connect()
        except Exception:
            logger.warning(
                "django_pat: no in-process copy of the cache for now: could not set up "
                "Redis's invalidation messages",
                exc_info=True,
            )
            self._retry_at = now + RETRY_SECONDS
            return None
        self._connection = connection
        # A read begun before the subscription could miss a change: keep none.
        self._pending.clear()
        self._alive_until = now + ALIVE_SECONDS
        self._next_ping = now + PING_SECONDS
        self._ping_outstanding = False
        return connection

    def _apply(self, message: Any, now: float) -> None:
        if not isinstance(message, list) or not message:
            return
        kind = message[0]
        if kind in (b"pong", "pong"):
            self._ping_outstanding = False
            self._alive_until = now + ALIVE_SECONDS
        elif kind in (b"message", "message") and len(message) == 3:
            keys = message[2]
            if keys is None:  # FLUSHDB or FLUSHALL: everything
                self._entries.clear()
                self._pending.clear()
                return
            prefix = self._prefix
            for key in keys:
                if isinstance(key, str):
                    key = key.encode()
                if key.startswith(prefix):
                    digest = key[len(prefix) :].decode("ascii", "replace")
                    self._entries.pop(digest, None)
                    self._pending.pop(digest, None)

    def _lost(self, *, retry: bool) -> None:
        self._entries.clear()
        self._pending.clear()
        self._alive_until = 0.0
        connection, self._connection = self._connection, None
        self._retry_at = time.monotonic() + RETRY_SECONDS if retry else 0.0
        if connection is not None:
            try:
                connection.disconnect()
            except Exception:
                logger.debug("django_pat: closing the invalidation connection", exc_info=True)


# --- one Copy per cache alias, per process -----------------------------------------

# alias -> its Copy, or None when that cache gets none.
_copies: dict[str, Copy | None] = {}
_copies_lock = threading.Lock()


def copy_for(alias: str, key_of: Any) -> Copy | None:
    """This process's copy of cache ``alias``; None if it cannot have one.

    ``key_of(digest)`` is the name cache mode gives an entry in that cache.
    """
    try:
        return _copies[alias]
    except KeyError:
        pass
    with _copies_lock:
        if alias not in _copies:
            _copies[alias] = _build(alias, key_of)
        return _copies[alias]


def _build(alias: str, key_of: Any) -> Copy | None:
    location = settings.CACHES[alias].get("LOCATION")
    servers = location.split(",") if isinstance(location, str) else list(location or [])
    if len(servers) != 1:
        return None
    client = _redis_client(caches[alias])
    if client is None:
        return None
    cache = caches[alias]
    # The name Redis knows an entry by, minus the digest; refuse a KEY_FUNCTION
    # that does not keep the digest at the end.
    prefix = str(cache.make_key(key_of("")))
    if any(str(cache.make_key(key_of(probe))) != prefix + probe for probe in ("0", "f" * 64)):
        logger.warning(
            "django_pat: no in-process copy of cache %r: its KEY_FUNCTION does not end "
            "keys with the key it was given",
            alias,
        )
        return None
    pool = client.connection_pool
    options = {
        **pool.connection_kwargs,
        "protocol": 2,
        "decode_responses": False,
        "health_check_interval": 0,
    }
    connection_class = pool.connection_class

    def connect() -> Any:
        # Named so that CLIENT LIST tells which process it serves.
        connection = connection_class(**options, client_name=client_name())
        connection.connect()
        try:
            connection.send_command("CLIENT", "ID")
            own_id = connection.read_response()
            connection.send_command(
                "CLIENT", "TRACKING", "on", "REDIRECT", own_id, "BCAST", "PREFIX", prefix
            )
            answer = connection.read_response()
            if answer not in (b"OK", "OK"):
                raise RuntimeError(f"CLIENT TRACKING answered {answer!r}")
            connection.send_command("SUBSCRIBE", CHANNEL)
            answer = connection.read_response()
            if not (isinstance(answer, list) and answer[:2] == [b"subscribe", CHANNEL]):
                raise RuntimeError(f"SUBSCRIBE answered {answer!r}")
        except BaseException:
            connection.disconnect()
            raise
        return connection

    return Copy(connect, prefix)


def client_name() -> str:
    """The name of this process's invalidation connection in ``CLIENT LIST``."""
    return f"django_pat-{socket.gethostname()}-{os.getpid()}"


def _redis_client(cache: Any) -> Any:
    """The redis-py client a cache writes with; None if it is not a Redis cache."""
    try:
        import redis
    except ImportError:
        return None
    inner = getattr(cache, "_cache", None)
    client = None
    try:
        if type(cache).__module__ == "django.core.cache.backends.redis":
            client = inner.get_client(None, write=True)  # type: ignore[union-attr]
        elif type(cache).__module__.startswith("django_redis."):
            client = cache.client.get_client(write=True)
    except Exception:
        logger.warning("django_pat: could not reach the cache's Redis client", exc_info=True)
        return None
    return client if isinstance(client, redis.Redis) else None


def _close_all() -> None:
    with _copies_lock:
        copies = list(_copies.values())
        _copies.clear()
    for copy in copies:
        if copy is not None:
            copy.close()


def _forget_after_fork() -> None:
    # The parent's connection is the parent's: drop it unclosed, start afresh.
    global _copies_lock
    _copies.clear()
    _copies_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


@receiver(setting_changed, dispatch_uid="django_pat.cache_copy.settings")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    # A copy stays current whatever DJANGO_PAT says; not once CACHES changes.
    if setting == "CACHES":
        _close_all()
