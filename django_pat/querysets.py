"""The queryset of :class:`~django_pat.models.PersonalAccessToken`: names for
the rules about which tokens count, so that views, the admin and commands
never repeat a filter."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .lifecycle import dormant_q
from .users import _user_model_has_is_active_field

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from typing_extensions import Self

    from .models import PersonalAccessToken  # noqa: F401 (named, as a string, in the base class)

__all__ = ["PersonalAccessTokenQuerySet"]


class PersonalAccessTokenQuerySet(models.QuerySet["PersonalAccessToken"]):
    """Names for the rules about which tokens count."""

    def for_user(self, user: AbstractBaseUser) -> Self:
        return self.filter(user_id=user.pk)

    def active(self, now: datetime | None = None) -> Self:
        """Tokens that authenticate: not revoked, expired or dormant, user active."""
        return self.filter(self._active_q(now or timezone.now()))

    def inactive(self, now: datetime | None = None) -> Self:
        """Tokens that no longer authenticate, for any reason."""
        return self.exclude(self._active_q(now or timezone.now()))

    def revoked(self) -> Self:
        return self.filter(revoked_at__isnull=False)

    def expired(self, now: datetime | None = None) -> Self:
        """Tokens past their expiry that were not revoked first."""
        return self.filter(revoked_at__isnull=True, expire_at__lte=now or timezone.now())

    def dormant(self, now: datetime | None = None) -> Self:
        """Tokens neither revoked nor expired that went unused too long
        (``DORMANT_AFTER_DAYS``); none while dormancy is off."""
        now = now or timezone.now()
        unused = dormant_q(now)
        if unused is None:
            return self.none()
        live = Q(revoked_at__isnull=True) & (Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        return self.filter(live & unused)

    @staticmethod
    def _active_q(now: datetime) -> Q:
        q = Q(revoked_at__isnull=True) & (Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        if _user_model_has_is_active_field():
            q &= Q(user__is_active=True)
        unused = dormant_q(now)
        if unused is not None:
            q &= ~unused
        return q
