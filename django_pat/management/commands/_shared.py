"""What the ``pat_*`` commands share: finding users and tokens, with errors
that say what was wrong, and how a token is shown (never its secret)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management import CommandError

from django_pat.models import PersonalAccessToken


def get_user(username: str) -> AbstractBaseUser:
    """The user whose ``USERNAME_FIELD`` is ``username``."""
    users = get_user_model()
    try:
        return users._default_manager.get_by_natural_key(username)
    except users.DoesNotExist:
        field = users.USERNAME_FIELD
        raise CommandError(f"No user with {field} {username!r}.") from None


def parse_token_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a token id (a UUID).") from None


def get_token(value: str) -> PersonalAccessToken:
    token_id = parse_token_id(value)
    try:
        return PersonalAccessToken.objects.select_related("user").get(pk=token_id)
    except PersonalAccessToken.DoesNotExist:
        raise CommandError(f"No token with id {token_id}.") from None


def when(value: datetime | None, none: str = "-") -> str:
    """A time to the second, in UTC, for a table or a message."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ") if value else none


def describe(token: PersonalAccessToken) -> str:
    """One line naming a token for a person: no secret, no digest."""
    owner = token.user.get_username()
    return f"{token.name!r} ({token.display_prefix}…, id {token.pk}) of {owner}"


def describe_scopes(scopes: list[str] | None) -> str:
    """A token's scopes in a table cell or a message."""
    if scopes is None:
        return "any"  # not restricted by scope
    return ",".join(scopes) if scopes else "none"
