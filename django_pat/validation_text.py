"""The free text of a token: its name and its description, each cleaned
into what is stored, or a sentence for the field that it is not. Used by
:mod:`django_pat.validation`, which re-exports what is here.
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DESCRIPTION_MAX_LENGTH",
    "NAME_MAX_LENGTH",
    "clean_description",
    "clean_name",
    "normalize_name",
]


NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 1000

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
