"""Token types and scopes in ``DJANGO_PAT``: what a token may do, checked
(one sentence per problem, as in :mod:`django_pat.conf`) and built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .scopes import BUILTIN_SCOPES, name_problem

__all__ = [
    "ALL_METHODS",
    "SAFE_METHODS",
    "TokenType",
    "build_types",
    "lifetime_fit_problems",
    "scopes_problems",
    "types_problems",
]

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ALL_METHODS = "*"
_LIFETIME_KEYS = ("default_lifetime", "max_lifetime")
_TYPE_KEYS = {"methods", *_LIFETIME_KEYS}
_HTTP_METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT"}
_UNSET: Any = object()


@dataclass(frozen=True)
class TokenType:
    """A kind of token: which HTTP methods it allows and how long it may live."""

    name: str
    # None means every method the user may use.
    methods: frozenset[str] | None
    default_lifetime: timedelta | None
    max_lifetime: timedelta | None

    def allows_method(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def within(self, other: TokenType) -> bool:
        """Whether this type is no more powerful than ``other``."""
        if other.methods is None:
            return True
        return self.methods is not None and self.methods <= other.methods


def _lifetime_problem(where: str, value: Any) -> str | None:
    if value is None or (isinstance(value, timedelta) and value > timedelta(0)):
        return None
    return f"{where} must be a positive datetime.timedelta or None, not {value!r}."


def _type_problems(name: Any, spec: Any) -> list[str]:
    where = f"DJANGO_PAT['TYPES'][{name!r}]"
    if not isinstance(name, str) or not name or len(name) > 32:
        return [f"Token type names must be strings of 1 to 32 characters, not {name!r}."]
    if not isinstance(spec, dict):
        return [f"{where} must be a dict with a 'methods' key, not {spec!r}."]
    found = []
    unknown = sorted(set(spec) - _TYPE_KEYS, key=str)
    if unknown:
        found.append(f"{where} has unknown keys {unknown}; allowed are {sorted(_TYPE_KEYS)}.")
    methods = spec.get("methods", _UNSET)
    if methods != ALL_METHODS and not (
        isinstance(methods, list | tuple | set | frozenset)
        and methods
        and all(isinstance(m, str) and m in _HTTP_METHODS for m in methods)
    ):
        found.append(
            f"{where}['methods'] must be '*' or a non-empty list of upper-case HTTP "
            f"methods, not {'missing' if methods is _UNSET else repr(methods)}."
        )
    for key in _LIFETIME_KEYS:
        if key in spec:
            problem = _lifetime_problem(f"{where}[{key!r}]", spec[key])
            if problem:
                found.append(problem)
    return found


def types_problems(merged: dict[str, Any]) -> list[str]:
    """What is wrong with ``TYPES``, ``DEFAULT_TYPE`` and the default lifetimes."""
    found: list[str] = []
    types = merged["TYPES"]
    if not isinstance(types, dict) or not types:
        found.append(f"DJANGO_PAT['TYPES'] must be a non-empty dict, not {types!r}.")
        types = {}
    for name, spec in types.items():
        found.extend(_type_problems(name, spec))
    default_type = merged["DEFAULT_TYPE"]
    if types and (not isinstance(default_type, str) or default_type not in types):
        found.append(
            f"DJANGO_PAT['DEFAULT_TYPE'] {default_type!r} is not one of the "
            f"configured types {sorted(types)}."
        )

    for key in ("DEFAULT_LIFETIME", "MAX_LIFETIME"):
        problem = _lifetime_problem(f"DJANGO_PAT[{key!r}]", merged[key])
        if problem:
            found.append(problem)
    return found


def lifetime_fit_problems(merged: dict[str, Any]) -> list[str]:
    """Lifetimes that do not fit together, type by type (of settings valid otherwise)."""
    found = []
    # Lifetimes must fit together, type by type, once each is known valid.
    for token_type in build_types(merged).values():
        default, maximum = token_type.default_lifetime, token_type.max_lifetime
        if maximum is None:
            continue
        if default is None:
            found.append(
                f"Token type {token_type.name!r} has a maximum lifetime of {maximum} but "
                "no default lifetime; give it a default no longer than the maximum."
            )
        elif default > maximum:
            found.append(
                f"Token type {token_type.name!r} has a default lifetime of {default} "
                f"but a maximum of {maximum}; the default must not exceed the maximum."
            )
    return found


def build_types(merged: dict[str, Any]) -> dict[str, TokenType]:
    built = {}
    for name, spec in merged["TYPES"].items():
        methods = spec["methods"]
        built[name] = TokenType(
            name=name,
            methods=None if methods == ALL_METHODS else frozenset(methods),
            default_lifetime=spec.get("default_lifetime", merged["DEFAULT_LIFETIME"]),
            max_lifetime=spec.get("max_lifetime", merged["MAX_LIFETIME"]),
        )
    return built


def scopes_problems(scopes: Any, default: Any) -> list[str]:
    if not isinstance(scopes, dict):
        return [
            "DJANGO_PAT['SCOPES'] must be a dict from scope name to a one-line description, "
            f"not {scopes!r}."
        ]
    found = []
    for name, description in scopes.items():
        problem = name_problem(name)
        if problem:
            found.append(f"DJANGO_PAT['SCOPES'] scope name {name!r} {problem}.")
        elif name in BUILTIN_SCOPES:
            found.append(
                f"DJANGO_PAT['SCOPES'] names {name!r}, one of the app's own scopes, which are "
                "always there; leave it out."
            )
        if not isinstance(description, str) or not description.strip():
            found.append(
                f"DJANGO_PAT['SCOPES'][{name!r}] must be a one-line description, "
                f"not {description!r}."
            )
        elif len(description.splitlines()) > 1:
            found.append(
                f"DJANGO_PAT['SCOPES'][{name!r}] must be a one-line description, with no "
                "line break."
            )
    if default is None:
        return found
    known = {**BUILTIN_SCOPES, **scopes}
    if not isinstance(default, list | tuple) or not all(isinstance(n, str) for n in default):
        found.append(
            "DJANGO_PAT['DEFAULT_SCOPES'] must be None (not restricted by scope) or a list "
            f"of scope names, not {default!r}."
        )
    elif len(set(default)) != len(default):
        twice = sorted({name for name in default if default.count(name) > 1})
        found.append(f"DJANGO_PAT['DEFAULT_SCOPES'] lists {', '.join(map(repr, twice))} twice.")
    else:
        unknown = [name for name in default if name not in known]
        if unknown:
            found.append(
                f"DJANGO_PAT['DEFAULT_SCOPES'] names {', '.join(map(repr, unknown))}, not "
                f"among the scopes {', '.join(known)}."
            )
    return found
