"""The token list's machinery, mixed into
:class:`~django_pat.admin.options.PersonalAccessTokenAdmin`: the order a
filter chooses, one bounded count per page (:mod:`.counting`) and a search
that indexes can serve (:mod:`.search`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from ..models import PersonalAccessToken
from .counting import BoundedCountPaginator
from .filters import ConditionFilter
from .search import search_tokens

if TYPE_CHECKING:
    TokenListingBase = admin.ModelAdmin[PersonalAccessToken]
else:
    TokenListingBase = object

__all__ = ["TokenChangeList", "TokenListing"]


class TokenListing(TokenListingBase):
    """The list's order, paging and search, for a ``ModelAdmin`` of tokens."""

    # What keeps the list as quick at a million tokens as at a thousand (see
    # README, "Performance"): one bounded count per page, no second count of
    # the whole table, and a search that indexes can serve (.search).
    paginator = BoundedCountPaginator
    list_count_limit = 10_000
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonalAccessToken]:
        return super().get_queryset(request).select_related("user")

    def get_ordering(self, request: HttpRequest) -> Any:
        # A filter on expiry lists its tokens by expiry (ConditionFilter.orderings).
        for spec in self.list_filter:
            if isinstance(spec, type) and issubclass(spec, ConditionFilter):
                value = request.GET.get(spec.parameter_name or "")
                if value in spec.orderings:
                    return spec.orderings[value]
        return super().get_ordering(request)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return TokenChangeList

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[PersonalAccessToken],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> BoundedCountPaginator:
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, limit=self.list_count_limit
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PersonalAccessToken], search_term: str
    ) -> tuple[QuerySet[PersonalAccessToken], bool]:
        # The owner's fields are looked up in the user table first (.search);
        # no field is multi-valued, so no row can appear twice.
        return search_tokens(queryset, self.get_search_fields(request), search_term), False

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        user_model = get_user_model()
        fields = ["user__" + user_model.USERNAME_FIELD]
        email = user_model.get_email_field_name()
        if email != user_model.USERNAME_FIELD and _has_field(user_model, email):
            fields.append("user__" + email)
        return [*fields, "name", "display_prefix"]


class TokenChangeList(ChangeList):
    """Django's change list, whose column headers show the order a filter
    chose (:meth:`PersonalAccessTokenAdmin.get_ordering`) as the one in use."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self._request = request
        super().__init__(request, *args, **kwargs)

    def _get_default_ordering(self) -> Any:
        return self.model_admin.get_ordering(self._request)


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True
