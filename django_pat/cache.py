"""Cache mode: authenticated requests answered from a shared cache.

Off unless ``DJANGO_PAT["CACHE"]`` names a cache. Then a token and its user
are kept in that cache under the token's digest (never the secret), and an
authenticated request costs one cache round trip and no query.

Nothing waits for an entry to expire. Every change that could refuse a token
replaces its entry with a *tombstone*, after the change commits:

* ``revoke()`` (through the ``token_revoked`` signal), and any save or delete
  of a token;
* any save or delete of a user (``is_active``, ``is_staff``, ``is_superuser``,
  a new password...): all of that user's tokens.

Expiry needs no invalidation: it is checked against the cached ``expire_at``
on every request. Permissions need none either: the cached user carries no
permission cache (a fresh user object is built for every request, as the
database would give it), so ``has_perm()`` reads groups and permissions from
the database when a view asks, exactly as without the cache.

Why per-token entries with tombstones, and not a generation number per user:
a request knows only its digest, so checking a per-user generation would cost
a second round trip on every hit. Instead a change finds the user's digests
(one query, on the rare write) and tombstones each. A tombstone also closes
the race of a request that read the database just before a change committed
and fills the cache just after: the fill is an ``add()``, which a tombstone
refuses. Tombstones live for :data:`TOMBSTONE_SECONDS`, and a fill whose
database read is older than half of that is dropped.

``lastUsedAt`` is still written at most once per interval, by the same
conditional UPDATE. When it was last written is kept in a second small entry;
a process reads it only when the token's ``lastUsedAt`` as it knows it is
older than the interval (so a hit is one round trip), remembers the answer,
and skips the UPDATE if another process wrote it meanwhile.

The secret is never cached, nor the user's password hash (the cached user has
it deferred: reading it costs a query, as for ``.defer("password")``).

Only processes in cache mode tombstone: every process that changes tokens or
users (web workers, admin, management commands, task workers) must have the
same ``CACHE`` setting, and a cache that was used, then left while cache mode
was off, must be cleared before cache mode is turned on again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import router, transaction
from django.db.models.base import DEFERRED
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import cache_copy, lookup
from .conf import pat_settings
from .models import PersonalAccessToken
from .signals import token_revoked

if TYPE_CHECKING:
    from django.db.models import Model

__all__ = ["TOMBSTONE_SECONDS", "find", "forget", "record_use", "used_since"]

logger = logging.getLogger("django_pat")

# Bump when the shape of an entry changes, so that old entries are ignored.
_VERSION = 1
TOMBSTONE_SECONDS = 60
_TOMBSTONE = "tombstone"
# Not cached: anyone who can read the cache could otherwise read it.
_UNCACHED_USER_FIELDS = frozenset({"password"})

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Digest -> the latest recorded use this process knows of. Cached entries keep
# the lastUsedAt they were filled with; this spares a hit from asking the
# cache again until the interval has passed. Bounded: forgetting only costs
# one more read of the shared record.
_recent_uses: dict[str, datetime] = {}
_RECENT_USES_MAX = 10_000


def _remember(digest: str, when: datetime) -> None:
    if len(_recent_uses) >= _RECENT_USES_MAX:
        _recent_uses.clear()
    known = _recent_uses.get(digest)
    if known is None or when > known:
        _recent_uses[digest] = when


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
    entry_key = _entry_key(digest)
    try:
        entry = cache.get(entry_key)
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
            cache.add(entry_key, _to_entry(token))
        except Exception:
            logger.warning("django_pat: could not fill the cache", exc_info=True)
    return token


def _with_recent_use(digest: str, token: PersonalAccessToken | None) -> PersonalAccessToken | None:
    known = _recent_uses.get(digest)
    if token is None or known is None:
        return token
    if token.last_used_at is None or known > token.last_used_at:
        token.last_used_at = known
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
    _remember(token.digest, when)
    interval: timedelta = pat_settings.last_used_update_interval
    # Microseconds since the epoch: caches store an integer as it is, unpickled.
    micros = (when - _EPOCH) // timedelta(microseconds=1)
    try:
        caches[alias].set(
            _used_key(token.digest), micros, timeout=int(interval.total_seconds()) + 60
        )
    except Exception:
        logger.warning("django_pat: could not record a use in the cache", exc_info=True)


def forget(digests: Sequence[str], using: str | None = None) -> None:
    """Tombstone these tokens' entries once the current transaction commits."""
    alias = pat_settings.cache
    if alias is None or not digests:
        return
    tombstones = {_entry_key(digest): _TOMBSTONE for digest in digests}

    def tombstone() -> None:
        caches[alias].set_many(tombstones, timeout=TOMBSTONE_SECONDS)
        _drop_copies(digests)

    transaction.on_commit(tombstone, using=using)


def _forget_user(user_pk: Any, using: str | None) -> None:
    alias = pat_settings.cache
    if alias is None:
        return

    def tombstone() -> None:
        # Read after the commit, so that a token made meanwhile is not missed,
        # and from the database written to, where it is (a replica may lag).
        digests = list(
            PersonalAccessToken._default_manager.using(
                using or router.db_for_write(PersonalAccessToken)
            )
            .filter(user_id=user_pk, revoked_at__isnull=True)
            .values_list("digest", flat=True)
        )
        if digests:
            caches[alias].set_many(
                {_entry_key(digest): _TOMBSTONE for digest in digests}, timeout=TOMBSTONE_SECONDS
            )
            _drop_copies(digests)

    transaction.on_commit(tombstone, using=using)


def _drop_copies(digests: Sequence[str]) -> None:
    # Redis tells this process too; dropping here as well costs nothing. Runs
    # after the commit, so it must not fail.
    alias = pat_settings.cache
    copy = cache_copy.existing_copy(alias) if alias is not None else None
    if copy is not None:
        try:
            copy.drop(digests)
        except Exception:
            logger.warning(
                "django_pat: could not drop entries of the in-process copy", exc_info=True
            )


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


# --- invalidation -------------------------------------------------------------------


@receiver(token_revoked, dispatch_uid="django_pat.cache.revoked")
def _revoked(sender: Any, token: PersonalAccessToken, **kwargs: Any) -> None:
    forget([token.digest], token._state.db)


@receiver(post_save, sender=PersonalAccessToken, dispatch_uid="django_pat.cache.token_saved")
def _token_saved(sender: Any, instance: PersonalAccessToken, created: bool, **kwargs: Any) -> None:
    # A new token's digest has never been looked up: nothing to invalidate.
    if not created:
        forget([instance.digest], kwargs.get("using"))


def _token_deleted(sender: Any, instance: PersonalAccessToken, **kwargs: Any) -> None:
    forget([instance.digest], kwargs.get("using"))


def _connect_token_deleted() -> None:
    """Connect :func:`_token_deleted` in cache mode only. Any ``post_delete``
    receiver makes Django load every row a delete removes, to send it
    (``pat_purge``'s deletes, a user's tokens going with the user); without
    cache mode it would have nothing to do."""
    # The raw setting, not pat_settings: this runs at start-up and on every
    # change of DJANGO_PAT, before the system check has said what is wrong
    # with an invalid one.
    raw = getattr(settings, "DJANGO_PAT", None)
    uid = "django_pat.cache.token_deleted"
    if isinstance(raw, dict) and raw.get("CACHE") is not None:
        post_delete.connect(_token_deleted, sender=PersonalAccessToken, dispatch_uid=uid)
    else:
        post_delete.disconnect(sender=PersonalAccessToken, dispatch_uid=uid)


_connect_token_deleted()


@receiver(setting_changed, dispatch_uid="django_pat.cache.settings")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJANGO_PAT":
        _connect_token_deleted()


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="django_pat.cache.user_saved")
def _user_saved(sender: Any, instance: Model, created: bool, **kwargs: Any) -> None:
    if not created:
        _forget_user(instance.pk, kwargs.get("using"))
