"""Revoking a user's tokens when the user changes, if so configured.

Two settings, both off by default:

``DJANGO_PAT["REVOKE_ON_USER_DEACTIVATION"]``
    Saving a user with ``is_active`` False revokes their tokens. Either way a
    deactivated user's tokens fail authentication at once (the user's
    ``is_active`` comes with the token in the one query that checks it); the
    setting makes that permanent, so that reactivating the user does not
    bring the tokens back.
``DJANGO_PAT["REVOKE_ON_PASSWORD_CHANGE"]``
    Saving a user after ``set_password()`` or ``set_unusable_password()``
    (Django's password forms, the admin's, ``manage.py changepassword``)
    revokes their tokens. Off by default, as on GitHub and GitLab: a token is
    a credential of its own, made to outlive the password, and a person who
    changes a password because it leaked still has to revoke the tokens they
    no longer trust. A hash rewritten by Django itself when it upgrades the
    hasher at login is not a change (Django says so, by not recording it as
    one); nor is a hash assigned directly (``user.password = ...``) or
    written by ``QuerySet.update()``, which this module cannot see.

Either way the tokens are revoked one by one through ``revoke()``, so
``token_revoked`` fires for each (an audit log sees them) and cache mode
forgets each; every token that could still authenticate is revoked,
including one that authenticated the request making the change.

Only saves through the model send the signals used here: ``QuerySet.update()``
changes nothing here (``manage.py pat_revoke --user`` revokes by hand), and
neither does ``loaddata``, which must store rows as they are.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import is_password_usable
from django.utils import timezone

from .conf import pat_settings
from .models import PersonalAccessToken, user_can_authenticate

__all__ = ["note_password_change", "revoke_tokens", "revoke_tokens_of_changed_user"]

# Set on the user by the pre_save receiver, read by the post_save one.
_CHANGE_MARK = "_django_pat_password_changed"


def revoke_tokens(user: Any) -> int:
    """Revoke each of ``user``'s tokens that is neither revoked nor expired,
    through ``revoke()``; return how many this call revoked."""
    tokens = (
        PersonalAccessToken.objects.for_user(user)
        .filter(revoked_at__isnull=True)
        .exclude(expire_at__lte=timezone.now())
        .select_related("user")
    )
    # One reason for both changes: the account changed, and its tokens went with it.
    return sum(token.revoke("user_deactivated") for token in tokens)


def note_password_change(
    sender: Any,
    instance: Any,
    raw: bool = False,
    using: str | None = None,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    """``pre_save`` receiver for the user model: is this save a new password?"""
    changed = (
        pat_settings.revoke_on_password_change
        and not raw
        and not instance._state.adding  # a new user has no tokens
        and (update_fields is None or "password" in update_fields)
        # Never load a deferred hash (cache mode's users have it deferred):
        # a user saved without loading it is not changing it.
        and "password" not in instance.get_deferred_fields()
        and _password_changes(instance, using)
    )
    setattr(instance, _CHANGE_MARK, changed)


def _password_changes(instance: Any, using: str | None) -> bool:
    # set_password() keeps the raw password until the save; Django clears it
    # before saving a hash it upgraded, so that is not taken for a change.
    if getattr(instance, "_password", None) is not None:
        return True
    if is_password_usable(instance.password):
        return False
    # set_unusable_password() leaves no mark but a new random unusable hash;
    # only then is the stored one read, to tell it from a save that kept it.
    stored = (
        type(instance)
        ._default_manager.using(using)
        .filter(pk=instance.pk)
        .values_list("password", flat=True)
        .first()
    )
    return stored is not None and stored != instance.password


def revoke_tokens_of_changed_user(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    """``post_save`` receiver for the user model."""
    password_changed = instance.__dict__.pop(_CHANGE_MARK, False)
    if raw or created:
        return
    deactivated = pat_settings.revoke_on_user_deactivation and not user_can_authenticate(instance)
    if deactivated or password_changed:
        revoke_tokens(instance)
