"""drf-spectacular extensions, loaded by the app so that every project using
the endpoints gets a correct schema for them: the bearer scheme, the named
type and scope enums, a plain array for the list, and component names that
cannot clash with a project's own ``Error`` or ``Provision`` serializers.
The serializers' components are in :mod:`django_pat.openapi_components`,
loaded from here.

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

from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.plumbing import ComponentRegistry, build_bearer_security_scheme_object
from drf_spectacular.settings import spectacular_settings

from .conf import pat_settings
from .openapi_components import COMPONENT_NAMES
from .permissions import HasRequiredScopes, required_scopes_of
from .scopes import required_for

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema
    from rest_framework.views import APIView

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
