"""Cache mode's copy in each process, kept current by Redis.

With ``DJANGO_PAT["CACHE_IN_PROCESS"] = True`` (off by default) and cache mode
on a Redis cache, every process also keeps the entries it has read from Redis
in its own memory, and answers a hit from there: no round trip at all.

What keeps that copy current is Redis's own protocol for client-side caching.
Each process holds one more connection to the Redis server the cache writes
to, on which it has asked to be told of every change to a key of cache mode's
(``CLIENT TRACKING on BCAST PREFIX ...``, the messages redirected to this same
connection, subscribed to ``__redis__:invalidate``). Every change to such a
key, from any process (a tombstone, a fill, an expiry or eviction, a flush),
makes Redis send the key's name to every such connection. Before it looks
anything up, a process reads whatever has arrived on that connection (a
non-blocking read; nothing is ever waited for) and drops what it names.

How soon is that? On one host, before anyone can act on the change: once
any client has Redis's answer to a change, the next lookup in every process
sees it, as without the copy. That rests on the order in which Redis writes
its output: not a documented promise, but what its code does (with its
default ``io-threads 1``; checked on Redis 7 by the tests):

1. Redis works in passes: it reads every connection that has sent something,
   runs the commands, then queues the messages naming the keys they changed
   (at the end of the pass, in BCAST mode), then writes out each
   connection's new output, starting with the one it gave something to last.
2. This connection gets nothing but those messages and the answers to its
   own PINGs. So the message about a change is written before the change's
   answer, unless a PING of this connection ran earlier in the same pass:
   then the PONG and the message are written together, after the answer.
3. So the copy does not answer while one of its PINGs is unanswered (a PING
   sent after the read cannot precede a change already answered). Once the
   PONG has been read, so has the message written with it, or part of it,
   and while part of a message has arrived the copy does not answer.
4. On one host nothing delays one of Redis's writes behind a later one (a
   loopback or Unix socket), so the message is in the process's socket
   before the answer written after it reaches anyone.

Where that order does not hold, a change can be answered before its message
arrives, and a request in between is answered from the copy: across hosts
(the message takes as long as the network; nothing makes it arrive before a
client's next request, which is why the copy is not the default); with
``io-threads`` above 1 (several connections written at once), another server
speaking Redis's protocol, or a proxy; behind a backlog (Redis still writing
earlier output to a process that has not read it); and for ``FLUSHDB`` or
``FLUSHALL``, whose message is queued as the command runs, so it can leave
after its own answer and after that of a change later in the same pass
(nothing in cache mode revokes by flushing).

What keeps the copy from outliving what it copies:

* An entry is kept only when it was read from Redis, and only if no message
  naming it arrived while it was being read (and the connection stayed the
  same). A message only ever drops.
* The copy answers only while the connection is known to work: a ``PING`` is
  sent on it at most every :data:`PING_SECONDS`, and the copy is used only
  until :data:`ALIVE_SECONDS` after the last answered ``PING`` was *sent*,
  and not while a ``PING`` is unanswered (3. above). Redis answers a
  ``PING`` after every message it sent before, so an answer means every
  change made before the ``PING`` was sent has been applied. A process cut
  off from Redis stops using its copy within :data:`ALIVE_SECONDS`; a
  process idle for longer asks Redis on its first request; a ``PING``
  unanswered for :data:`PING_TIMEOUT_SECONDS` counts as a lost connection.
* A lost connection empties the copy. A new one is made on a later request
  (never while holding the lock, never more often than every
  :data:`RETRY_SECONDS`, less often after each failure in a row, a connection
  lost before its first ``PONG`` counting as one) and starts empty.
* While part of a message has arrived, the copy does not answer.
* A forked process starts with an empty copy and a connection of its own.
* At most :data:`MAX_ENTRIES` entries; the least recently used go first.

No copy is kept (every hit is one Redis read) for a cache that is not Redis,
for a Redis cache with several servers (reads may go to a replica, which could
answer with what a message has already dropped), for a ``KEY_FUNCTION`` that
hides the key, or while the connection cannot be set up (a server older than
Redis 6, an ACL or renamed commands without ``CLIENT``, ``SUBSCRIBE`` or
``PING``, a proxy that does not forward the protocol); the last is logged.
Sentinel and cluster setups are not detected: do not turn the copy on for them.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.dispatch import receiver

from .process_copy import (
    ALIVE_SECONDS,
    CHANNEL,
    MAX_ENTRIES,
    PING_SECONDS,
    PING_TIMEOUT_SECONDS,
    RETRY_SECONDS,
    Copy,
)
from .redis_wire import disconnect

__all__ = [
    "ALIVE_SECONDS",
    "CHANNEL",
    "MAX_ENTRIES",
    "PING_SECONDS",
    "PING_TIMEOUT_SECONDS",
    "RETRY_SECONDS",
    "Copy",
    "client_name",
    "copy_for",
    "existing_copy",
    "server_count",
]

logger = logging.getLogger("django_pat")

# --- one Copy per cache alias, per process -----------------------------------------

# alias -> its Copy, or None when that cache gets none.
_copies: dict[str, Copy | None] = {}
_copies_lock = threading.Lock()


def copy_for(alias: str, key_of: Any) -> Copy | None:
    """This process's copy of cache ``alias``, made on first use; None if it cannot have one.

    ``key_of(digest)`` is the name cache mode gives an entry (the same function
    on every call).
    """
    try:
        return _copies[alias]
    except KeyError:
        pass
    with _copies_lock:
        if alias not in _copies:
            _copies[alias] = _build(alias, key_of)
        return _copies[alias]


def existing_copy(alias: str) -> Copy | None:
    """This process's copy of cache ``alias`` if one was made."""
    return _copies.get(alias)


def server_count(location: Any) -> int:
    """How many servers a cache's LOCATION names (split as Django's RedisCache does)."""
    if isinstance(location, str):
        return len([server for server in re.split("[;,]", location) if server.strip()])
    return len(location or [])


def client_name() -> str:
    """The name of this process's invalidation connection in ``CLIENT LIST``."""
    return f"django_pat-{socket.gethostname()}-{os.getpid()}"


def _build(alias: str, key_of: Any) -> Copy | None:
    if server_count(settings.CACHES[alias].get("LOCATION")) != 1:
        return None
    cache = caches[alias]
    client = _redis_client(cache)
    if client is None:
        return None
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
    options = dict(pool.connection_kwargs)
    # redis-py 8's maintenance notifications: tied to the pool, and needing
    # RESP3; this connection is neither the pool's nor RESP3.
    options.pop("maint_notifications_pool_handler", None)
    if "maint_notifications_config" in options:
        options["maint_notifications_config"] = None
    options.update(
        protocol=2,
        decode_responses=False,
        health_check_interval=0,
        # Named so that CLIENT LIST tells which process it serves.
        client_name=client_name(),
    )
    connection_class = pool.connection_class

    def connect() -> Any:
        connection = connection_class(**options)
        connection.connect()
        try:
            connection.send_command("CLIENT", "ID")
            own_id = connection.read_response()
            connection.send_command(
                "CLIENT", "TRACKING", "on", "REDIRECT", own_id, "BCAST", "PREFIX", prefix
            )
            answer = connection.read_response()
            if answer != b"OK":
                raise RuntimeError(f"CLIENT TRACKING answered {answer!r}")
            connection.send_command("SUBSCRIBE", CHANNEL)
            answer = connection.read_response()
            if not (isinstance(answer, list) and answer[:2] == [b"subscribe", CHANNEL]):
                raise RuntimeError(f"SUBSCRIBE answered {answer!r}")
            # What keeps the copy alive: a server that refuses it cannot have one.
            connection.send_command("PING")
            answer = connection.read_response()
            if answer != [b"pong", b""]:
                raise RuntimeError(f"PING answered {answer!r}")
        except BaseException:
            disconnect(connection)
            raise
        return connection

    return Copy(connect, prefix)


def _redis_client(cache: Any) -> Any:
    """The redis-py client a cache writes with; None if it is not a Redis cache."""
    try:
        import redis
    except ImportError:
        return None
    client = None
    try:
        if type(cache).__module__ == "django.core.cache.backends.redis":
            client = cache._cache.get_client(None, write=True)
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
