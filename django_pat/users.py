"""The user's side of the rules: whether a user may be authenticated by one
of their tokens, and the refusal when the requester went inactive."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError

__all__ = ["InactiveRequester", "user_can_authenticate"]


class InactiveRequester(ValidationError):
    """The user, or the parent token, is not active (revoked, expired,
    deactivated or deleted), perhaps only since the request began.

    A ValidationError, so that the admin and the management commands show it
    like any other refusal; the API answers it with its generic 401 instead,
    as it would have answered the request a moment later."""


def user_can_authenticate(user: Any) -> bool:
    """Whether ``user`` may be authenticated by one of their tokens: the one
    place that reads ``is_active``, as Django's ``ModelBackend`` does.

    A user model without ``is_active`` has every user active. It must agree
    with the queryset's :meth:`~PersonalAccessTokenQuerySet.active`, which
    asks the database the same question.
    """
    return bool(getattr(user, "is_active", True))


@cache
def _user_model_has_is_active_field() -> bool:
    # Custom user models may leave ``is_active`` a plain attribute (always
    # True on AbstractBaseUser); only a real field can be filtered on.
    try:
        get_user_model()._meta.get_field("is_active")
    except FieldDoesNotExist:
        return False
    return True
