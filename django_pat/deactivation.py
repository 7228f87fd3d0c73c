"""Revoking a user's tokens when the user is deactivated, if so configured.

A deactivated user's tokens fail authentication at once either way: the
user's ``is_active`` comes with the token in the one query that checks it.
With ``DJANGO_PAT["REVOKE_ON_USER_DEACTIVATION"]`` they are also revoked, one
by one through ``revoke()`` (so ``token_revoked`` fires for each, and an audit
log sees them), and stay revoked if the user is reactivated.

Only saves through the model send ``post_save``: ``QuerySet.update(is_active=
False)`` stops the tokens working but does not revoke them
(``manage.py pat_revoke --user`` does).
"""

from __future__ import annotations

from typing import Any

from .conf import pat_settings
from .models import PersonalAccessToken

__all__ = ["revoke_tokens_of_deactivated_user"]


def revoke_tokens_of_deactivated_user(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """``post_save`` receiver for the user model."""
    if raw or not pat_settings.revoke_on_user_deactivation:
        return  # raw: loaddata, which must store rows as they are
    if getattr(instance, "is_active", True):
        return
    tokens = PersonalAccessToken.objects.for_user(instance).filter(revoked_at__isnull=True)
    for token in tokens.select_related("user"):
        token.revoke()
