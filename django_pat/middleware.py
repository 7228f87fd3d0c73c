"""``Authorization: Bearer <token>`` for every view, DRF or not.

Put :class:`PersonalAccessTokenMiddleware` after Django's
``AuthenticationMiddleware`` (the system check ``django_pat.E002`` says so
when it is not). For a request whose Bearer value carries this site's prefix:

* a token that authenticates sets ``request.user`` (and ``request.auser``) to
  its owner and ``request.personal_access_token`` to the token; the request
  is exempt from CSRF checks, since a browser never attaches an
  ``Authorization`` header on its own (CSRF protects ambient credentials,
  cookies, and those still get it);
* a refused token is answered at once, with the API's JSON error body: 401
  with the one generic message and ``WWW-Authenticate: Bearer realm="api",
  error="invalid_token"`` for a token
  that is malformed, unknown, revoked or expired (or whose user is
  inactive); 403 naming the reason for a valid token used from an address
  outside its restriction or with a method its type does not allow; 503
  with ``Retry-After`` when the database could not be asked (refused, timed
  out, out of connections). The view never runs, so it cannot treat the
  client as anonymous by mistake.

Requests without such a header pass through untouched: a session, another
scheme's Bearer value, or no credentials at all. The rules are
:func:`django_pat.verification.authenticate_request`'s, the same as for the
DRF class; when both are installed, the DRF class reuses this middleware's
answer instead of asking the database again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve

from .exceptions import RETRY_AFTER, error_body
from .verification import (
    KEYWORD,
    TokenRejected,
    authenticate_request,
    presented_token,
    settle_use_after_answer,
)

if TYPE_CHECKING:
    from .models import PersonalAccessToken

__all__ = ["PersonalAccessTokenMiddleware", "refusal_response"]

# A refused token is always one the request presented (RFC 6750's invalid_token).
WWW_AUTHENTICATE = f'{KEYWORD} realm="api", error="invalid_token"'


def refusal_response(rejection: TokenRejected) -> JsonResponse:
    """The JSON 401, 403 or 503 for a refused token, as the API answers it."""
    response = JsonResponse(
        error_body(str(rejection.message), rejection.status), status=rejection.status
    )
    if rejection.status == 401:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    elif rejection.status == 503:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def _authenticated(request: HttpRequest, token: PersonalAccessToken) -> None:
    user = token.user

    async def auser() -> Any:
        return user

    request.user = user
    request.auser = auser
    request.personal_access_token = token  # type: ignore[attr-defined]
    # Read by CsrfViewMiddleware.process_view (and DRF's SessionAuthentication),
    # which run after this: a Bearer header is not an ambient credential.
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]


class PersonalAccessTokenMiddleware:
    """Authenticates requests that carry one of this site's tokens."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        presented = presented_token(request)
        if presented is None or _ignores_credentials(request):
            return self.get_response(request)
        try:
            token = authenticate_request(request, presented, defer_use=True)
        except TokenRejected as rejection:
            return refusal_response(rejection)
        _authenticated(request, token)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)
        settle_use_after_answer(token, request, response.status_code)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        presented = presented_token(request)
        token = None
        if presented is not None and not _ignores_credentials(request):
            try:
                # The query runs in a thread: the event loop must not block.
                # What crosses into it (and sits in asgiref's frames) is the
                # digest, not the secret.
                token = await sync_to_async(authenticate_request)(
                    request, presented, defer_use=True
                )
            except TokenRejected as rejection:
                return refusal_response(rejection)
            _authenticated(request, token)
        pending = self.get_response(request)
        assert isinstance(pending, Awaitable)
        response: HttpResponseBase = await pending
        if token is not None and token.use_pending:
            await sync_to_async(settle_use_after_answer)(token, request, response.status_code)
        return response


# The paths of the views that read no credentials, as django_pat.urls names them.
_PUBLIC_PATHS = ("/credentials/revoke", "/credentials/github-secret-scanning")


def _ignores_credentials(request: HttpRequest) -> bool:
    """Whether the request is for a view that reads no credentials at all
    (its class says ``ignores_credentials``, as ``credentials/revoke``'s
    does): the header is then neither checked nor counted as a use. Only a
    path ending as theirs do is resolved, so other requests pay nothing."""
    if not request.path_info.rstrip("/").endswith(_PUBLIC_PATHS):
        return False
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    view = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    return bool(getattr(view, "ignores_credentials", False))
