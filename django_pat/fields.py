"""The model field that holds a token's scopes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.lookups import Contains

from .scopes import from_stored, stored

__all__ = ["HasScope", "ScopesField"]


class ScopesField(models.TextField):  # type: ignore[type-arg]
    """A list of scope names, or None for "not restricted by scope".

    Stored as text: the names sorted, separated and surrounded by single
    spaces (``" a b "``), ``""`` for the empty list, NULL for None (see
    :mod:`django_pat.scopes`). ``filter(scopes__has_scope="x")`` finds the
    tokens that have the scope ``x``, on every database.
    """

    description = "A list of scope names, or null"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", None)
        super().__init__(*args, **kwargs)

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> list[str] | None:
        return from_stored(value)

    def to_python(self, value: Any) -> list[str] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return from_stored(value)
        if isinstance(value, list | tuple) and all(isinstance(name, str) for name in value):
            return sorted(value)
        raise ValidationError(f"{value!r} is not a list of scope names.", code="invalid")

    def get_prep_value(self, value: Any) -> str | None:
        # A string would be taken apart letter by letter: refuse it.
        if isinstance(value, str):
            raise TypeError(f"scopes is a list of names or None, not the string {value!r}")
        return stored(value)

    def value_to_string(self, obj: models.Model) -> Any:
        # Serialised (dumpdata) as the list itself, and read back by to_python.
        return self.value_from_object(obj)


@ScopesField.register_lookup
class HasScope(Contains):
    """``scopes__has_scope="name"``: the token has this scope (never true
    of a token not restricted by scope, whose column is NULL)."""

    lookup_name = "has_scope"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        if not isinstance(self.rhs, str):
            raise TypeError(f"has_scope takes a scope name, not {self.rhs!r}")
        # The stored form surrounds every name with spaces.
        return f" {self.rhs} "

    def get_rhs_op(self, connection: Any, rhs: str) -> str:
        # The database's own operator for "contains", with LIKE's wildcards
        # in the name escaped as for contains.
        return connection.operators["contains"] % rhs
