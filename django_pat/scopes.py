"""Scopes: what a token may reach, beyond what its user may and its type allows.

Plain Python, no Django: the rules on names, the form in which a token's
scopes are stored, and which of a view's required scopes a token lacks.
Settings name the project's scopes (:mod:`django_pat.conf`); provisioning
checks a request's (:func:`django_pat.validation.clean_scopes`); the DRF
permission class and the view decorator enforce them
(:mod:`django_pat.permissions`).

A token's scopes are ``None`` (not restricted by scope: everything its user
and its type allow, as every token made before scopes existed) or a sorted
list of names, perhaps empty (no scope: no view that requires one).
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "BUILTIN_SCOPES",
    "NAME_MAX_LENGTH",
    "READ",
    "ROTATE",
    "WRITE",
    "RequiredScopes",
    "from_stored",
    "is_valid_name",
    "missing",
    "name_problem",
    "required_for",
    "required_problem",
    "shape_problem",
    "stored",
]


def gettext_noop(message: str) -> str:
    """Marks ``message`` for Django's ``makemessages`` without translating it:
    this module has no Django. Where a scope's description is shown, it is
    translated (a project's own descriptions too, from its own catalogue)."""
    return message


# The app's own scopes, always there whatever the settings say.
READ = "tokens:read"
WRITE = "tokens:write"
ROTATE = "tokens:rotate"
BUILTIN_SCOPES = {
    READ: gettext_noop("List your personal access tokens and look one up."),
    WRITE: gettext_noop("Provision, revoke and rotate your personal access tokens."),
    ROTATE: gettext_noop("Rotate this token itself, and nothing else."),
}

NAME_MAX_LENGTH = 64
# \Z, not $: "$" would also match before a final newline.
_NAME = re.compile(rf"[a-z][a-z0-9_:.-]{{0,{NAME_MAX_LENGTH - 1}}}\Z")

# A view's ``required_scopes``: a list of names, all required, or a dict from
# HTTP method to such a list.
RequiredScopes = Sequence[str] | Mapping[str, Sequence[str]]


def is_valid_name(name: object) -> bool:
    """1 to 64 characters of ``a-z 0-9 _ : . -``, starting with a letter."""
    return isinstance(name, str) and _NAME.match(name) is not None


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a scope, as the end of a sentence; None if it can."""
    if not isinstance(name, str):
        return f"must be a string, not {type(name).__name__}"
    if not name:
        return "is empty"
    if len(name) > NAME_MAX_LENGTH:
        return f"is {len(name)} characters long; at most {NAME_MAX_LENGTH} are allowed"
    if not is_valid_name(name):
        return "must start with a letter and hold only a-z, 0-9, '_', ':', '.' and '-'"
    return None


# --- storage -----------------------------------------------------------------------
#
# One text column: the names, sorted, separated and surrounded by single spaces
# (" a b "), "" for no scope, NULL for not restricted. Surrounded, so that
# "has scope x" is a plain substring match on " x " on every database (names
# hold no space), which an index-free admin filter can use on SQLite and
# PostgreSQL alike.


def stored(scopes: Iterable[str] | None) -> str | None:
    """The column's text for ``scopes``."""
    if scopes is None:
        return None
    names = sorted(scopes)
    return f" {' '.join(names)} " if names else ""


def from_stored(text: str | None) -> list[str] | None:
    """The scopes a column's text holds."""
    return None if text is None else sorted(text.split())


# --- enforcement -------------------------------------------------------------------


def required_for(required: RequiredScopes, method: str) -> list[str] | None:
    """The scopes a request with ``method`` needs, by a view's ``required_scopes``.

    None when ``required`` is a dict that does not list the method: no token
    restricted by scope may make that request (a method added to a view later
    is closed to such tokens until someone says what it needs). HEAD takes
    GET's entry when it has none of its own, as Django answers HEAD with GET.
    """
    if type(required) is list or not isinstance(required, Mapping):
        return list(required)
    if method in required:
        return list(required[method])
    if method == "HEAD" and "GET" in required:
        return list(required["GET"])
    return None


def missing(granted: Sequence[str] | None, required: Iterable[str]) -> list[str]:
    """The names in ``required`` that a token with scopes ``granted`` lacks,
    sorted; none when the token is not restricted by scope."""
    if granted is None:
        return []
    # A token has a handful of scopes: looking through them beats building a set.
    lacking = [name for name in required if name not in granted]
    return sorted(set(lacking)) if lacking else lacking


def shape_problem(required: Any) -> str | None:
    """What is wrong with the shape of a view's ``required_scopes``, in one
    sentence; None when it is a list of strings or a dict from upper-case
    method to such a list."""
    entries = required.items() if isinstance(required, Mapping) else [(None, required)]
    for method, names in entries:
        where = "required_scopes" if method is None else f"required_scopes[{method!r}]"
        if method is not None and (not isinstance(method, str) or method != method.upper()):
            return f"required_scopes keys must be upper-case HTTP methods, not {method!r}."
        if (
            isinstance(names, str)
            or not isinstance(names, Sequence)
            or not all(isinstance(name, str) for name in names)
        ):
            also = ", or a dict from HTTP method to such a list" if method is None else ""
            return f"{where} must be a list of scope names{also}, not {names!r}."
    return None


def _plainly_fine(required: Any, known: Container[str]) -> bool:
    """The fast path of :func:`required_problem`: exact types only, no ABC."""
    lists = required.values() if type(required) is dict else (required,)
    for names in lists:
        if type(names) is not list and type(names) is not tuple:
            return False
        for name in names:
            if type(name) is not str or name not in known:
                return False
    if type(required) is dict:
        return all(type(method) is str and method.isupper() for method in required)
    return True


def required_problem(required: Any, known: Container[str]) -> str | None:
    """What is wrong with a view's ``required_scopes``, in one sentence; None
    when nothing is. ``known``: the configured scope names (a dict or a set).

    Checked on every request to a guarded view, so that a typo is never a
    silent refusal; a plain list or dict of lists of known names (what views
    declare) is seen to be fine with a few membership tests."""
    if _plainly_fine(required, known):
        return None
    problem = shape_problem(required)
    if problem is not None:
        return problem
    lists = required.values() if isinstance(required, Mapping) else [required]
    unknown = sorted({name for names in lists for name in names if name not in known})
    if not unknown:
        return None
    names = ", ".join(repr(name) for name in unknown)
    what = "is not a configured scope" if len(unknown) == 1 else "are not configured scopes"
    return f"required_scopes names {names}, which {what} (DJANGO_PAT['SCOPES'])."
