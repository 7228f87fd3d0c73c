"""Cache mode: authenticated requests answered from a shared cache.

Off unless ``DJANGO_PAT["CACHE"]`` names a cache. Then a token and its user
are kept in that cache under the token's digest (never the secret), and an
authenticated request costs one cache round trip and no query.

Nothing waits for an entry to expire: every change that could refuse a token
replaces its entry with a *tombstone*, before the change is written and again
once it commits (:mod:`django_pat.invalidation`). A request that meets a
tombstone reads the database and does not fill the cache: the fill is an
``add()``, which a tombstone refuses, and a fill whose database read is older
than half of :data:`TOMBSTONE_SECONDS` is dropped (so a read made before a
change committed never outlives the tombstone written before it).

Expiry needs no invalidation: it is checked against the cached ``expire_at``
on every request. Permissions need none either: the cached user carries no
permission cache (a fresh user object is built for every request, as the
database would give it), so ``has_perm()`` reads groups and permissions from
the database when a view asks, exactly as without the cache.

Why per-token entries with tombstones, and not a generation number per user:
a request knows only its digest, so checking a per-user generation would cost
a second round trip on every hit. Instead a change finds the user's digests
(one query, on the rare write) and tombstones each.

``lastUsedAt`` is still written at most once per interval, by the same
conditional UPDATE. When it was last written is kept in a second small entry;
a process reads it only when the token's ``lastUsedAt`` as it knows it is
older than the interval (so a hit is one round trip), remembers the answer,
and skips the UPDATE if another process wrote it meanwhile.

The secret is never cached, nor the user's password hash (the cached user has
it deferred: reading it costs a query).

Only processes in cache mode tombstone: every process that changes tokens or
users (web workers, admin, management commands, task workers) must have the
same ``CACHE`` setting, and a cache that was used, then left while cache mode
was off, must be cleared before cache mode is turned on again.
:func:`cache_warnings` says what makes a cache a poor choice for this.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.db import router
from django.db.models.base import DEFERRED

from . import cache_copy, lookup
from .conf import pat_settings, problems
from .models import PersonalAccessToken

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = [
    "TOMBSTONE",
    "TOMBSTONE_SECONDS",
    "cache_warnings",
    "find",
    "record_use",
    "used_since",
]

logger = logging.getLogger("django_pat")

# Bump when the shape of an entry changes, so that old entries are ignored.
# 2: tokens have scopes (an entry of 1 lacks them, and reading them would cost a query).
_VERSION = 2
TOMBSTONE_SECONDS = 60
TOMBSTONE = "tombstone"
# Not cached: anyone who can read the cache could otherwise read it.
_UNCACHED_USER_FIELDS = frozenset({"password"})

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Digest -> the latest recorded use this process knows of, with its address
# when this process recorded it. Cached entries keep the lastUsedAt (and
# lastUsedIp) they were filled with; this spares a hit from asking the cache
# again until the interval has passed. Bounded: forgetting only costs one
# more read of the shared record.
_recent_uses: dict[str, tuple[datetime, str | None]] = {}
_RECENT_USES_MAX = 10_000


def _remember(digest: str, when: datetime, ip: str | None = None) -> None:
    if len(_recent_uses) >= _RECENT_USES_MAX:
        _recent_uses.clear()
    known = _recent_uses.get(digest)
    if known is None or when > known[0]:
        _recent_uses[digest] = (when, ip)


Entry = tuple[tuple[str, ...], tuple[Any, ...], tuple[str, ...], tuple[Any, ...]]


def _entry_key(digest: str) -> str:
    return f"django_pat:{_VERSION}:token:{digest}"


def _used_key(digest: str) -> str:
    return f"django_pat:{_VERSION}:used:{digest}"


def find(digest: str) -> PersonalAccessToken | None:
    """The token with this digest, from the cache if it holds it, else the database."""
    alias: str = pat_settings.cache  # type: ignore[assignment]
    copy = cache_copy.copy_for(alias, _entry_key) if pat_settings.cache_in_process else None
    ticket = 0
    if copy is not None:
        kept = copy.get(digest)
        token = _from_entry(kept) if kept is not None else None
        if token is not None:
            return _with_recent_use(digest, token)
        ticket = copy.expect(digest)
    cache = caches[alias]
    key = _entry_key(digest)
    try:
        entry = cache.get(key)
    except Exception:
        logger.warning("django_pat: cache unavailable, reading the database", exc_info=True)
        if copy is not None:
            copy.keep(digest, None, ticket)
        return lookup.fetch(digest)
    cached = _from_entry(entry) if isinstance(entry, tuple) else None
    if copy is not None:
        copy.keep(digest, entry if cached is not None else None, ticket)
    if cached is not None:
        return _with_recent_use(digest, cached)
    started = time.monotonic()
    token = lookup.fetch(digest)
    # A tombstone means a change is recent: leave it be until it expires.
    if token is not None and entry is None and time.monotonic() - started < TOMBSTONE_SECONDS / 2:
        try:
            cache.add(key, _to_entry(token))
        except Exception:
            logger.warning("django_pat: could not fill the cache", exc_info=True)
    return token


def _with_recent_use(digest: str, token: PersonalAccessToken | None) -> PersonalAccessToken | None:
    known = _recent_uses.get(digest)
    if token is None or known is None:
        return token
    when, ip = known
    if token.last_used_at is None or when > token.last_used_at:
        token.last_used_at = when
        token.last_used_ip = ip or token.last_used_ip
    return token


def used_since(token: PersonalAccessToken, since: datetime) -> bool:
    """Whether some process recorded a use of ``token`` after ``since``.

    Asked only when the token's own ``last_used_at`` is older than the
    interval, so at most once per interval per token in each process: the
    answer is remembered here, and applied to every later hit by :func:`find`.
    """
    alias = pat_settings.cache
    if alias is None:
        return False
    try:
        used = caches[alias].get(_used_key(token.digest))
    except Exception:
        logger.warning("django_pat: could not read a recorded use", exc_info=True)
        return False
    if not isinstance(used, int):
        return False
    when = _EPOCH + timedelta(microseconds=used)
    _remember(token.digest, when)
    if when <= since:
        return False
    token.last_used_at = when
    return True


def record_use(token: PersonalAccessToken, when: datetime) -> None:
    """Remember that ``last_used_at`` was written, for every process to see."""
    alias = pat_settings.cache
    if alias is None:
        return
    _remember(token.digest, when, token.last_used_ip)
    interval: timedelta = pat_settings.last_used_update_interval
    # Microseconds since the epoch: caches store an integer as it is, unpickled.
    micros = (when - _EPOCH) // timedelta(microseconds=1)
    try:
        caches[alias].set(
            _used_key(token.digest), micros, timeout=int(interval.total_seconds()) + 60
        )
    except Exception:
        logger.warning("django_pat: could not record a use in the cache", exc_info=True)


# --- entries ------------------------------------------------------------------------


def _to_entry(token: PersonalAccessToken) -> Entry:
    user = token.user
    token_names = tuple(f.attname for f in PersonalAccessToken._meta.concrete_fields)
    user_names = tuple(
        f.attname for f in user._meta.concrete_fields if f.attname not in _UNCACHED_USER_FIELDS
    )
    return (
        token_names,
        tuple(getattr(token, name) for name in token_names),
        user_names,
        tuple(getattr(user, name) for name in user_names),
    )


# (model, names in an entry) -> for each concrete field, its index in the entry or -1.
_layouts: dict[tuple[type[Model], tuple[str, ...]], tuple[int, ...]] = {}


def _instance(
    model: type[Model], alias: str, names: tuple[str, ...], values: tuple[Any, ...]
) -> Any:
    layout = _layouts.get((model, names))
    if layout is None:
        index = {name: position for position, name in enumerate(names)}
        layout = tuple(index.get(f.attname, -1) for f in model._meta.concrete_fields)
        _layouts[(model, names)] = layout
    # A field the entry lacks is deferred: read from the database if ever used.
    full = [values[position] if position >= 0 else DEFERRED for position in layout]
    return model.from_db(alias, names, full)


def _from_entry(entry: Entry) -> PersonalAccessToken | None:
    """The token an entry holds; None for an entry this code cannot read."""
    try:
        return _build(*entry)
    except (TypeError, ValueError, IndexError):
        logger.warning("django_pat: ignoring an unreadable cache entry", exc_info=True)
        return None


def _build(
    token_names: tuple[str, ...],
    token_values: tuple[Any, ...],
    user_names: tuple[str, ...],
    user_values: tuple[Any, ...],
) -> PersonalAccessToken:
    # Where lookup.fetch() reads a token: an entry stands for that row.
    alias = router.db_for_write(PersonalAccessToken)
    user_field = PersonalAccessToken._meta.get_field("user")
    token: PersonalAccessToken = _instance(PersonalAccessToken, alias, token_names, token_values)
    user = _instance(user_field.related_model, alias, user_names, user_values)  # type: ignore[arg-type]
    user_field.set_cached_value(token, user)  # type: ignore[union-attr]
    return token


# --- what makes a cache a poor choice -------------------------------------------------

# Backends whose entries one process cannot see another write or delete.
_UNSHARED_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "keeps a separate cache in each process",
    "django.core.cache.backends.dummy.DummyCache": "caches nothing",
}
# Backends the in-process copy can follow (through Redis's invalidation messages).
_REDIS_CACHES = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)


def cache_warnings(raw: Any) -> list[str]:
    """What makes a valid ``CACHE`` setting a poor one, one sentence each."""
    if not isinstance(raw, dict) or problems(raw):
        return []
    alias = raw.get("CACHE")
    if alias is None:
        return []
    backend = settings.CACHES[alias].get("BACKEND", "")
    why = _UNSHARED_CACHES.get(backend)
    if why is not None:
        return [
            f"DJANGO_PAT['CACHE'] names the cache {alias!r}, whose backend {why}: a token "
            "revoked in one process could still be accepted by another. Use a cache every "
            "process shares, such as Redis."
        ]
    servers = cache_copy.server_count(settings.CACHES[alias].get("LOCATION"))
    if "redis" in backend.lower() and servers > 1:
        return [
            f"DJANGO_PAT['CACHE'] names the cache {alias!r}, which has {servers} "
            "servers and may read from a replica: a replica that has not yet caught up "
            "could still answer with a revoked token's entry. Give cache mode a cache "
            "with one Redis server."
        ]
    if raw.get("CACHE_IN_PROCESS") and backend not in _REDIS_CACHES:
        return [
            f"DJANGO_PAT['CACHE_IN_PROCESS'] is on, but the cache {alias!r} is not Redis "
            f"({', '.join(sorted(_REDIS_CACHES))}): no process keeps a copy, and every "
            "hit reads the cache."
        ]
    return []
