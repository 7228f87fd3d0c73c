"""What ``PersonalAccessToken.objects.provision()`` accepts: each argument
cleaned into what is stored, or a sentence for the field that it is not.

Each ``clean_*`` function takes the raw value and an ``errors`` dict (model
field name -> message), and returns the clean value, or records why not;
``provision()`` raises one ``ValidationError`` with every field's message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .conf import TokenType, pat_settings
from .formats import rfc3339
from .ip import IPRestriction, IPRestrictionError

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

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 1000


class _Default:
    """Marks an argument left out, as opposed to an explicit None."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


# Categories refused inside a name: control characters (a tab, a newline, an
# escape sequence that recolours a terminal), lone surrogates (no database can
# store them) and line and paragraph separators (which break a name across
# lines like a newline would).
_REFUSED_CATEGORIES = {
    "Cc": _("control character"),
    "Cs": _("surrogate"),
    "Zl": _("line separator"),
    "Zp": _("paragraph separator"),
}
# Longer input is refused before it is normalised: CPython's NFC takes time
# quadratic in a run of combining marks, and a request body of 64 KiB holds
# enough of them for seconds of work. Four times the limit leaves room for a
# name written decomposed and with invisible characters in it.
_NAME_INPUT_MAX_LENGTH = 4 * NAME_MAX_LENGTH


def normalize_name(name: str) -> str:
    """The form in which a token's name is stored, shown and compared.

    Invisible format characters (Unicode category Cf: zero-width spaces and
    joiners, the byte order mark, the soft hyphen, every bidirectional
    control) are removed, the rest is put in Unicode NFC and trimmed of
    whitespace. So ``"deploy"``, ``"deploy\u200b"`` and ``" deploy "`` are one
    name, and so are ``"Caf\u00e9"`` and ``"Cafe\u0301"``; ``"Deploy"`` is
    another. Removing the zero-width joiner splits an emoji sequence into its
    parts (a family becomes its members side by side), and removing tag
    characters turns a subdivision flag into a plain black flag: the name
    still reads, and cannot hide a difference.
    """
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    # NFC after the removal: a format character between a letter and a
    # combining accent would otherwise keep them from composing.
    return unicodedata.normalize("NFC", visible).strip()


def clean_name(name: object, errors: dict[str, str]) -> str | None:
    if not isinstance(name, str):
        errors["name"] = gettext("Name must be a string, not %(value)s.") % {"value": repr(name)}
        return None
    if len(name) > _NAME_INPUT_MAX_LENGTH:
        errors["name"] = _too_long("name", name, NAME_MAX_LENGTH)
        return None
    clean = normalize_name(name)
    refused = next((c for c in clean if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
    if not name.strip():
        errors["name"] = gettext("Name may not be blank.")
    elif not clean:
        errors["name"] = gettext("Name %(value)s is made only of invisible characters.") % {
            "value": repr(name)
        }
    elif len(clean) > NAME_MAX_LENGTH:
        errors["name"] = _too_long("name", clean, NAME_MAX_LENGTH)
    elif refused is not None:
        what = _REFUSED_CATEGORIES[unicodedata.category(refused)]
        errors["name"] = gettext(
            "Name %(value)s contains the %(what)s %(code)s, which is not allowed."
        ) % {"value": repr(clean), "what": what, "code": f"U+{ord(refused):04X}"}
    else:
        return clean
    return None


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


# Allowed in a description, which may run over several lines; every other
# control character, and lone surrogates, are refused as in a name.
_DESCRIPTION_WHITESPACE = frozenset("\t\n\r")


def clean_description(value: object, errors: dict[str, str]) -> str:
    """The owner's note: a string, trimmed, of at most 1000 characters;
    ``""`` for none."""
    if not isinstance(value, str):
        errors["description"] = gettext("Description must be a string, not %(value)s.") % {
            "value": repr(value)
        }
        return ""
    clean = value.strip()
    refused = next(
        (
            c
            for c in clean
            if unicodedata.category(c) in {"Cc", "Cs"} and c not in _DESCRIPTION_WHITESPACE
        ),
        None,
    )
    if len(clean) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _too_long("description", clean, DESCRIPTION_MAX_LENGTH)
    elif refused is not None:
        what = _REFUSED_CATEGORIES[unicodedata.category(refused)]
        errors["description"] = gettext(
            "Description contains the %(what)s %(code)s, which is not allowed."
        ) % {"what": what, "code": f"U+{ord(refused):04X}"}
    return clean


def _too_long(field: str, value: str, limit: int) -> str:
    """The message for a name or a description over its limit (100, 1000)."""
    params = {"value": repr(value[:20]), "length": len(value), "limit": limit}
    if field == "name":
        return (
            gettext("Name %(value)s… is %(length)d characters long; at most %(limit)d are allowed.")
            % params
        )
    return (
        gettext(
            "Description %(value)s… is %(length)d characters long; at most %(limit)d are allowed."
        )
        % params
    )
