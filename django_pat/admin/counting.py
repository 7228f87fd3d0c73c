"""Counting the token list so that it costs the same at a thousand rows or a million.

Django's admin counts every row a list could show, on every page, and
counts the choices of each filter ("Show counts") with a pass over the
table each: at a million tokens, those counts are most of a page's time.
Here a count reads at most ``limit + 1`` rows (10,000 by default): exact up
to the limit, and beyond it the PostgreSQL planner's estimate, shown as
"about 480,000" (no rows read), or, where there is none (SQLite), "more
than 10,000". A list that long is read by filtering or searching it, not by
paging through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext

if TYPE_CHECKING:
    PaginatorBase = Paginator[Any]
else:
    PaginatorBase = Paginator

__all__ = [
    "BoundedCountPaginator",
    "RowCount",
    "can_estimate",
    "count_rows",
    "planner_estimate",
]


class RowCount:
    """A number of rows as the list shows it: exact (``42``), a lower bound
    (``more than 10,000``) or the planner's estimate (``about 480,000``)."""

    def __init__(self, value: int, *, exact: bool = True, lower_bound: bool = False) -> None:
        self.value = value
        self.exact = exact and not lower_bound
        self.lower_bound = lower_bound

    def __str__(self) -> str:
        if self.exact:
            return str(self.value)
        if self.lower_bound:
            return gettext("more than %(count)s") % {
                "count": number_format(self.value - 1, force_grouping=True)
            }
        return gettext("about %(count)s") % {
            "count": number_format(_rounded(self.value), force_grouping=True)
        }

    def __repr__(self) -> str:
        return f"<RowCount {self}>"


def count_rows(queryset: QuerySet[Any], limit: int) -> RowCount:
    """How many rows ``queryset`` has, reading at most ``limit + 1`` of them."""
    # COUNT(*) over a LIMITed subquery: the database stops at limit + 1 rows.
    bounded: int = queryset.order_by()[: limit + 1].count()
    if bounded <= limit:
        return RowCount(bounded)
    estimate = planner_estimate(queryset)
    # No estimate, or one below what was just counted (stale statistics, a
    # condition the planner cannot judge): only "more than" is known.
    if estimate is None or estimate <= limit:
        return RowCount(limit + 1, lower_bound=True)
    return RowCount(estimate, exact=False)


def planner_estimate(queryset: QuerySet[Any]) -> int | None:
    """The number of rows PostgreSQL's planner expects ``queryset`` to have,
    without reading them; None on other databases."""
    if not can_estimate(queryset):
        return None
    connection = connections[queryset.db]
    try:
        sql, params = queryset.order_by().query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def can_estimate(queryset: QuerySet[Any]) -> bool:
    """Whether :func:`planner_estimate` can estimate this queryset's rows."""
    return bool(connections[queryset.db].vendor == "postgresql")


class BoundedCountPaginator(PaginatorBase):
    """A paginator whose count reads at most ``limit + 1`` rows (see :func:`count_rows`).

    Where the count is not exact, :attr:`count` is the estimate (or
    ``limit + 1``), pages past it may still be asked for (one past the end is
    empty), and the page links end with an ellipsis instead of a last page.
    """

    def __init__(
        self,
        object_list: QuerySet[Any],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        *,
        limit: int = 10_000,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.queryset = object_list
        self.limit = limit

    @cached_property
    def counted(self) -> RowCount:
        return count_rows(self.queryset, self.limit)

    @cached_property
    def count(self) -> int:
        return self.counted.value

    @property
    def exact(self) -> bool:
        return self.counted.exact

    def validate_number(self, number: Any) -> int:
        if self.exact:
            return super().validate_number(number)
        # The last page is not known: any page from the first on may be asked for.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return int(number)

    def page(self, number: Any) -> Page[Any]:
        if self.exact:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(self.queryset[bottom : bottom + self.per_page], number, self)

    def get_elided_page_range(
        self, number: Any = 1, *, on_each_side: int = 3, on_ends: int = 2
    ) -> Iterator[Any]:
        if self.exact:
            yield from super().get_elided_page_range(
                number, on_each_side=on_each_side, on_ends=on_ends
            )
            return
        # The first pages, those around this one, and an ellipsis for the rest.
        number = self.validate_number(number)
        if number > 1 + on_each_side + on_ends + 1:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
            yield from range(number - on_each_side, number + on_each_side + 1)
        else:
            yield from range(1, number + on_each_side + 1)
        yield self.ELLIPSIS


def _rounded(number: int) -> int:
    """``number`` to two significant figures: an estimate claims no more."""
    step = 10 ** max(len(str(number)) - 2, 0)
    return round(number / step) * step
