"""The JSON shapes of the endpoints, in the contract's camelCase."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .conf import pat_settings
from .formats import parse_rfc3339, rfc3339
from .models import DEFAULT, PersonalAccessToken

__all__ = [
    "PersonalAccessTokenSerializer",
    "ProvisionSerializer",
    "RevokeResponseSerializer",
    "django_errors_to_drf",
]

# Model field name -> JSON field name, for the errors of provision().
JSON_NAMES = {"ip_restriction": "ipRestriction", "expire_at": "expireAt"}


class UTCDateTimeField(serializers.DateTimeField):
    """Output as RFC 3339 in UTC; input must be an RFC 3339 string with an offset."""

    default_error_messages = {
        "invalid": "{value!r} is not an RFC 3339 date and time with a time zone.",
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

    default_error_messages = {"invalid": "Must be a string, not {kind} ({value})."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid", kind=_json_kind(data), value=_shorten(json.dumps(data)))
        return super().to_internal_value(data)


class TokenTypeField(serializers.ChoiceField):
    """One of the configured token types, as a string."""

    default_error_messages = {
        "invalid_choice": "{input!r} is not a token type; choose one of {choices}.",
        "invalid": "Must be a string, not {kind} ({value}).",
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


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


class PersonalAccessTokenSerializer(serializers.Serializer[PersonalAccessToken]):
    """A token as the API shows it. ``token`` is set only when the serializer's
    context carries the secret, that is, in the response that made it."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    type = TokenTypeField(read_only=True)
    ipRestriction = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()
    createdAt = UTCDateTimeField(source="created_at", read_only=True)
    expireAt = UTCDateTimeField(source="expire_at", read_only=True, allow_null=True)
    lastUsedAt = UTCDateTimeField(source="last_used_at", read_only=True, allow_null=True)
    subject = serializers.CharField(source="user_id", read_only=True)
    token = serializers.SerializerMethodField()
    displayPrefix = serializers.CharField(source="display_prefix", read_only=True)

    def get_ipRestriction(self, token: PersonalAccessToken) -> str | None:
        return token.ip_restriction or None

    def get_active(self, token: PersonalAccessToken) -> bool:
        return token.is_active()

    def get_token(self, token: PersonalAccessToken) -> str | None:
        secret: str | None = self.context.get("secret")
        return secret


class ProvisionSerializer(serializers.Serializer[Any]):
    """The provisioning request. Only checks JSON shapes; the rules are in
    :meth:`PersonalAccessTokenManager.provision`."""

    name = StrictCharField(trim_whitespace=False)
    type = TokenTypeField(required=False)
    ipRestriction = StrictCharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    expireAt = UTCDateTimeField(required=False, allow_null=True)

    default_error_messages = {"not_object": "Expected a JSON object, not {kind}."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            message = self.error_messages["not_object"].format(kind=_json_kind(data))
            raise serializers.ValidationError({"non_field_errors": [message]})
        unknown = [key for key in data if key not in self.fields]
        if unknown:
            raise serializers.ValidationError({key: [f"Unknown field {key!r}."] for key in unknown})
        return super().to_internal_value(data)

    def provision_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``provision()``: absent fields stay absent."""
        data = self.validated_data
        return {
            "name": data["name"],
            "type": data.get("type"),
            "ip_restriction": data.get("ipRestriction", DEFAULT),
            "expire_at": data.get("expireAt", DEFAULT),
        }


class RevokeResponseSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    status = serializers.IntegerField()


def django_errors_to_drf(error: DjangoValidationError) -> serializers.ValidationError:
    """A ValidationError from the model layer, keyed by JSON field names."""
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {
                JSON_NAMES.get(field, field): messages
                for field, messages in error.message_dict.items()
            }
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error response."""

    message = serializers.CharField()
    status = serializers.IntegerField()
    # A field named like Serializer.errors: DRF's metaclass moves declared
    # fields off the class, so the property still works.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per JSON field, what is wrong with it (validation errors only).",
    )
