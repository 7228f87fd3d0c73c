"""drf-spectacular extensions, loaded by the app so that every project using
the endpoints gets a correct schema for them: the bearer scheme, the named
type enum, a plain array for the list, and component names that cannot clash
with a project's own ``Error`` or ``Provision`` serializers.

:func:`postprocess_schema` is a postprocessing hook a project adds to
``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``: it declares the app's tags
and lists the bearer scheme first (Swagger UI's "Authorize" shows the schemes
in that order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.plumbing import build_bearer_security_scheme_object

from .conf import pat_settings
from .models import NAME_MAX_LENGTH
from .openapi_lifecycle import LIFECYCLE_COMPONENT_NAMES
from .validation import DESCRIPTION_MAX_LENGTH

if TYPE_CHECKING:
    from datetime import timedelta

    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView

    from .conf import TokenType

__all__ = ["BEARER_SCHEME", "COMPONENT_NAMES", "TAG", "TAGS", "postprocess_schema"]

BEARER_SCHEME = "personalAccessToken"
TAG = "personal-access-tokens"
# The app's tags and what they hold, declared by postprocess_schema().
TAGS = {
    TAG: "Your personal access tokens: list, provision, look up, revoke and rotate them. "
    "Every path also answers with a trailing slash.",
}


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.authentication.PersonalAccessTokenAuthentication"
    name = BEARER_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        scheme = build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION",
            token_prefix="Bearer",  # noqa: S106 (the HTTP scheme, not a secret)
            bearer_format=f"{pat_settings.token_prefix}_…",
        )
        scheme["description"] = "A personal access token: `Authorization: Bearer <token>`."
        return scheme


class SessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """drf-spectacular's own description of DRF's session authentication
    (same name, same fields), plus what a browser frontend must know: writes
    need the CSRF token. A project's own extension for it takes precedence
    with a priority above 0."""

    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = 0  # above drf-spectacular's (-1)

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        # CSRF_HEADER_NAME is the WSGI spelling: HTTP_X_CSRFTOKEN is X-CSRFToken.
        header = settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-")
        header = "X-CSRFToken" if header == "X-CSRFTOKEN" else header
        source = (
            "the CSRF token the site puts in its pages"
            if settings.CSRF_USE_SESSIONS
            else f"the value of the `{settings.CSRF_COOKIE_NAME}` cookie"
        )
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The session cookie Django sets when you log in to this site, for "
            "a browser frontend on the same site. POST, PUT, PATCH and DELETE also need the "
            f"`{header}` header with {source}.",
        }


class TokenTypeFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.fields.TokenTypeField"

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
        properties["description"].update(maxLength=DESCRIPTION_MAX_LENGTH)
        # The server fills in what is left out, by rules a client cannot know
        # (the type of the token making the request, say): a "default" here
        # would have generated clients send it, so it is only described.
        for field in properties.values():
            field.pop("default", None)
        _append(properties["type"], f"The configured default: `{pat_settings.default_type.name}`.")
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
    *LIFECYCLE_COMPONENT_NAMES,
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


def postprocess_schema(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A drf-spectacular postprocessing hook: add it to the project's
    ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` (after drf-spectacular's own).

    It declares, in the top-level ``tags``, the tags of the app's operations
    that the project has not declared itself, with their descriptions (linters
    want every tag declared), and moves the bearer scheme to the front of the
    security schemes, so that the first box of Swagger UI's "Authorize" dialog
    takes a personal access token.
    """
    used = {
        tag
        for item in result.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
        for tag in operation.get("tags", ())
    }
    tags = list(result.get("tags", ()))
    declared = {tag["name"] for tag in tags}
    tags += [
        {"name": name, "description": description}
        for name, description in TAGS.items()
        if name in used and name not in declared
    ]
    if tags:
        result["tags"] = tags
    schemes = result.get("components", {}).get("securitySchemes")
    if schemes and BEARER_SCHEME in schemes:
        result["components"]["securitySchemes"] = {
            BEARER_SCHEME: schemes[BEARER_SCHEME],
            **{name: scheme for name, scheme in schemes.items() if name != BEARER_SCHEME},
        }
    return result
