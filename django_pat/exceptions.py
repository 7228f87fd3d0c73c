"""The error body of every response under the endpoints:
``{"message": "...", "status": 400, "errors": {"field": ["..."]}}``.

And what a database that cannot be reached, or a cache that refuses a
tombstone, becomes: a 503 with that body and ``Retry-After``, never a request
let through, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

__all__ = [
    "DATABASE_UNAVAILABLE",
    "MAX_BODY_BYTES",
    "RETRY_AFTER",
    "UNAVAILABLE_MESSAGE",
    "CacheUnavailable",
    "RequestTooLarge",
    "ServiceUnavailable",
    "error_body",
    "exception_handler",
    "not_found",
]

logger = logging.getLogger("django_pat")

NON_FIELD_KEY = "non_field_errors"

# Django's classes for a database that failed, rather than a query that is
# wrong (a ProgrammingError, say, which stays a 500): a refused, timed out or
# dropped connection, too many clients, a server shutting down. Also what
# SQLite raises for a locked database.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# Seconds a client is asked to wait before trying again after a 503.
RETRY_AFTER = 5
UNAVAILABLE_MESSAGE = _("Service temporarily unavailable; try again later.")


class CacheUnavailable(Exception):
    """Cache mode's cache refused the tombstone a change needs first: the
    change was not made (a revocation must never commit while a cached entry
    could still let the token in)."""


# A provisioning request is well under 5 KB; 64 KB leaves room and no more.
MAX_BODY_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = format_lazy(
        _("Request body is larger than {size} bytes."), size=MAX_BODY_BYTES
    )
    default_code = "request_too_large"


class ServiceUnavailable(exceptions.APIException):
    """A 503 with ``Retry-After`` (DRF's handler sends ``wait`` as that header)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"
    wait = RETRY_AFTER


def error_body(
    message: str, status_code: int, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "status": status_code}
    if errors:
        body["errors"] = errors
    return body


def _validation_body(detail: Any, status_code: int) -> dict[str, Any]:
    if not isinstance(detail, dict):
        detail = {NON_FIELD_KEY: detail if isinstance(detail, list) else [detail]}
    errors = {str(field): [str(m) for m in messages] for field, messages in detail.items()}
    general = errors.pop(NON_FIELD_KEY, [])
    parts = general + [f"{field}: {messages[0]}" for field, messages in errors.items()]
    message = "; ".join(part.rstrip(".") for part in parts)
    if not message:
        return error_body(gettext("Invalid input."), status_code, errors)
    # One sentence: a question keeps its mark, anything else ends with a period.
    return error_body(message if message.endswith("?") else f"{message}.", status_code, errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's handler, with our body; a database that cannot be reached becomes
    a JSON 503 with ``Retry-After``, other unexpected errors a JSON 500."""
    # Imported here: rest_framework.views imports the authentication classes
    # named in settings, ours among them, which import this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DATABASE_UNAVAILABLE):
        request = context.get("request")
        logger.error(
            "Database unavailable in a personal access token view (%s %s); answered 503",
            getattr(request, "method", None),
            getattr(request, "path", None),
            exc_info=exc,
        )
        exc = ServiceUnavailable()
    elif isinstance(exc, CacheUnavailable):
        request = context.get("request")
        logger.error(
            "Cache unavailable in a personal access token view (%s %s); nothing "
            "changed, answered 503",
            getattr(request, "method", None),
            getattr(request, "path", None),
            exc_info=exc,
        )
        exc = ServiceUnavailable()
    elif isinstance(exc, Http404):
        # Django's message names the model ("No PersonalAccessToken matches
        # the given query.") and has no translation: DRF's own has both.
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        # Over Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which DRF reads the body
        # of a JSON request against before our parser sees it.
        exc = RequestTooLarge()
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error("Unhandled error in a personal access token view", exc_info=exc)
        # Lets the test client and error reporters see the exception as they
        # would for any other view.
        got_request_exception.send(sender=None, request=getattr(request, "_request", request))
        return Response(
            error_body(gettext("Internal server error."), 500),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc.detail, response.status_code)
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = error_body(str(detail) or response.status_text, response.status_code)
    return response


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """A JSON 404 for any other path under the endpoints' prefix, a malformed
    token id included. Exempt from CSRF, as DRF's views are: it changes
    nothing, and a session's DELETE must get this JSON 404, not Django's HTML
    403 page."""
    return JsonResponse(error_body(gettext("Not found."), 404), status=404)
