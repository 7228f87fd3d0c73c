"""drf-spectacular extensions for the shapes of the token endpoints: the
named type and scope enums, the scope list, and the request, error and
revocation components under names that cannot clash with a project's own
``Error`` or ``Provision`` serializers. Loaded with :mod:`django_pat.openapi`,
which re-exports :data:`COMPONENT_NAMES`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension

from .conf import pat_settings
from .models import NAME_MAX_LENGTH
from .openapi_lifecycle import LIFECYCLE_COMPONENT_NAMES
from .validation import DESCRIPTION_MAX_LENGTH

if TYPE_CHECKING:
    from datetime import timedelta

    from drf_spectacular.openapi import AutoSchema

    from .conf import TokenType

__all__ = ["COMPONENT_NAMES"]


class TokenTypeFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializer_fields.TokenTypeField"

    def get_name(self) -> str:
        return "PersonalAccessTokenType"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": list(pat_settings.types),
            "description": "The kind of token: which HTTP methods it allows.",
        }


class ScopeNameFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializer_fields.ScopeNameField"

    def get_name(self) -> str:
        return "PersonalAccessTokenScope"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        described = "; ".join(
            f"`{name}`: {description.rstrip('.')}"
            for name, description in pat_settings.scopes.items()
        )
        return {
            "type": "string",
            "enum": list(pat_settings.scopes),
            "description": f"A scope: what a token may reach. {described}.",
        }


class ScopeListFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializer_fields.ScopeListField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        items = auto_schema._map_serializer_field(self.target.child, direction)  # type: ignore[no-untyped-call]
        return {"type": "array", "items": items, "uniqueItems": True}


class _NamedSerializer(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    component_name: str

    def get_name(self, auto_schema: AutoSchema, direction: Any) -> str:
        return self.component_name


class ErrorSchema(_NamedSerializer):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializers.ErrorSerializer"
    component_name = "PersonalAccessTokenError"


class RevokeResponseSchema(_NamedSerializer):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializers.RevokeResponseSerializer"
    component_name = "PersonalAccessTokenRevokeResponse"


class ProvisionRequestSchema(_NamedSerializer):  # type: ignore[no-untyped-call]
    """The request with the rules the serializer leaves to ``provision()``."""

    target_class = "django_pat.serializers.ProvisionSerializer"
    component_name = "PersonalAccessTokenProvisionRequest"

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(  # type: ignore[no-untyped-call]
            self.target, direction, bypass_extensions=True
        )
        properties = schema["properties"]
        properties["name"].update(minLength=1, maxLength=NAME_MAX_LENGTH)
        properties["description"].update(maxLength=DESCRIPTION_MAX_LENGTH)
        # The server fills in what is left out, by rules a client cannot know
        # (the type of the token making the request, say): a "default" here
        # would have generated clients send it, so it is only described.
        for field in properties.values():
            field.pop("default", None)
        _append(properties["type"], f"The configured default: `{pat_settings.default_type.name}`.")
        default_scopes = pat_settings.default_scopes
        shown = "null" if default_scopes is None else json.dumps(default_scopes)
        _append(properties["scopes"], f"The configured default: `{shown}`.")
        types = pat_settings.types.values()
        lifetimes = "; ".join(f"`{t.name}`: {_lifetimes(t)}" for t in types)
        _append(properties["expireAt"], f"Lifetimes by type: {lifetimes}.")
        never = [f"`{t.name}`" for t in types if t.max_lifetime is None]
        if never:
            _append(properties["expireAt"], f"Types that allow null: {', '.join(never)}.")
        else:
            # null ("never expires") is a 400 while every type has a maximum lifetime.
            properties["expireAt"].pop("nullable", None)
            _append(properties["expireAt"], "Every type has a maximum lifetime: null is a 400.")
        # Unknown fields are a 400: a mistyped ip_restriction must never
        # silently make an unrestricted token.
        schema["additionalProperties"] = False
        return schema


def _append(field: dict[str, Any], sentence: str) -> None:
    field["description"] = f"{field['description']} {sentence}"


def _lifetimes(token_type: TokenType) -> str:
    default, maximum = token_type.default_lifetime, token_type.max_lifetime
    return (
        (f"{_duration(default)} by default" if default else "no expiry by default")
        + ", "
        + (f"at most {_duration(maximum)}" if maximum else "no maximum")
    )


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


# Namespaced like the app's own names, so they cannot clash with a project's.
COMPONENT_NAMES = [
    "PersonalAccessToken",
    "PersonalAccessTokenType",
    ErrorSchema.component_name,
    ProvisionRequestSchema.component_name,
    RevokeResponseSchema.component_name,
    "PersonalAccessTokenScope",
    *LIFECYCLE_COMPONENT_NAMES,
]
