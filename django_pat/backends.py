"""A Django authentication backend for personal access tokens.

For code outside Django REST framework that holds a token and a request::

    user = django.contrib.auth.authenticate(request, token=raw)

with ``"django_pat.backends.PersonalAccessTokenBackend"`` in
``AUTHENTICATION_BACKENDS``. The decision is
:func:`django_pat.verification.authenticate_request`'s, as for the DRF class
and the middleware. A refused token gives None (Django's ``authenticate()``
has no way to say 401 or 403); so does a token that could not be checked
because the database did not answer (logged to ``django_pat`` with its
traceback): never a user. Use
:class:`django_pat.middleware.PersonalAccessTokenMiddleware` to answer those
with a 401, 403 or 503.

Django's ``authenticate()`` keeps the credentials it was given in its frame,
marked with ``sensitive_variables``, which Django honours only with DEBUG off;
for a request that presents one of our tokens, the backend asks Django's
error reports to honour it with DEBUG on as well (see
:func:`_hide_sensitive_variables`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.views.debug import SafeExceptionReporterFilter, get_exception_reporter_filter

from .models import user_can_authenticate
from .verification import TokenRejected, authenticate_request, present

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
        presented = present(token)
        # Only the digest is needed from here on: while the database is asked,
        # no frame of ours holds the secret (see django_pat.verification).
        del token
        if presented is None:
            return None  # not ours: another backend may know it
        _hide_sensitive_variables(request)
        try:
            found = authenticate_request(request, presented)
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
        return user if user_can_authenticate(user) else None


# The project's filter class -> the same, strict.
_strict_classes: dict[type[SafeExceptionReporterFilter], type[SafeExceptionReporterFilter]] = {}


def _always(self: SafeExceptionReporterFilter, request: Any) -> bool:
    return True


def _hide_sensitive_variables(request: Any) -> None:
    """Make error reports about ``request`` hide what ``sensitive_variables``
    and ``sensitive_post_parameters`` mark with DEBUG on too (Django's filters
    hide them only with DEBUG off): Django's ``authenticate()`` holds the token
    so marked. The project's own filter class is kept, made strict."""
    http_request = getattr(request, "_request", request)  # a DRF Request wraps one
    current = type(get_exception_reporter_filter(http_request))
    if current in _strict_classes.values():
        return
    strict = _strict_classes.get(current)
    if strict is None:
        strict = _strict_classes[current] = type(
            f"Strict{current.__name__}", (current,), {"is_active": _always, "__module__": __name__}
        )
    http_request.exception_reporter_filter = strict()
