"""The user's side of the rules: whether a user may be authenticated by one
of their tokens, and the refusal when the requester went inactive."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext

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


def lock_active_owner(user: Any, using: str | None = None) -> None:
    """Lock ``user``'s row until the transaction ends, or raise
    :class:`InactiveRequester` if the user is not active (any more).

    FOR NO KEY UPDATE: a revoke holding a token's row writes revoked_by,
    whose foreign key check takes KEY SHARE on a user's row, which this lock
    lets through (FOR UPDATE would wait for it: a deadlock). Provisioning and
    rotation both take it first, so every token lock is taken under the
    owner's and no two requests deadlock.
    """
    manager = user.__class__._default_manager
    owners = (manager.using(using) if using else manager).select_for_update(no_key=True)
    owners = owners.filter(pk=user.pk)
    if _user_model_has_is_active_field():
        owners = owners.filter(is_active=True)
    if not owners.values("pk"):
        raise InactiveRequester(
            gettext("The user %(user)s is not active.") % {"user": repr(user.get_username())}
        )
