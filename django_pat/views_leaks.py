"""``POST credentials/revoke``: anyone who finds a token where it should not
be can have it revoked (CONTRACT 9.5).

No authentication and no CSRF token: a finder has neither. An
``Authorization`` header is never read. Every well-formed body is answered
202 with the same message, whether or not anything matched, and costs the
same queries either way (:func:`django_pat.leaks.revoke_leaked`). Each client
address may ask ``DJANGO_PAT["LEAK_REPORT_RATE"]`` times (default 60 an
hour); every request counts, a 400 too.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from .client_ip import client_ip
from .conf import pat_settings
from .conf_leaks import parse_rate
from .exceptions import ServiceUnavailable, exception_handler
from .leaks import MAX_VALUE_LENGTH, MAX_VALUES, revoke_leaked
from .parsers import LargeJSONParser
from .serializer_fields import _json_kind
from .views_schema import leak_report_schema

__all__ = ["LeakReportThrottle", "LeakReportView"]

logger = logging.getLogger("django_pat")

KEY = "credentials"


class LeakReportThrottle(SimpleRateThrottle):
    """``DJANGO_PAT["LEAK_REPORT_RATE"]`` requests per client address (section
    8's address; an IPv6 client by its /64, which one host usually holds
    whole). A cache that cannot count is a 503: the endpoint fails closed."""

    scope = "django_pat_leak_report"

    def get_rate(self) -> str | None:
        return pat_settings.leaks.report_rate

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        # DRF's parser takes any word after the slash; ours is checked at start-up.
        return (None, None) if rate is None else parse_rate(rate) or (None, None)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        address = client_ip(request)
        if address is None:
            ident = "unknown"
        elif address.version == 6:
            ident = str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
        else:
            ident = str(address)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:
            logger.error("django_pat: the leak report throttle's cache failed", exc_info=error)
            raise ServiceUnavailable() from None


class LeakReportParser(LargeJSONParser):
    # A thousand values of 256 characters, each a \uXXXX\uXXXX surrogate
    # pair at worst: about 3 MB, past Django's default 2.5 MB for a body.
    max_bytes = MAX_VALUES * (MAX_VALUE_LENGTH * 12 + 4) + 1024


class LeakReportView(APIView):
    """Revoke tokens found where they should not be."""

    authentication_classes = ()
    # PersonalAccessTokenMiddleware lets a refused token through to it.
    ignores_credentials = True
    permission_classes = (AllowAny,)
    throttle_classes = (LeakReportThrottle,)
    parser_classes = (LeakReportParser,)
    renderer_classes = (JSONRenderer,)

    message = gettext_lazy(
        "Thank you. Any of these that is a token of this site is revoked, and its owner told."
    )

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler

    @leak_report_schema
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        revoke_leaked(credentials(request.data))
        return Response(
            {"message": str(self.message), "status": status.HTTP_202_ACCEPTED},
            status=status.HTTP_202_ACCEPTED,
        )


def credentials(body: Any) -> list[str]:
    """The values of a body ``{"credentials": [...]}``: 1 to 1000 strings of
    at most 256 characters. Anything else is a 400 naming what is wrong."""
    if not isinstance(body, dict):
        raise exceptions.ValidationError(
            gettext('The body must be a JSON object: {"credentials": ["..."]}.')
        )
    extra = sorted(set(body) - {KEY})
    if extra:
        raise exceptions.ValidationError(
            {name: [gettext("Unknown field; only credentials is allowed.")] for name in extra}
        )
    if KEY not in body:
        raise exceptions.ValidationError({KEY: [gettext("This field is required.")]})
    values = body[KEY]
    problem: str | None
    if not isinstance(values, list):
        problem = gettext("Must be an array of strings, not %(kind)s.") % {
            "kind": "a string" if isinstance(values, str) else _json_kind(values)
        }
    elif not values:
        problem = gettext("Must list at least one value.")
    elif len(values) > MAX_VALUES:
        problem = gettext("Must list at most %(most)d values, not %(count)d.") % {
            "most": MAX_VALUES,
            "count": len(values),
        }
    else:
        problem = _entry_problem(values)
    if problem:
        raise exceptions.ValidationError({KEY: [problem]})
    return values


def _entry_problem(values: list[Any]) -> str | None:
    for index, value in enumerate(values):
        if not isinstance(value, str):
            return gettext("Entry %(index)d is %(kind)s, not a string.") % {
                "index": index,
                "kind": _json_kind(value),
            }
        if len(value) > MAX_VALUE_LENGTH:
            return gettext("Entry %(index)d is longer than %(most)d characters.") % {
                "index": index,
                "most": MAX_VALUE_LENGTH,
            }
    return None
