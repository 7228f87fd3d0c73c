"""Django REST framework authentication with personal access tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from . import tokens
from .verification import TokenRejected, authenticate_request, bearer_token

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from rest_framework.request import Request

    from .models import PersonalAccessToken

__all__ = ["PersonalAccessTokenAuthentication"]


class PersonalAccessTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``.

    A Bearer value without this site's prefix is left to the next
    authentication class. A value with it either authenticates (``request.user``
    is the owner, ``request.auth`` the :class:`PersonalAccessToken`) or fails:
    401 for any invalid token, 403 when a valid token is used from an address
    or with a method it does not allow.
    """

    realm = "api"

    @sensitive_variables("raw")
    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, PersonalAccessToken] | None:
        raw = bearer_token(request)
        if raw is None:
            return None
        token = _already_authenticated(request, raw)
        if token is not None:
            return token.user, token
        try:
            token = authenticate_request(request, raw)
        except TokenRejected as rejection:
            if rejection.status == 403:
                raise exceptions.PermissionDenied(rejection.message) from None
            raise exceptions.AuthenticationFailed(rejection.message) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'Bearer realm="{self.realm}"'


def _already_authenticated(request: Request, raw: str) -> PersonalAccessToken | None:
    """The token the middleware authenticated this same request with, if it did:
    the same rules gave their answer already, so no second query."""
    token = getattr(request._request, "personal_access_token", None)
    if token is not None and token.digest == tokens.digest(raw):
        return token
    return None
