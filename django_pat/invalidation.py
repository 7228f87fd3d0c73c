"""Cache mode's tombstones: what keeps a cached entry from outliving a change.

Every change that could refuse a token replaces the token's entry in cache
mode's cache with a tombstone, twice:

* **before the change is written**, in the same thread and transaction: a
  ``revoke()`` (through ``before_revoke``), any save or delete of a token,
  any save of a user (all of that user's tokens; deleting a user deletes
  their tokens, each tombstoned). If the cache refuses, the change is not
  made: :class:`~django_pat.exceptions.CacheUnavailable` is raised before the
  UPDATE (the endpoints answer 503). A revocation is never committed while a
  cached entry could keep letting the token in, even if Redis was only cut
  off for a moment and comes back with the old entry;
* **again once the change commits** (at once when it commits on its own): for
  a transaction longer than half of a tombstone's life, or a tombstone the
  cache evicted meanwhile. A user's tokens are read again then, so that a
  token made meanwhile is not missed. The change has committed by then, so a
  cache that refuses is logged (an error) and not raised: the tombstone written
  before still stands, and (see :mod:`django_pat.cache`) no fill read before
  the commit can outlive it, unless the transaction lasted longer than half
  of :data:`~django_pat.cache.TOMBSTONE_SECONDS`.

A request in between reads the database, which still has the old row until
the commit, and cannot put it back in the cache: its fill is an ``add()``,
which the tombstone refuses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connections, router, transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from . import cache_copy
from .cache import TOMBSTONE, TOMBSTONE_SECONDS, _entry_key
from .conf import pat_settings
from .exceptions import CacheUnavailable
from .models import PersonalAccessToken
from .signals import before_revoke

__all__ = ["forget"]

logger = logging.getLogger("django_pat")


def forget(digests: Sequence[str], using: str | None = None) -> None:
    """Tombstone these tokens' entries now, and again when the transaction
    on ``using`` commits; call it before writing the change.

    Raises :class:`~django_pat.exceptions.CacheUnavailable` when the cache
    refuses: the change must then not be made.
    """
    alias = pat_settings.cache
    if alias is None or not digests:
        return
    _tombstone_now(alias, digests)
    using = using or router.db_for_write(PersonalAccessToken)
    # Outside a transaction the change is written a moment from now, well
    # within the tombstone's life: once is enough.
    if connections[using].in_atomic_block:
        _tombstone_after_commit(alias, lambda: digests, using)


def _tombstone_now(alias: str, digests: Sequence[str]) -> None:
    try:
        caches[alias].set_many(
            {_entry_key(digest): TOMBSTONE for digest in digests}, timeout=TOMBSTONE_SECONDS
        )
    except Exception as error:
        raise CacheUnavailable(
            f"The cache {alias!r} of DJANGO_PAT['CACHE'] refused a tombstone; nothing was "
            "changed, so that no cached entry outlives the change."
        ) from error
    _drop_copies(alias, digests)


def _tombstone_after_commit(
    alias: str, digests: Callable[[], Sequence[str]], using: str | None
) -> None:
    def tombstone() -> None:
        try:
            found = digests()
            if found:
                caches[alias].set_many(
                    {_entry_key(digest): TOMBSTONE for digest in found},
                    timeout=TOMBSTONE_SECONDS,
                )
                _drop_copies(alias, found)
        except Exception:
            logger.error(
                "django_pat: could not tombstone cache entries after a commit; the "
                "tombstones written before it stand for %s seconds",
                TOMBSTONE_SECONDS,
                exc_info=True,
            )

    transaction.on_commit(tombstone, using=using)


def _drop_copies(alias: str, digests: Sequence[str]) -> None:
    # Redis tells this process too; dropping here as well costs nothing.
    copy = cache_copy.existing_copy(alias)
    if copy is not None:
        try:
            copy.drop(digests)
        except Exception:
            logger.warning(
                "django_pat: could not drop entries of the in-process copy", exc_info=True
            )


def _active_digests(user_pk: Any, using: str | None) -> list[str]:
    # From the database written to, where the change is (a replica may lag).
    return list(
        PersonalAccessToken._default_manager.using(
            using or router.db_for_write(PersonalAccessToken)
        )
        .filter(user_id=user_pk, revoked_at__isnull=True)
        .values_list("digest", flat=True)
    )


# --- receivers ----------------------------------------------------------------------


@receiver(before_revoke, dispatch_uid="django_pat.invalidation.before_revoke")
def _revoking(sender: Any, token: PersonalAccessToken, using: str, **kwargs: Any) -> None:
    forget([token.digest], using)


@receiver(pre_save, sender=PersonalAccessToken, dispatch_uid="django_pat.invalidation.token_saving")
def _token_changing(sender: Any, instance: PersonalAccessToken, **kwargs: Any) -> None:
    # A new token's digest has never been looked up: nothing to invalidate.
    alias = pat_settings.cache
    if alias is not None and not instance._state.adding:
        _tombstone_now(alias, [instance.digest])


@receiver(post_save, sender=PersonalAccessToken, dispatch_uid="django_pat.invalidation.token_saved")
def _token_saved(sender: Any, instance: PersonalAccessToken, created: bool, **kwargs: Any) -> None:
    alias = pat_settings.cache
    if alias is not None and not created:
        _tombstone_after_commit(alias, lambda: [instance.digest], kwargs.get("using"))


def _token_deleted(sender: Any, instance: PersonalAccessToken, **kwargs: Any) -> None:
    alias = pat_settings.cache
    if alias is not None:
        _tombstone_after_commit(alias, lambda: [instance.digest], kwargs.get("using"))


_DELETE_RECEIVERS = (
    (pre_delete, _token_changing, "django_pat.invalidation.token_deleting"),
    (post_delete, _token_deleted, "django_pat.invalidation.token_deleted"),
)


def _connect_delete_receivers() -> None:
    """Connect the token's delete receivers in cache mode only.

    Any ``pre_delete`` or ``post_delete`` receiver makes Django load every
    row a delete removes, to send it (``pat_purge``'s batches, a user's
    tokens going with the user); without cache mode they would have nothing
    to do. The raw setting is read, not ``pat_settings``: this runs at
    start-up and on every change of ``DJANGO_PAT``, before the system check
    has said what is wrong with an invalid one.
    """
    raw = getattr(settings, "DJANGO_PAT", None)
    cache_mode = isinstance(raw, dict) and raw.get("CACHE") is not None
    for signal, function, uid in _DELETE_RECEIVERS:
        if cache_mode:
            signal.connect(function, sender=PersonalAccessToken, dispatch_uid=uid)
        else:
            signal.disconnect(sender=PersonalAccessToken, dispatch_uid=uid)


_connect_delete_receivers()


@receiver(setting_changed, dispatch_uid="django_pat.invalidation.settings")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJANGO_PAT":
        _connect_delete_receivers()


@receiver(
    pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="django_pat.invalidation.user_saving"
)
def _user_saving(sender: Any, instance: Any, **kwargs: Any) -> None:
    alias = pat_settings.cache
    if alias is not None and not instance._state.adding:
        digests = _active_digests(instance.pk, kwargs.get("using"))
        if digests:
            _tombstone_now(alias, digests)


@receiver(
    post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="django_pat.invalidation.user_saved"
)
def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    alias = pat_settings.cache
    if alias is not None and not created:
        using = kwargs.get("using")
        _tombstone_after_commit(alias, lambda: _active_digests(instance.pk, using), using)
