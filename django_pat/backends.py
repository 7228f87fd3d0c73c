"""A Django authentication backend for personal access tokens.

For code outside Django REST framework that holds a token and a request::

    user = django.contrib.auth.authenticate(request, token=raw)

with ``"django_pat.backends.PersonalAccessTokenBackend"`` in
``AUTHENTICATION_BACKENDS``. The decision is
:func:`django_pat.verification.authenticate_request`'s, as for the DRF class
and the middleware. A refused token gives None (Django's ``authenticate()``
has no way to say 401 or 403); use
:class:`django_pat.middleware.PersonalAccessTokenMiddleware` to answer those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

from .conf import pat_settings
from .verification import TokenRejected, authenticate_request

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest

__all__ = ["PersonalAccessTokenBackend"]


class PersonalAccessTokenBackend(BaseBackend):
    """``authenticate(request, token=...)``: the token's user, or None."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, token: str | None = None, **kwargs: Any
    ) -> AbstractBaseUser | None:
        # The IP restriction and the method rule need the request.
        if request is None or not isinstance(token, str):
            return None
        if not token.startswith(f"{pat_settings.token_prefix}_"):
            return None  # not ours: another backend may know it
        try:
            found = authenticate_request(request, token)
        except TokenRejected:
            return None
        request.personal_access_token = found  # type: ignore[attr-defined]
        return found.user

    def get_user(self, user_id: Any) -> AbstractBaseUser | None:  # type: ignore[override]
        """For sessions a project starts with ``login()`` after a token
        authenticated: the user, while active."""
        users = get_user_model()
        try:
            user = users._default_manager.get(pk=user_id)
        except (users.DoesNotExist, ValueError, TypeError):
            return None
        return user if getattr(user, "is_active", True) else None
