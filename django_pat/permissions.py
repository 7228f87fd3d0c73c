"""Scopes enforced: a DRF permission class and a decorator for plain views.

A view names what it needs in ``required_scopes``: a list of scope names, all
required, or a dict from HTTP method to such a list::

    class PackageView(APIView):
        permission_classes = [IsAuthenticated, HasRequiredScopes]
        required_scopes = {"GET": ["packages:read"], "PUT": ["packages:write"]}

    @scopes_required(["packages:read"])
    def package_list(request): ...

The rule is the same for both: a request authenticated with a personal
access token whose scopes are restricted must have every scope the view
requires for its method; a method a dict leaves out is closed to such tokens
(HEAD takes GET's entry). Anything else passes through to the view's other
checks: a token not restricted by scope, a session, another scheme, no
credentials at all. A token lacking a scope gets a 403 with the error body
naming the missing scopes and ``WWW-Authenticate: Bearer
error="insufficient_scope", scope="<required, space-separated>"`` (RFC 6750).

Checking costs no query: the scopes came with the token's row. A view whose
``required_scopes`` names a scope the settings do not define is a
programming error, raised as ``ImproperlyConfigured`` on every request to
it, whoever asks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils.translation import gettext, ngettext
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .conf import pat_settings
from .exceptions import error_body
from .models import PersonalAccessToken
from .scopes import RequiredScopes, missing, required_for, required_problem, shape_problem
from .verification import KEYWORD

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = [
    "HasRequiredScopes",
    "InsufficientScope",
    "authenticating_token",
    "refusal",
    "required_scopes_of",
    "scopes_required",
]


def authenticating_token(request: HttpRequest | Request) -> PersonalAccessToken | None:
    """The personal access token that authenticated ``request``, if one did:
    DRF's (``request.auth``), or the middleware's or the backend's
    (``request.personal_access_token``), which DRF's session class passes on
    as a session."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, PersonalAccessToken):
        return auth
    token = getattr(request, "personal_access_token", None)
    return token if isinstance(token, PersonalAccessToken) else None


def required_scopes_of(view: Any, request: HttpRequest | Request) -> RequiredScopes:
    """A DRF view's ``required_scopes``, or what its
    ``get_required_scopes(request)`` answers (for a rule an attribute cannot
    state), checked against the configured scopes."""
    getter = getattr(view, "get_required_scopes", None)
    required = getter(request) if getter is not None else getattr(view, "required_scopes", None)
    return _checked(type(view).__name__, required)


def _checked(owner: str, required: Any) -> RequiredScopes:
    if required is None:
        raise ImproperlyConfigured(
            f"{owner} uses django_pat's scope check but has no required_scopes."
        )
    problem = required_problem(required, pat_settings.scopes)
    if problem is not None:
        raise ImproperlyConfigured(f"{owner}: {problem}")
    return required


class InsufficientScope(exceptions.PermissionDenied):
    """A 403 for a token that lacks a scope, with RFC 6750's header.

    ``required``: what the request needs, for the header's ``scope``;
    ``missing``: the part of it the token lacks, named in the message. Both
    empty: the method is closed to tokens restricted by scope.
    """

    default_code = "insufficient_scope"

    def __init__(self, required: list[str], missing: list[str], method: str) -> None:
        self.required = required
        self.missing = missing
        if missing:
            quoted = [repr(name) for name in missing]
            names = quoted[0]
            if len(quoted) > 1:
                names = gettext("%(names)s and %(last)s") % {
                    "names": ", ".join(quoted[:-1]),
                    "last": quoted[-1],
                }
            message = ngettext(
                "This token lacks the scope %(names)s, which this request needs.",
                "This token lacks the scopes %(names)s, which this request needs.",
                len(missing),
            ) % {"names": names}
        else:
            message = gettext("No token restricted by scope may make %(method)s requests here.") % {
                "method": method
            }
        super().__init__(message)
        # DRF's exception handler sends this as WWW-Authenticate.
        self.auth_header = insufficient_scope_header(required)


def insufficient_scope_header(required: list[str]) -> str:
    header = f'{KEYWORD} error="insufficient_scope"'
    return f'{header}, scope="{" ".join(sorted(required))}"' if required else header


def check(request: HttpRequest | Request, required_scopes: RequiredScopes) -> None:
    """Raise :class:`InsufficientScope` unless the request's token, if any,
    has what ``required_scopes`` asks for its method."""
    token = authenticating_token(request)
    if token is None or token.scopes is None:
        return
    method = request.method or ""
    required = required_for(required_scopes, method)
    if required is None:
        raise InsufficientScope([], [], method)
    lacking = missing(token.scopes, required)
    if lacking:
        raise InsufficientScope(required, lacking, method)


class HasRequiredScopes(BasePermission):
    """DRF: the request's token has the scopes the view's ``required_scopes``
    asks for (see the module's docstring). Put it after ``IsAuthenticated``,
    so that a request without credentials is a 401, not a pass."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        required = required_scopes_of(view, request)
        # A method the view does not answer is DRF's 405, not a scope's 403
        # (DRF's own test, as APIView.dispatch makes it).
        handler = (request.method or "").lower()
        if handler not in view.http_method_names or not hasattr(view, handler):
            return True
        check(request, required)
        return True


def refusal(error: InsufficientScope) -> JsonResponse:
    """The 403 a plain view answers for ``error``, as the API would."""
    response = JsonResponse(error_body(str(error.detail), 403), status=403)
    response["WWW-Authenticate"] = error.auth_header
    return response


def scopes_required(required_scopes: RequiredScopes) -> Callable[[Any], Any]:
    """Decorate a plain Django view (sync or async) with the scope check.

    The token is the one the middleware (or the backend) put on the request
    as ``request.personal_access_token``; without one, the view runs as it
    would have. Combine with ``login_required`` for views that need a user.
    """
    # The shape is checked at once; the names on each request, against the
    # settings of the moment (tests override them).
    problem = shape_problem(required_scopes)
    if problem is not None:
        raise ImproperlyConfigured(problem)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        owner = getattr(view, "__qualname__", repr(view))

        def checked(request: HttpRequest) -> JsonResponse | None:
            try:
                check(request, _checked(owner, required_scopes))
            except InsufficientScope as error:
                return refusal(error)
            return None

        if iscoroutinefunction(view):

            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                refused = checked(request)
                if refused is not None:
                    return refused
                return await view(request, *args, **kwargs)

            wrapper: Callable[..., Any] = async_wrapper
            markcoroutinefunction(wrapper)
        else:

            def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
                refused = checked(request)
                if refused is not None:
                    return refused
                response: HttpResponseBase = view(request, *args, **kwargs)
                return response

        wrapped = functools.wraps(view)(wrapper)
        wrapped.required_scopes = required_scopes  # type: ignore[attr-defined]
        return wrapped

    return decorator
