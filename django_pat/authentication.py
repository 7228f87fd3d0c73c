"""Django REST framework authentication with personal access tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from .exceptions import ServiceUnavailable
from .verification import (
    KEYWORD,
    Presented,
    TokenRejected,
    authenticate_request,
    presented_token,
    settle_use,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from rest_framework.request import Request

    from .models import PersonalAccessToken

__all__ = ["PersonalAccessTokenAuthentication"]


class PersonalAccessTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``; ``keyword`` names the scheme, as on
    DRF's ``TokenAuthentication`` (the middleware and the backend read
    ``Bearer``).

    A Bearer value without this site's prefix is left to the next
    authentication class. A value with it either authenticates (``request.user``
    is the owner, ``request.auth`` the :class:`PersonalAccessToken`) or fails:
    401 for any invalid token, 403 when a valid token is used from an address
    or with a method it does not allow, 503 (with ``Retry-After``) when the
    database could not be asked: the request is then not authenticated, and
    no later class is tried.
    """

    keyword = KEYWORD
    realm = "api"

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, PersonalAccessToken] | None:
        presented = presented_token(request, self.keyword)
        if presented is None:
            return None
        view = (request.parser_context or {}).get("view")
        token = _already_authenticated(request, presented)
        if token is not None:
            if token.use_pending and view is not None:
                _settle_use_when_permitted(view, token, request)
            return token.user, token
        try:
            token = authenticate_request(request, presented, defer_use=view is not None)
        except TokenRejected as rejection:
            if rejection.status == 503:
                raise ServiceUnavailable(rejection.message) from None
            if rejection.status == 403:
                raise exceptions.PermissionDenied(rejection.message) from None
            raise exceptions.AuthenticationFailed(rejection.message) from None
        if token.use_pending:
            _settle_use_when_permitted(view, token, request)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        """For a 401: RFC 6750's ``error="invalid_token"`` when the request
        presented a Bearer token (which did not authenticate it), and no
        error when it presented none."""
        header = f'{self.keyword} realm="{self.realm}"'
        scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == self.keyword.lower() and value.strip():
            header += ', error="invalid_token"'
        return header


def _already_authenticated(request: Request, presented: Presented) -> PersonalAccessToken | None:
    """The token the middleware authenticated this same request with, if it did:
    the same rules gave their answer already, so no second query."""
    token = getattr(request, "personal_access_token", None)
    if token is not None and token.digest == presented.digest:
        return token
    return None


def _settle_use_when_permitted(view: Any, token: PersonalAccessToken, request: Request) -> None:
    """Record the token's use once the view's permissions pass (a scope the
    token lacks, a project's permission, composed or not: a refusal never
    counts), before its handler runs, so that what it answers shows the use.
    A database that fails here is the view's 503, as in authentication. The
    view instance is this request's own."""
    check_permissions = view.check_permissions

    def checked(*args: Any, **kwargs: Any) -> None:
        check_permissions(*args, **kwargs)
        settle_use(token, request, refused=False)

    view.check_permissions = checked
