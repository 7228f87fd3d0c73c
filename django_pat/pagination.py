"""Optional ``?limit=&offset=`` paging that keeps the body a plain array.

The page's neighbours go in an RFC 8288 ``Link`` header and the total in
``X-Total-Count``, as GitHub-style APIs do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

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
            {name: [f"{raw!r} is not a whole number from {low} to {high}."]}
        ) from None
    return value


class LinkHeaderPagination(BasePagination):
    limit_query_param = "limit"
    offset_query_param = "offset"
    max_limit = 1000
    # Beyond any real list, and within every database's integer range.
    max_offset = 2**31 - 1

    def paginate_queryset(
        self,
        queryset: QuerySet[Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        limit = _integer(request, self.limit_query_param, 1, self.max_limit)
        offset = _integer(request, self.offset_query_param, 0, self.max_offset)
        if limit is None:
            if offset is not None:
                raise exceptions.ValidationError(
                    {self.offset_query_param: ["offset needs a limit."]}
                )
            return None
        self.request = request
        self.limit, self.offset = limit, offset or 0
        self.count = len(queryset) if isinstance(queryset, Sequence) else queryset.count()
        return list(queryset[self.offset : self.offset + self.limit])

    def _link(self, offset: int, rel: str) -> str:
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        if offset:
            url = replace_query_param(url, self.offset_query_param, offset)
        else:
            url = remove_query_param(url, self.offset_query_param)
        return f'<{url}>; rel="{rel}"'

    def get_paginated_response(self, data: Any) -> Response:
        links = []
        if self.offset + self.limit < self.count:
            links.append(self._link(self.offset + self.limit, "next"))
        if self.offset > 0:
            links.append(self._link(max(self.offset - self.limit, 0), "prev"))
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
