"""The token list's filters: status and type, by the model's own rules, and
moments (expiry, last use) relative to now. ``OwnerFilter`` is set by the
links in the owner column."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ..conf import pat_settings
from ..models import PersonalAccessTokenQuerySet

__all__ = ["ExpiryFilter", "LastUsedFilter", "OwnerFilter", "StatusFilter", "TypeFilter"]


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        choices = [
            ("active", "Active"),
            ("revoked", "Revoked"),
            ("expired", "Expired"),
            ("inactive", "Not active, for any reason"),
        ]
        dormant_after = pat_settings.lifecycle.dormant_after
        if dormant_after is not None:
            # Offered while dormancy is on (DORMANT_AFTER_DAYS).
            choices.insert(3, ("dormant", f"Dormant: unused for {dormant_after.days} days"))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # The admin hands on querysets of the model's default manager.
        tokens = cast(PersonalAccessTokenQuerySet, queryset)
        rules = {
            "active": tokens.active,
            "revoked": tokens.revoked,
            "expired": tokens.expired,
            "inactive": tokens.inactive,
            "dormant": tokens.dormant,
        }
        rule = rules.get(self.value() or "")
        return rule() if rule is not None else queryset


class TypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in pat_settings.types]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(type=value) if value else queryset


class _TimeFilter(admin.SimpleListFilter):
    """A filter whose choices are conditions on a moment, relative to now."""

    # value -> label; ``conditions`` gives each value's Q for the current time.
    labels: dict[str, str] = {}

    def conditions(self, now: datetime) -> dict[str, Q]:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(self.labels.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = self.conditions(timezone.now()).get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


class ExpiryFilter(_TimeFilter):
    title = "expiry"
    parameter_name = "expires"
    labels = {
        "7d": "In the next 7 days",
        "30d": "In the next 30 days",
        "past": "Already passed",
        "never": "Never",
    }

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            "7d": Q(expire_at__gt=now, expire_at__lte=now + timedelta(days=7)),
            "30d": Q(expire_at__gt=now, expire_at__lte=now + timedelta(days=30)),
            "past": Q(expire_at__lte=now),
            "never": Q(expire_at__isnull=True),
        }


class LastUsedFilter(_TimeFilter):
    title = "last used"
    parameter_name = "used"
    labels = {
        "7d": "In the last 7 days",
        "stale": "Not in the last 90 days",
        "never": "Never",
    }

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            "7d": Q(last_used_at__gte=now - timedelta(days=7)),
            "stale": Q(last_used_at__lt=now - timedelta(days=90)),
            "never": Q(last_used_at__isnull=True),
        }


class OwnerFilter(admin.SimpleListFilter):
    """Shown only while set, by the links in the owner column."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if value is None:
            return []
        owner = self._owner()
        # Shown even for no such user: a filter with no choices is not applied.
        return [(value, owner.get_username() if owner is not None else "no such user")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        owner = self._owner()
        return queryset.filter(user=owner) if owner is not None else queryset.none()

    def _owner(self) -> Any:
        if not hasattr(self, "_cached_owner"):
            self._cached_owner = None
            if self.value() is not None:
                users = get_user_model()._default_manager
                with contextlib.suppress(ValidationError, ValueError, TypeError):
                    self._cached_owner = users.filter(pk=self.value()).first()
        return self._cached_owner
