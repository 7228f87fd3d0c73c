"""drf-spectacular extensions, loaded by the app so that every project using
the endpoints gets a correct schema for them: the bearer scheme, the named
type and scope enums, a plain array for the list, and component names that
cannot clash with a project's own ``Error`` or ``Provision`` serializers.

:func:`postprocess_schema` is a postprocessing hook a project adds to
``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``: it declares the app's tags,
lists the bearer scheme first (Swagger UI's "Authorize" shows the schemes in
that order) and says in each operation's description which scopes it needs,
for every view guarded by :class:`~django_pat.permissions.HasRequiredScopes`.
With ``OAS_VERSION`` 3.1, which allows it for any scheme, the bearer scheme's
security requirement lists those scopes too (OpenAPI 3.0 allows scopes only
for OAuth2 and OpenID Connect schemes, so there it stays empty).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from drf_spectacular.plumbing import ComponentRegistry, build_bearer_security_scheme_object
from drf_spectacular.settings import spectacular_settings

from .conf import pat_settings
from .models import NAME_MAX_LENGTH
from .openapi_lifecycle import LIFECYCLE_COMPONENT_NAMES
from .permissions import HasRequiredScopes, required_scopes_of
from .scopes import required_for
from .validation import DESCRIPTION_MAX_LENGTH

if TYPE_CHECKING:
    from datetime import timedelta

    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView

    from .conf import TokenType

__all__ = [
    "BEARER_SCHEME",
    "COMPONENT_NAMES",
    "LEAKS_TAG",
    "TAG",
    "TAGS",
    "postprocess_schema",
    "scopes_sentence",
]

BEARER_SCHEME = "personalAccessToken"
TAG = "personal-access-tokens"
LEAKS_TAG = "leaked-credentials"
# The app's tags and what they hold, declared by postprocess_schema().
TAGS = {
    TAG: "Your personal access tokens: list, provision, look up, revoke and rotate them. "
    "Every path also answers with a trailing slash.",
    LEAKS_TAG: "Report a token found where it should not be; it is revoked at once.",
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

    def get_security_requirement(self, auto_schema: AutoSchema) -> dict[str, list[Any]]:
        guarded, required = _operation_scopes(auto_schema)
        if guarded:
            # For postprocess_schema, which sees operations but not their views.
            _scopes_by_operation.setdefault(auto_schema.registry, {})[
                auto_schema.get_operation_id()
            ] = required
        # OpenAPI 3.0 allows scopes in a requirement only for OAuth2 and OpenID
        # Connect schemes; 3.1 lets any scheme list the roles an operation needs.
        if required and not spectacular_settings.OAS_VERSION.startswith("3.0"):
            return {BEARER_SCHEME: list(required)}
        return {BEARER_SCHEME: []}


# Per schema generation (its registry): operationId -> what the operation needs
# of a token restricted by scope (None: such a token may not make it).
_scopes_by_operation: WeakKeyDictionary[ComponentRegistry, dict[str, list[str] | None]] = (
    WeakKeyDictionary()
)


def _operation_scopes(auto_schema: AutoSchema) -> tuple[bool, list[str] | None]:
    """Whether the operation's view checks scopes, and if so what the
    operation needs of a token restricted by scope (None: it may not make it)."""
    view = auto_schema.view
    if not any(isinstance(p, HasRequiredScopes) for p in view.get_permissions()):
        return False, None
    try:
        required = required_scopes_of(view, view.request)
    except ImproperlyConfigured as error:
        warn(str(error))
        return False, None
    return True, required_for(required, auto_schema.method)


def scopes_sentence(required: list[str] | None) -> str | None:
    """What an operation's description says about scopes, given what it
    needs of a token restricted by scope (None: such a token may not make it);
    nothing when it needs no scope."""
    if required is None:
        return "Scopes: a token restricted by scope may not make this request."
    if not required:
        return None
    names = " and ".join(f"`{name}`" for name in required)
    return f"Scopes: a token restricted by scope needs {names}."


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
    want every tag declared); moves the bearer scheme to the front of the
    security schemes, so that the first box of Swagger UI's "Authorize" dialog
    takes a personal access token; and ends the description of each operation
    whose view checks scopes (:class:`~django_pat.permissions.HasRequiredScopes`)
    with the scopes it needs, unless the description says so already.
    """
    generator = kwargs.get("generator")
    needs = _scopes_by_operation.get(generator.registry, {}) if generator is not None else {}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or operation.get("operationId") not in needs:
                continue
            sentence = scopes_sentence(needs[operation["operationId"]])
            description = operation.get("description", "")
            if sentence and sentence not in description:
                operation["description"] = f"{description}\n\n{sentence}".lstrip()
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
