"""Rotation: a token replaced by a new one with a new secret, in one step.

The successor carries what the owner chose for the token (:data:`CARRIED`),
gets a new expiry, and names the token it replaced (``previous``). The old
token is revoked with the reason ``rotated`` in the same transaction: either
both happen or neither does, and a token has at most one successor (the
database's unique index on ``previous`` makes that a fact, whatever the code
above it does).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from .lifecycle import state_of
from .models import DEFAULT, PersonalAccessToken
from .signals import token_rotated
from .users import lock_active_owner

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .conf import TokenType

__all__ = ["CARRIED", "NotRotatable", "default_expiry", "rotate"]

# The provision() arguments a successor takes from the token it replaces, by
# the same names as the model's fields. A field added to tokens that the owner
# chose (not one the site records about its use) belongs here.
CARRIED = ("name", "type", "ip_restriction", "scopes", "description")

# A state in the message refusing a rotation.
_STATE_WORDS = {
    "revoked": _("revoked"),
    "expired": _("expired"),
    "dormant": _("dormant"),
    "deleted": _("deleted"),
}


class NotRotatable(ValidationError):
    """The token is not active (revoked, expired or dormant), perhaps because a
    concurrent rotation replaced it a moment ago."""


@sensitive_variables("secret")
def rotate(
    token: PersonalAccessToken,
    *,
    expire_at: datetime | None = DEFAULT,
    parent: PersonalAccessToken | None = None,
    by: AbstractBaseUser | None = None,
) -> tuple[PersonalAccessToken, str]:
    """Replace ``token`` with a new token; return the new token and its secret.

    ``expire_at`` left out: the type's default lifetime from now, capped at its
    maximum lifetime and at the expiry of ``parent`` (the token that
    authenticated the request, if another one did): never refused for that.
    Given, it follows ``provision()``'s rules, and a time beyond either cap is
    a ``ValidationError`` for ``expire_at``. A token rotating itself is not
    its own parent. Under a parent the successor may not allow more than the
    parent, as for provisioning: a token cannot obtain, by rotating another,
    a secret it could not have provisioned.

    ``by`` is the user asking (the owner, a staff member; None for a command),
    recorded as who revoked the old token.

    Raises :class:`NotRotatable` (a ``ValidationError``) unless ``token`` is
    active, and :class:`~django_pat.models.InactiveRequester` when its user
    or the parent is no longer active. Signals, once the transaction commits:
    ``token_revoked`` for the old token (reason ``rotated``),
    ``token_provisioned`` and ``token_rotated`` for the new one.
    """
    if parent is not None and parent.pk == token.pk:
        parent = None
    model = type(token)
    using = router.db_for_write(model)
    user = token.user
    try:
        with transaction.atomic(using=using):
            # The owner's row first, as provision() locks it (and in its mode).
            lock_active_owner(user, using)
            current = (
                model._default_manager.using(using)
                .select_for_update(of=("self",))
                .select_related("user")
                .filter(pk=token.pk)
                .first()
            )
            now = timezone.now()
            state = state_of(current, now) if current is not None else "deleted"
            # revoke() is False when another rotation revoked it first: on a
            # database without row locks (SQLite), that is where a second
            # rotation finds out.
            if state != "active" or not current or not current.revoke("rotated", by=by):
                raise NotRotatable(
                    gettext("Only an active token can be rotated; this one is %(state)s.")
                    % {"state": _STATE_WORDS.get(state, state)}
                )
            if expire_at is DEFAULT:
                expire_at = default_expiry(current.token_type, parent, now)
            carried: dict[str, Any] = {field: getattr(current, field) for field in CARRIED}
            successor, secret = model._default_manager.db_manager(using).provision(
                user, expire_at=expire_at, parent=parent, **carried
            )
            model._default_manager.using(using).filter(pk=successor.pk).update(previous=current)
            successor.previous = current
    except IntegrityError:
        # The unique index on previous: another rotation made the successor.
        raise NotRotatable(
            gettext("Only an active token can be rotated; this one was just rotated.")
        ) from None

    def rotated() -> None:
        token_rotated.send(sender=model, token=successor, previous=current, rotated_by=by)

    transaction.on_commit(rotated, using=using, robust=True)
    return successor, secret


def default_expiry(
    token_type: TokenType | None, parent: PersonalAccessToken | None, now: datetime
) -> datetime | None:
    """The type's default lifetime from now, capped at its maximum and at the
    parent's expiry; None (never) only where none of the three applies."""
    if token_type is None:
        # A type settings no longer define: provision() refuses it, naming it.
        return None
    candidates = [
        now + token_type.default_lifetime if token_type.default_lifetime else None,
        now + token_type.max_lifetime if token_type.max_lifetime else None,
        parent.expire_at if parent is not None else None,
    ]
    return min((when for when in candidates if when is not None), default=None)
