"""Bounded "Show counts" for the token list's filters: every filter not in
use counted in one pass over the list as shown, and no pass reading more
than the list's count limit of rows (:mod:`.counting`). The filters
themselves are in :mod:`.filters`, which re-exports :class:`BoundedFacets`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.filters import FacetsMixin
from django.db.models import QuerySet
from django.http import HttpRequest

from .counting import (
    BoundedCountPaginator,
    RowCount,
    can_estimate,
    count_rows,
    planner_estimate,
)

__all__ = ["DEFAULT_COUNT_LIMIT", "BoundedFacets"]

# The count limit of a list whose admin does not set list_count_limit.
DEFAULT_COUNT_LIMIT = 10_000


class BoundedFacets(FacetsMixin):
    """The counts of "Show counts", reading at most ``list_count_limit + 1`` rows.

    A filter's counts are taken over the list as the other filters and the
    search leave it. When that holds at most the limit, they are exact, in
    one pass; beyond it, on PostgreSQL, each is the planner's estimate
    ("about 48,000"), which reads no rows; elsewhere, still exact, in one
    pass over the whole list.

    The filters not in use all count over the list as it is shown: their
    counts are taken together, in one pass for them all, and that list's
    size is the one its paginator counted. A filter in use counts over the
    list without its own choice, alone.
    """

    request: HttpRequest
    used_parameters: dict[str, Any]

    def get_facet_queryset(self, changelist: Any) -> dict[str, Any]:
        if not self.used_parameters:
            return _unused_filters_counts(changelist)[_key(self)]
        filtered = changelist.get_queryset(
            self.request,
            exclude_parameters=self.expected_parameters(),  # type: ignore[attr-defined]
        )
        counts = self.get_facet_counts(changelist.pk_attname, filtered)
        total = count_rows(filtered, _limit(changelist))
        return _counted(filtered, counts, total)


def _limit(changelist: Any) -> int:
    return int(getattr(changelist.model_admin, "list_count_limit", DEFAULT_COUNT_LIMIT))


def _key(spec: Any) -> tuple[Any, ...]:
    # Not the instance: the change list makes its filters anew each time it
    # builds a queryset, counting included.
    return (type(spec), *spec.expected_parameters())


def _unused_filters_counts(changelist: Any) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The counts of every filter not in use, by filter, taken once per page."""
    found: dict[tuple[Any, ...], dict[str, Any]] | None = getattr(
        changelist, "_pat_unused_counts", None
    )
    if found is not None:
        return found
    shown = changelist.queryset
    unused = [
        spec
        for spec in changelist.filter_specs
        if isinstance(spec, BoundedFacets) and not spec.used_parameters
    ]
    counts = {
        f"f{index}_{key}": aggregate
        for index, spec in enumerate(unused)
        for key, aggregate in spec.get_facet_counts(changelist.pk_attname, shown).items()
    }
    paginator = getattr(changelist, "paginator", None)
    if isinstance(paginator, BoundedCountPaginator) and paginator.queryset is shown:
        total = paginator.counted
    else:
        total = count_rows(shown, _limit(changelist))
    counted = _counted(shown, counts, total) if counts else {}
    found = {
        _key(spec): {
            key.removeprefix(f"f{index}_"): value
            for key, value in counted.items()
            if key.startswith(f"f{index}_")
        }
        for index, spec in enumerate(unused)
    }
    changelist._pat_unused_counts = found
    return found


def _counted(queryset: QuerySet[Any], counts: dict[str, Any], total: RowCount) -> dict[str, Any]:
    """``counts`` (aggregates with a filter each) of ``queryset``, which has
    ``total`` rows: in one pass, or estimated where that is past the limit."""
    if total.exact or not can_estimate(queryset):
        return queryset.aggregate(**counts)
    estimates = {}
    for key, aggregate in counts.items():
        # Django 6 wraps the condition (AggregateFilter); 5.2 keeps it as given.
        condition = getattr(aggregate.filter, "condition", aggregate.filter)
        estimate = planner_estimate(queryset if condition is None else queryset.filter(condition))
        estimates[key] = RowCount(estimate or 0, exact=False)
    return estimates
