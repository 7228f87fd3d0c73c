"""drf-spectacular extensions for the token lifecycle's shapes: the named
enums of ``state`` and ``revokedReason`` (nullable), and the rotation
request. Loaded with :mod:`django_pat.openapi`, which lists their component
names with its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent

from .conf import pat_settings
from .lifecycle import STATES, RevokedReason

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema

__all__ = ["LEAK_ACCEPTED_COMPONENT", "LEAK_REPORT_COMPONENT", "LIFECYCLE_COMPONENT_NAMES"]

STATE_COMPONENT = "PersonalAccessTokenState"
REVOKED_REASON_COMPONENT = "PersonalAccessTokenRevokedReason"
NULL_COMPONENT = "PersonalAccessTokenNullEnum"
ROTATE_REQUEST_COMPONENT = "PersonalAccessTokenRotateRequest"
# POST credentials/revoke's request and answer (views_schema.leak_report_schema).
LEAK_REPORT_COMPONENT = "PersonalAccessTokenLeakReport"
LEAK_ACCEPTED_COMPONENT = "PersonalAccessTokenLeakReportAccepted"
LIFECYCLE_COMPONENT_NAMES = [
    STATE_COMPONENT,
    REVOKED_REASON_COMPONENT,
    NULL_COMPONENT,
    ROTATE_REQUEST_COMPONENT,
    LEAK_REPORT_COMPONENT,
    LEAK_ACCEPTED_COMPONENT,
]


class TokenStateFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = "django_pat.serializer_fields.TokenStateField"

    def get_name(self) -> str:
        return STATE_COMPONENT

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "enum": list(STATES),
            "description": "Whether the token works, and if not, why.",
        }


class RevokedReasonFieldExtension(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """One of the reasons, or null: ``oneOf`` the named enum and a null one,
    as drf-spectacular writes a nullable choice. (``nullable`` beside a
    ``$ref`` is not valid OpenAPI 3.0, and ``null`` among the enum's values
    turns generated clients' types into unions of fragments.)"""

    target_class = "django_pat.serializer_fields.RevokedReasonField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        refs = []
        for name, schema in (
            (
                REVOKED_REASON_COMPONENT,
                {
                    "type": "string",
                    "enum": list(RevokedReason.values),
                    "description": "Why a token was revoked.",
                },
            ),
            (NULL_COMPONENT, {"enum": [None]}),
        ):
            component = ResolvedComponent(  # type: ignore[no-untyped-call]
                name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
            )
            auto_schema.registry.register_on_missing(component)
            refs.append(component.ref)
        return {"oneOf": refs}


class RotateRequestSchema(OpenApiSerializerExtension):  # type: ignore[no-untyped-call]
    """The rotation request: only ``expireAt``, and nothing else."""

    target_class = "django_pat.serializers.RotateSerializer"

    def get_name(self, auto_schema: AutoSchema, direction: Any) -> str:
        return ROTATE_REQUEST_COMPONENT

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer(  # type: ignore[no-untyped-call]
            self.target, direction, bypass_extensions=True
        )
        expire_at = schema["properties"]["expireAt"]
        expire_at.pop("default", None)
        if all(t.max_lifetime is not None for t in pat_settings.types.values()):
            expire_at.pop("nullable", None)
            expire_at["description"] += " Every type has a maximum lifetime: null is a 400."
        schema["additionalProperties"] = False
        return schema
