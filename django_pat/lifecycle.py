"""A token's life: the states it reads as, why it was revoked, and when it
goes dormant.

The rules are written once here, for a loaded token (:func:`state_of`,
:func:`is_dormant`) and for the database (:func:`dormant_q`), and the model
and its queryset name them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .conf import pat_settings
from .users import user_can_authenticate

if TYPE_CHECKING:
    from .models import PersonalAccessToken

__all__ = ["STATES", "RevokedReason", "dormancy_cutoff", "dormant_q", "is_dormant", "state_of"]

# What ``state`` reads; "active" exactly when the token authenticates.
STATES = ("active", "revoked", "expired", "dormant")


class RevokedReason(models.TextChoices):
    """Why a token was revoked (``revoked_reason``; ``revokedReason`` in the API)."""

    OWNER = "owner", _("by its owner")
    STAFF = "staff", _("by staff")
    ROTATED = "rotated", _("replaced by rotation")
    LEAKED = "leaked", _("reported as leaked")
    # Revoked because of a change to its user's account: deactivation
    # (REVOKE_ON_USER_DEACTIVATION) or a new password (REVOKE_ON_PASSWORD_CHANGE).
    USER_DEACTIVATED = "user_deactivated", _("its user's account changed")
    COMMAND = "command", _("by a management command")


def dormancy_cutoff(now: datetime) -> datetime | None:
    """A token whose last use (or, never used, its creation) is no later than
    this is dormant; None while dormancy is off."""
    after = pat_settings.lifecycle.dormant_after
    return None if after is None else now - after


def is_dormant(token: PersonalAccessToken, now: datetime) -> bool:
    """Whether ``token`` went unused too long. Reads only the token's own
    columns: checking it costs no query."""
    cutoff = dormancy_cutoff(now)
    return cutoff is not None and (token.last_used_at or token.created_at) <= cutoff


def dormant_q(now: datetime) -> Q | None:
    """The database's side of :func:`is_dormant`; None while dormancy is off."""
    cutoff = dormancy_cutoff(now)
    if cutoff is None:
        return None
    return Q(last_used_at__lte=cutoff) | Q(last_used_at__isnull=True, created_at__lte=cutoff)


def state_of(token: PersonalAccessToken, now: datetime) -> str:
    """One of :data:`STATES`: revoked, else expired, else dormant, else active.

    A token of a deactivated user reads ``dormant``: it does not authenticate,
    was neither revoked nor expired, and works again if the user is
    reactivated (unless ``REVOKE_ON_USER_DEACTIVATION`` revoked it).
    """
    if token.revoked_at is not None:
        return "revoked"
    if token.is_expired(now):
        return "expired"
    if is_dormant(token, now) or not user_can_authenticate(token.user):
        return "dormant"
    return "active"
