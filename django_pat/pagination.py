"""Optional ``?limit=&offset=`` paging that keeps the body a plain array.

DRF's ``LimitOffsetPagination``, with the page's neighbours in an RFC 8288
``Link`` header and the total in ``X-Total-Count``, as GitHub-style APIs do;
without ``limit``, the whole list (whatever ``PAGE_SIZE`` says); a bad value
is a 400 naming it, where DRF would quietly use a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = ["LinkHeaderPagination"]


def _integer(request: Request, name: str, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        # ASCII digits only: int() would also take " 2" and full-width digits.
        if not raw.isascii() or not raw.isdigit():
            raise ValueError
        value = int(raw)
        if not low <= value <= high:
            raise ValueError
    except ValueError:
        raise exceptions.ValidationError(
            {
                name: [
                    gettext("%(value)s is not a whole number from %(low)d to %(high)d.")
                    % {"value": repr(raw), "low": low, "high": high}
                ]
            }
        ) from None
    return value


class LinkHeaderPagination(LimitOffsetPagination):
    default_limit = None
    max_limit = 1000
    # Beyond any real list, and within every database's integer range.
    max_offset = 2**31 - 1
    template = None

    def get_limit(self, request: Request) -> int | None:
        return _integer(request, self.limit_query_param, 1, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return _integer(request, self.offset_query_param, 0, self.max_offset) or 0

    def paginate_queryset(
        self,
        queryset: QuerySet[Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        params = request.query_params
        if self.limit_query_param not in params and self.offset_query_param in params:
            self.get_offset(request)  # a bad value is named as such
            raise exceptions.ValidationError(
                {self.offset_query_param: [gettext("offset needs a limit.")]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        links = [
            f'<{url}>; rel="{rel}"'
            for url, rel in ((self.get_next_link(), "next"), (self.get_previous_link(), "prev"))
            if url is not None
        ]
        headers = {"X-Total-Count": str(self.count)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Page size, 1 to {self.max_limit}; adds Link and X-Total-Count.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "How many tokens to skip; needs limit.",
                "schema": {"type": "integer", "minimum": 0, "maximum": self.max_offset},
            },
        ]
