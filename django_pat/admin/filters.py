"""The token list's filters: status and type, by the model's own rules, and
moments (created, expiry, last use) relative to now. ``OwnerFilter`` is set
by the links in the owner column.

Each filter names its choices' conditions once (:meth:`ConditionFilter.conditions`):
the list filters with them, and "Show counts" counts them all in one pass,
``COUNT(*) FILTER (WHERE …)``, instead of Django's subquery per choice
(``WHERE id IN (…)``, which PostgreSQL may run once per row). And the pass
reads at most the list's count limit of rows (:class:`BoundedFacets`).
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..conf import pat_settings
from ..lifecycle import dormant_q
from ..models import PersonalAccessTokenQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from .facets import BoundedFacets

__all__ = [
    "BoundedFacets",
    "ConditionFilter",
    "CreatedFilter",
    "ExpiryFilter",
    "LastUsedFilter",
    "OwnerFilter",
    "ScopeFilter",
    "StatusFilter",
    "TypeFilter",
]


class ConditionFilter(BoundedFacets, admin.SimpleListFilter):
    """A filter whose choices are conditions (``Q``), named once for both the
    list and its counts."""

    # value -> label, in the order shown.
    labels: dict[str, StrOrPromise] = {}
    # value -> the list's order while that choice is selected, where the
    # default (newest first) would make PostgreSQL walk past every newer token
    # to find the few it shows: tokens that expired, or expire soon, were made
    # long ago. (A column the user sorts by still comes first.)
    orderings: dict[str, tuple[str, ...]] = {}

    def conditions(self, now: datetime) -> dict[str, Q]:
        """Each choice's condition at the moment ``now``."""
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return list(self.labels.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = self.conditions(timezone.now()).get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset

    def get_facet_counts(self, pk_attname: str, filtered_qs: QuerySet[Any]) -> dict[str, Any]:
        conditions = self.conditions(timezone.now())
        return {
            f"{index}__c": Count(pk_attname, filter=conditions[value])
            for index, (value, _label) in enumerate(self.lookup_choices)
            if value in conditions
        }


class StatusFilter(ConditionFilter):
    title = _("status")
    parameter_name = "status"
    orderings = {"expired": ("-expire_at",)}
    labels = {
        "active": _("Active"),
        "revoked": _("Revoked"),
        "expired": _("Expired"),
        "inactive": _("Not active, for any reason"),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        choices = list(self.labels.items())
        dormant_after = pat_settings.lifecycle.dormant_after
        if dormant_after is not None:
            # Offered while dormancy is on (DORMANT_AFTER_DAYS).
            choices.insert(
                3,
                (
                    "dormant",
                    ngettext(
                        "Dormant: unused for %(days)d day",
                        "Dormant: unused for %(days)d days",
                        dormant_after.days,
                    )
                    % {"days": dormant_after.days},
                ),
            )
        return choices

    def conditions(self, now: datetime) -> dict[str, Q]:
        # The rules of PersonalAccessTokenQuerySet: active(), revoked(),
        # expired(), dormant() and inactive(), as conditions (tests hold them equal).
        active = PersonalAccessTokenQuerySet._active_q(now)
        found = {
            "active": active,
            "revoked": Q(revoked_at__isnull=False),
            "expired": Q(revoked_at__isnull=True, expire_at__lte=now),
            "inactive": ~active,
        }
        unused = dormant_q(now)
        if unused is not None:
            live = Q(revoked_at__isnull=True) & (Q(expire_at__isnull=True) | Q(expire_at__gt=now))
            found["dormant"] = live & unused
        return found


class TypeFilter(ConditionFilter):
    title = _("type")
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [(name, name) for name in pat_settings.types]

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {name: Q(type=name) for name in pat_settings.types}


class CreatedFilter(BoundedFacets, admin.DateFieldListFilter):
    """Django's date filter (today, past 7 days, this month, this year), with
    bounded "Show counts"."""


class ExpiryFilter(ConditionFilter):
    title = _("expiry")
    parameter_name = "expires"
    orderings = {"7d": ("expire_at",), "30d": ("expire_at",), "past": ("-expire_at",)}
    labels = {
        "7d": _("In the next 7 days"),
        "30d": _("In the next 30 days"),
        "past": _("Already passed"),
        "never": _("Never"),
    }

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            "7d": Q(expire_at__gt=now, expire_at__lte=now + timedelta(days=7)),
            "30d": Q(expire_at__gt=now, expire_at__lte=now + timedelta(days=30)),
            "past": Q(expire_at__lte=now),
            "never": Q(expire_at__isnull=True),
        }


class LastUsedFilter(ConditionFilter):
    title = _("last used")
    parameter_name = "used"
    # Oldest first: long unused tokens are old ones (last_used_at has no index,
    # so that recording a use stays a cheap update).
    orderings = {"stale": ("created_at", "id")}
    labels = {
        "7d": _("In the last 7 days"),
        "stale": _("Not in the last 90 days"),
        "never": _("Never"),
    }

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            "7d": Q(last_used_at__gte=now - timedelta(days=7)),
            "stale": Q(last_used_at__lt=now - timedelta(days=90)),
            "never": Q(last_used_at__isnull=True),
        }


class OwnerFilter(ConditionFilter):
    """Shown only while set, by the links in the owner column."""

    title = _("owner")
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        value = self.value()
        if value is None:
            return []
        owner = self._owner()
        # Shown even for no such user: a filter with no choices is not applied.
        return [(value, owner.get_username() if owner is not None else gettext("no such user"))]

    def conditions(self, now: datetime) -> dict[str, Q]:
        value = self.value()
        if value is None:
            return {}
        owner = self._owner()
        # Every token has an owner: an owner that is no user shows no token.
        return {value: Q(user=owner) if owner is not None else Q(user__isnull=True)}

    def _owner(self) -> Any:
        if not hasattr(self, "_cached_owner"):
            self._cached_owner = None
            if self.value() is not None:
                users = get_user_model()._default_manager
                with contextlib.suppress(ValidationError, ValueError, TypeError):
                    self._cached_owner = users.filter(pk=self.value()).first()
        return self._cached_owner


class ScopeFilter(ConditionFilter):
    """Tokens not restricted by scope, restricted to none, or having a scope."""

    title = _("scope")
    parameter_name = "scope"
    # Not scope names: a name starts with a letter, these with a dash.
    UNRESTRICTED = "-any"
    NONE = "-none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [
            (self.UNRESTRICTED, gettext("Not restricted by scope")),
            (self.NONE, gettext("No scope at all")),
            *((name, name) for name in pat_settings.scopes),
        ]

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            self.UNRESTRICTED: Q(scopes__isnull=True),
            self.NONE: Q(scopes=[]),
            **{name: Q(scopes__has_scope=name) for name in pat_settings.scopes},
        }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        # A name no longer configured still finds the tokens that have it.
        condition = self.conditions(timezone.now()).get(value, Q(scopes__has_scope=value))
        return queryset.filter(condition)
