"""The JSON shapes of the endpoints, in the contract's camelCase. Those of
the provisioning and rotation requests are in
:mod:`django_pat.serializer_requests`, and re-exported here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import PersonalAccessToken
from .serializer_fields import (
    RevokedReasonField,
    ScopeListField,
    TokenStateField,
    TokenTypeField,
    UTCDateTimeField,
)
from .serializer_requests import ProvisionSerializer, RotateSerializer, django_errors_to_drf
from .validation import DESCRIPTION_MAX_LENGTH

__all__ = [
    "PersonalAccessTokenSerializer",
    "ProvisionSerializer",
    "RevokeResponseSerializer",
    "RotateSerializer",
    "django_errors_to_drf",
]


class PersonalAccessTokenSerializer(serializers.Serializer[PersonalAccessToken]):
    """Personal Access Token.

    `token` is set only in the response that provisioned it, and null
    everywhere else.
    """

    # The descriptions are the seed's, with what this implementation adds;
    # they end up in the OpenAPI schema.
    id = serializers.UUIDField(
        read_only=True,
        label="ID",
        help_text="ID represents the unique identifier for a personal access token.",
    )
    name = serializers.CharField(
        read_only=True, help_text="Name represents the name of the personal access token."
    )
    type = TokenTypeField(
        read_only=True, help_text="Type represents the type of the personal access token."
    )
    ipRestriction = serializers.SerializerMethodField(
        label="IP restriction",
        help_text="IPRestriction represents the IP restriction for the personal access token: "
        "normalised comma-separated IP addresses and CIDR networks; null means any address.",
    )
    active = serializers.SerializerMethodField(
        help_text="Active indicates whether the personal access token is active or not: "
        "false once it is revoked or expired, or its user is deactivated."
    )
    createdAt = UTCDateTimeField(
        source="created_at",
        read_only=True,
        label="Created at",
        help_text="CreatedAt represents the creation time of the personal access token "
        "(RFC 3339, UTC).",
    )
    expireAt = UTCDateTimeField(
        source="expire_at",
        read_only=True,
        label="Expires at",
        allow_null=True,
        help_text="ExpireAt represents the expiration time of the personal access token "
        "(RFC 3339, UTC); null means it never expires.",
    )
    lastUsedAt = UTCDateTimeField(
        source="last_used_at",
        read_only=True,
        label="Last used at",
        allow_null=True,
        help_text="LastUsedAt represents the last time the personal access token was used "
        "(RFC 3339, UTC); null means never.",
    )
    subject = serializers.CharField(
        source="user_id",
        read_only=True,
        help_text="Subject represents the subject of the personal access token: "
        "the owning user's primary key.",
    )
    token = serializers.SerializerMethodField(
        help_text="Token represents the actual token value: set only in the provisioning "
        "response, null everywhere else."
    )
    displayPrefix = serializers.CharField(
        source="display_prefix",
        read_only=True,
        label="Display prefix",
        help_text="The non-secret start of the token, to recognise it by.",
    )
    scopes = ScopeListField(
        read_only=True,
        allow_null=True,
        help_text="What the token may reach: its scopes, sorted. Null: not restricted by "
        "scope (everything its user may do, within its type); an empty array: no scope.",
    )
    description = serializers.CharField(
        read_only=True,
        help_text=f"The owner's note about the token, up to {DESCRIPTION_MAX_LENGTH} "
        'characters; "" when none.',
    )
    state = TokenStateField(
        help_text="Why the token does or does not work: `revoked`, else `expired`, else "
        "`dormant` (unused for longer than the site allows, or its user is deactivated), "
        "else `active`. `active` is true exactly when this is `active`.",
    )
    revokedAt = UTCDateTimeField(
        source="revoked_at",
        read_only=True,
        label="Revoked at",
        allow_null=True,
        help_text="When the token was revoked (RFC 3339, UTC); null while it is not.",
    )
    revokedReason = RevokedReasonField(
        source="revoked_reason",
        label="Revoked because",
        help_text="Why the token was revoked: `owner`, `staff`, `rotated` (replaced by the "
        "token whose previousId is this one's id), `leaked` (reported as found in public), "
        "`user_deactivated` (its user's account was deactivated, or its password changed "
        "where the site revokes on that) or `command` (by a management command). Null "
        "while it is not revoked, and for tokens revoked before reasons were recorded.",
    )
    lastUsedIp = serializers.CharField(
        source="last_used_ip",
        read_only=True,
        allow_null=True,
        label="Last used from",
        help_text="The client address of the last recorded use (recorded with lastUsedAt); "
        "null when never used, or when the address could not be determined.",
    )
    previousId = serializers.UUIDField(
        source="previous_id",
        read_only=True,
        allow_null=True,
        label="Previous ID",
        help_text="The id of the token this one replaced by rotation; null when it replaced none.",
    )

    def to_representation(self, instance: PersonalAccessToken) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        # Read at one moment: active is true exactly when state is active.
        if "state" in data and "active" in data:
            data["active"] = data["state"] == "active"
        return data

    def get_ipRestriction(self, token: PersonalAccessToken) -> str | None:
        return token.ip_restriction or None

    def get_active(self, token: PersonalAccessToken) -> bool:
        return token.is_active()

    def get_token(self, token: PersonalAccessToken) -> str | None:
        secret: str | None = self.context.get("secret")
        return secret


class RevokeResponseSerializer(serializers.Serializer[Any]):
    """The answer to a revocation."""

    message = serializers.CharField()
    status = serializers.IntegerField(help_text="The HTTP status, 200.")


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error response."""

    message = serializers.CharField(help_text="What went wrong, for a person to read.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    # A field named like Serializer.errors: DRF's metaclass moves declared
    # fields off the class, so the property still works.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per JSON field, what is wrong with it (validation errors only).",
    )
