"""What ``PersonalAccessToken.objects.provision()`` accepts: each argument
cleaned into what is stored, or a sentence for the field that it is not.

Each ``clean_*`` function takes the raw value and an ``errors`` dict (model
field name -> message), and returns the clean value, or records why not;
``provision()`` raises one ``ValidationError`` with every field's message.
The name and the description are cleaned in :mod:`django_pat.validation_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext

from .conf import TokenType, pat_settings
from .formats import rfc3339
from .ip import IPRestriction, IPRestrictionError
from .validation_text import (
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    clean_description,
    clean_name,
    normalize_name,
)

if TYPE_CHECKING:
    from .models import PersonalAccessToken

__all__ = [
    "DEFAULT",
    "DESCRIPTION_MAX_LENGTH",
    "NAME_MAX_LENGTH",
    "clean_description",
    "clean_expire_at",
    "clean_ip_restriction",
    "clean_name",
    "clean_scopes",
    "clean_type",
    "normalize_name",
]


class _Default:
    """Marks an argument left out, as opposed to an explicit None."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


def clean_type(
    value: object, parent: PersonalAccessToken | None, errors: dict[str, str]
) -> TokenType | None:
    types = pat_settings.types
    parent_type = parent.token_type if parent is not None else None
    if value is None:
        chosen = pat_settings.default_type
        # Left out under a weaker parent, the new token takes the parent's type.
        if parent_type is not None and not chosen.within(parent_type):
            chosen = parent_type
        return chosen
    if not isinstance(value, str) or value not in types:
        errors["type"] = gettext("%(value)s is not a token type; choose one of %(types)s.") % {
            "value": repr(value),
            "types": ", ".join(types),
        }
        return None
    chosen = types[value]
    if parent is not None and (parent_type is None or not chosen.within(parent_type)):
        errors["type"] = gettext(
            "Type %(value)s allows more than the %(parent)s token used to make it."
        ) % {"value": repr(value), "parent": repr(parent.type)}
        return None
    return chosen


def clean_ip_restriction(
    value: object, parent: PersonalAccessToken | None, errors: dict[str, str]
) -> IPRestriction:
    parent_restriction = parent.restriction if parent is not None else IPRestriction(())
    if value is DEFAULT:
        return parent_restriction
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors["ip_restriction"] = gettext("IP restriction must be a string or null.")
        return parent_restriction
    try:
        restriction = IPRestriction.parse(value)
    except IPRestrictionError as error:
        errors["ip_restriction"] = gettext(error.message) % error.params
        return parent_restriction
    if not restriction.within(parent_restriction):
        errors["ip_restriction"] = gettext(
            "IP restriction '%(value)s' allows addresses that the token used to make it "
            "does not ('%(parent)s')."
        ) % {
            "value": restriction or gettext("any address"),
            "parent": parent_restriction,
        }
    return restriction


def clean_expire_at(
    value: object,
    token_type: TokenType,
    parent: PersonalAccessToken | None,
    now: datetime,
    errors: dict[str, str],
) -> datetime | None:
    maximum = token_type.max_lifetime
    latest = now + maximum if maximum is not None else None
    parent_expiry = parent.expire_at if parent is not None else None

    if value is DEFAULT:
        default = now + token_type.default_lifetime if token_type.default_lifetime else None
        if parent is None:
            return default
        # Inherit the parent's expiry, unless it lies beyond what this type
        # may have; then the type's default, still no later than the parent.
        if latest is None or (parent_expiry is not None and parent_expiry <= latest):
            return parent_expiry
        return min(filter(None, (parent_expiry, default)), default=None)

    if value is None:
        if latest is not None:
            errors["expire_at"] = gettext(
                "Tokens of type %(type)s must expire, no later than %(latest)s."
            ) % {"type": repr(token_type.name), "latest": rfc3339(latest)}
        elif parent_expiry is not None:
            errors["expire_at"] = gettext(
                "A token that never expires would outlive the token used to make it."
            )
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors["expire_at"] = gettext(
            "Expiry %(value)s is not a date and time with a time zone."
        ) % {"value": repr(value)}
        return None
    try:
        value.astimezone(dt_timezone.utc)
    except OverflowError:
        errors["expire_at"] = gettext("Expiry %(value)s is out of range.") % {
            "value": value.isoformat()
        }
        return None
    if value <= now:
        errors["expire_at"] = gettext("Expiry %(value)s is not in the future.") % {
            "value": value.isoformat()
        }
    elif latest is not None and value > latest:
        errors["expire_at"] = gettext(
            "Expiry %(value)s is later than the longest lifetime allowed for type %(type)s "
            "(%(latest)s)."
        ) % {"value": value.isoformat(), "type": repr(token_type.name), "latest": rfc3339(latest)}
    elif parent_expiry is not None and value > parent_expiry:
        errors["expire_at"] = gettext(
            "Expiry %(value)s is later than that of the token used to make it (%(latest)s)."
        ) % {"value": value.isoformat(), "latest": rfc3339(parent_expiry)}
    return value


# A message names at most this many bad entries: a 64 KB body holds thousands.
_SCOPE_PROBLEMS_SHOWN = 5


def clean_scopes(
    value: object, parent: PersonalAccessToken | None, errors: dict[str, str]
) -> list[str] | None:
    """Sorted names, or None for "not restricted by scope". Every entry must
    be a configured scope, listed once; under a parent, one the parent has."""
    parent_scopes = parent.scopes if parent is not None else None
    if value is DEFAULT:
        if parent is not None:
            return None if parent_scopes is None else list(parent_scopes)
        default = pat_settings.default_scopes
        return None if default is None else list(default)
    if value is None:
        if parent_scopes is not None:
            errors["scopes"] = gettext(
                "A token not restricted by scope would reach more than the token used to "
                "make it, which has %(scopes)s only."
            ) % {"scopes": _scope_names(parent_scopes) or gettext("no scope")}
        return None
    if not isinstance(value, list | tuple | set | frozenset):
        errors["scopes"] = gettext(
            "Scopes must be a list of scope names or null, not %(value)s."
        ) % {"value": _shown(value)}
        return None
    known = pat_settings.scopes
    problems = []
    unknown = False
    seen: set[str] = set()
    for entry in value:
        if not isinstance(entry, str):
            problems.append(
                gettext("%(value)s is not a scope name (a string)") % {"value": _shown(entry)}
            )
        elif entry in seen:
            problems.append(gettext("%(value)s is listed twice") % {"value": _shown(entry)})
        elif entry not in known:
            unknown = True
            problems.append(gettext("%(value)s is not a scope") % {"value": _shown(entry)})
        elif parent_scopes is not None and entry not in parent_scopes:
            problems.append(
                gettext("%(value)s is not a scope of the token used to make it")
                % {"value": repr(entry)}
            )
        if isinstance(entry, str):
            seen.add(entry)
    if problems:
        more = len(problems) - _SCOPE_PROBLEMS_SHOWN
        shown = problems[:_SCOPE_PROBLEMS_SHOWN]
        if more > 0:
            shown.append(gettext("%(count)d more") % {"count": more})
        choose = ""
        if unknown:
            choose = gettext(" (the scopes are %(scopes)s)") % {"scopes": _scope_names(known)}
        errors["scopes"] = f"{'; '.join(shown)}{choose}."
        return None
    return sorted(seen)


def _scope_names(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _shown(value: object, limit: int = 40) -> str:
    """``value`` for a message: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
