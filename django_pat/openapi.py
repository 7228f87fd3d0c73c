"""drf-spectacular extensions, loaded by the app so that every project using
the authentication class gets the bearer scheme and the named type enum."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from .conf import pat_settings

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema


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
