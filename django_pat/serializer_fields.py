"""The fields of the endpoints' JSON shapes: strict about JSON types, where
DRF's own would coerce (a number for a string) or accept any time format."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .conf import pat_settings
from .formats import parse_rfc3339, rfc3339
from .lifecycle import STATES, RevokedReason

__all__ = [
    "RevokedReasonField",
    "ScopeListField",
    "ScopeNameField",
    "StrictCharField",
    "TokenStateField",
    "TokenTypeField",
    "UTCDateTimeField",
]


class UTCDateTimeField(serializers.DateTimeField):
    """Output as RFC 3339 in UTC; input must be an RFC 3339 string with an offset."""

    default_error_messages = {
        "invalid": _("{value!r} is not an RFC 3339 date and time with a time zone."),
    }

    def to_representation(self, value: datetime) -> str:
        return rfc3339(value)

    def to_internal_value(self, value: Any) -> datetime:
        parsed = parse_rfc3339(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail("invalid", value=value)
        assert parsed is not None
        return parsed


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of coercing them."""

    default_error_messages = {"invalid": _("Must be a string, not {kind} ({value}).")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid", kind=_json_kind(data), value=_shorten(json.dumps(data)))
        return super().to_internal_value(data)


class TokenTypeField(serializers.ChoiceField):
    """One of the configured token types, as a string."""

    default_error_messages = {
        "invalid_choice": _("{input!r} is not a token type; choose one of {choices}."),
        "invalid": _("Must be a string, not {kind} ({value})."),
    }

    def __init__(self, **kwargs: Any) -> None:
        # The choices come from settings when the field is bound to a
        # serializer, never at import: a bad setting must reach the system
        # check as an error, not crash the import of this module.
        super().__init__(choices=[], **kwargs)

    def bind(self, field_name: str, parent: Any) -> None:
        super().bind(field_name, parent)
        self.choices = list(pat_settings.types)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid", kind=_json_kind(data), value=_shorten(json.dumps(data)))
        if data not in pat_settings.types:
            self.fail("invalid_choice", input=data, choices=", ".join(pat_settings.types))
        return data


class TokenStateField(serializers.ChoiceField):
    """A token's state (output only): one of :data:`~django_pat.lifecycle.STATES`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(STATES), read_only=True, **kwargs)


class RevokedReasonField(serializers.ChoiceField):
    """Why a token was revoked (output only), or null while it is not."""

    def __init__(self, **kwargs: Any) -> None:
        # Not allow_null: that would make the schema's property nullable next
        # to its $ref; the enum itself (openapi_lifecycle.py) has null among its values.
        super().__init__(choices=list(RevokedReason.values), read_only=True, **kwargs)

    def to_representation(self, value: Any) -> str | None:  # type: ignore[override]
        # Stored as "" while the token is not revoked.
        return str(value) if value else None


class ScopeNameField(serializers.CharField):
    """One scope name; in the schema, the enum ``PersonalAccessTokenScope``
    of the configured scopes."""


class ScopeListField(serializers.ListField):
    """A token's scopes: an array of scope names, or null (not restricted by scope).

    As input, only the JSON shape is checked here (an array of strings, or
    null); which names are allowed is ``provision()``'s rule.
    """

    default_error_messages = {
        "not_a_list": _("Must be an array of scope names or null, not {kind} ({value})."),
        "not_a_name": _("Entry {index} is {kind} ({value}), not a scope name."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=ScopeNameField(), **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            self.fail("not_a_list", kind=_json_kind(data), value=_shorten(json.dumps(data)))
        for index, entry in enumerate(data):
            if not isinstance(entry, str):
                self.fail(
                    "not_a_name",
                    index=index,
                    kind=_json_kind(entry),
                    value=_shorten(json.dumps(entry)),
                )
        return list(data)

    def to_representation(self, data: Any) -> list[str]:
        return list(data)


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: gettext("a boolean"),
        int: gettext("a number"),
        float: gettext("a number"),
        str: gettext("a string"),
        list: gettext("an array"),
        dict: gettext("an object"),
    }.get(type(value), type(value).__name__)
