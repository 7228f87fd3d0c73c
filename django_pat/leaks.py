"""Leaked tokens revoke themselves (CONTRACT 9.5): the one operation behind
``POST credentials/revoke`` and GitHub secret scanning.

:func:`revoke_leaked` takes whatever values someone found, keeps those that
are well-formed tokens of this site (the checksum decides, with no query),
and revokes the matching tokens with ``revokedReason`` ``leaked`` in one
lookup and one UPDATE for the whole batch. The same queries run whether
anything matched or not, so that neither the answer nor the work done tells a
finder whether a value was real. Each token it revoked gets ``token_revoked``
and ``token_leaked`` and its owner an email, once the revocation commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import router, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import invalidation, notices, tokens
from .conf import pat_settings
from .lifecycle import RevokedReason
from .models import PersonalAccessToken
from .signals import token_leaked, token_revoked

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["MAX_VALUES", "MAX_VALUE_LENGTH", "LeakReport", "revoke_leaked", "well_formed"]

logger = logging.getLogger("django_pat")

# What one POST credentials/revoke may carry (CONTRACT 9.5).
MAX_VALUES = 1000
MAX_VALUE_LENGTH = 256

SOURCES = ("report", "github")
# RevokedReason.LEAKED; a plain str for the type checker.
LEAKED = "leaked"
assert LEAKED in RevokedReason.values


@dataclass(frozen=True)
class LeakReport:
    """What :func:`revoke_leaked` found: the digests of the values that are
    tokens of this site, in any state (``matched``), and the tokens it revoked
    (``revoked``: those of them that were not revoked already)."""

    matched: frozenset[str] = frozenset()
    revoked: tuple[PersonalAccessToken, ...] = field(default=())


@sensitive_variables("values", "value", "found")
def well_formed(values: Iterable[str]) -> dict[str, str]:
    """Digest -> value for the values that pass the checksum with this
    site's prefix; the rest cannot be tokens of this site. No query."""
    prefix = pat_settings.token_prefix
    found = {}
    for value in values:
        try:
            tokens.parse(value, prefix)
        except tokens.TokenFormatError:
            continue
        found[tokens.digest(value)] = value
    return found


@sensitive_variables("values", "digests", "urls")
def revoke_leaked(
    values: Iterable[str], *, source: str = "report", urls: Mapping[str, str] | None = None
) -> LeakReport:
    """Revoke every token of this site among ``values`` as leaked.

    ``source`` says who reported them (``"report"`` or ``"github"``, for
    ``token_leaked``); ``urls`` maps a value to where it was found. Values
    that fail the checksum cost nothing; the rest cost one lookup and one
    UPDATE together, in one transaction, matched or not. Tokens already
    revoked stay as they are (their reason too) but count as matched. An
    expired or dormant token is revoked as well, so that it can never come
    back (a reactivated user, a longer dormancy setting).

    In cache mode the entries of all the well-formed values are tombstoned
    first, matched or not; a cache that refuses raises
    :class:`~django_pat.exceptions.CacheUnavailable` with nothing revoked.
    """
    if source not in SOURCES:
        raise ValueError(f"{source!r} is not a source of leak reports; one of {SOURCES}")
    digests = well_formed(values)
    if not digests:
        return LeakReport()
    model = PersonalAccessToken
    using = router.db_for_write(model)
    manager = model._default_manager.using(using)
    now = timezone.now()
    with transaction.atomic(using=using):
        invalidation.forget(list(digests), using)
        # Locked until the commit, so that the UPDATE below revokes exactly
        # the unrevoked rows read here: a concurrent revoke waits, then finds
        # the token revoked (and sends no second signal).
        found = list(
            manager.select_for_update(of=("self",))
            .filter(digest__in=list(digests))
            .select_related("user")
        )
        manager.filter(digest__in=list(digests), revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=LEAKED, revoked_by=None
        )
        revoked = tuple(token for token in found if token.revoked_at is None)
        for token in revoked:
            _revoked(token, now, source, (urls or {}).get(digests[token.digest]), using)
    return LeakReport(frozenset(token.digest for token in found), revoked)


def _revoked(
    token: PersonalAccessToken, now: datetime, source: str, url: str | None, using: str
) -> None:
    token.revoked_at, token.revoked_reason, token.revoked_by = now, LEAKED, None
    model = type(token)

    def signals() -> None:
        token_revoked.send(sender=model, token=token, reason=LEAKED, revoked_by=None)
        token_leaked.send(sender=model, token=token, source=source, url=url)

    def email() -> None:
        if not notices.notify_leaked(token):
            logger.info(
                "django_pat: token %s (%s…) was revoked as leaked; its owner has no email "
                "address to tell",
                token.pk,
                token.display_prefix,
            )

    # Separately robust: a receiver that fails does not stop the email.
    transaction.on_commit(signals, using=using, robust=True)
    transaction.on_commit(email, using=using, robust=True)
