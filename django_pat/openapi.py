"""drf-spectacular extensions, loaded by the app so that every project using
the endpoints gets a correct schema for them: the bearer scheme, the named
type enum, a plain array for the list, and component names that cannot clash
with a project's own ``Error`` or ``Provision`` serializers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from .conf import pat_settings
from .models import NAME_MAX_LENGTH

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView

__all__ = ["COMPONENT_NAMES"]


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.authentication.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        scheme = build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION",
            token_prefix="Bearer",  # noqa: S106 (the HTTP scheme, not a secret)
            bearer_format=f"{pat_settings.token_prefix}_…",
        )
        scheme["description"] = "A personal access token: `Authorization: Bearer <token>`."
        return scheme


class TokenTypeFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializers.TokenTypeField"

    def get_name(self) -> str:
        return "PersonalAccessTokenType"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": list(pat_settings.types),
            "description": "The kind of token: which HTTP methods it allows.",
        }


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
        properties["type"]["default"] = pat_settings.default_type.name
        # null ("never expires") is a 400 while every type has a maximum lifetime.
        if all(t.max_lifetime is not None for t in pat_settings.types.values()):
            properties["expireAt"].pop("nullable", None)
        # Unknown fields are a 400: a mistyped ip_restriction must never
        # silently make an unrestricted token.
        schema["additionalProperties"] = False
        return schema


# Namespaced like the app's own names, so they cannot clash with a project's.
COMPONENT_NAMES = [
    "PersonalAccessToken",
    "PersonalAccessTokenType",
    ErrorSchema.component_name,
    ProvisionRequestSchema.component_name,
    RevokeResponseSchema.component_name,
]


class PersonalAccessTokenViewSchema(OpenApiViewExtension):  # type: ignore[no-untyped-call]
    """The list is a plain JSON array whether or not it is paged (the paging is
    in the ``Link`` and ``X-Total-Count`` headers, documented on the view), so
    the schema must not wrap it in a ``Paginated…List`` component."""

    target_class = "django_pat.views.PersonalAccessTokenViewSet"

    def view_replacement(self) -> type[APIView]:
        class Documented(self.target):  # type: ignore[name-defined,misc]
            pagination_class = None

        Documented.__name__ = self.target.__name__
        Documented.__qualname__ = self.target.__qualname__
        Documented.__doc__ = self.target.__doc__
        return Documented
