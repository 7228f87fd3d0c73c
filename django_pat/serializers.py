"""The JSON shapes of the endpoints, in the contract's camelCase."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import NAME_MAX_LENGTH, PersonalAccessToken
from .serializer_fields import (
    RevokedReasonField,
    ScopeListField,
    StrictCharField,
    TokenStateField,
    TokenTypeField,
    UTCDateTimeField,
    _json_kind,
)
from .validation import DESCRIPTION_MAX_LENGTH

__all__ = [
    "PersonalAccessTokenSerializer",
    "ProvisionSerializer",
    "RevokeResponseSerializer",
    "RotateSerializer",
    "django_errors_to_drf",
]

# Model field name -> JSON field name, for the errors of provision().
JSON_NAMES = {"ip_restriction": "ipRestriction", "expire_at": "expireAt"}
_MODEL_NAMES = {json: model for model, json in JSON_NAMES.items()}


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


class ProvisionSerializer(serializers.Serializer[Any]):
    """The request to provision a personal access token."""

    # Only JSON shapes are checked here; the rules are in provision().

    # The descriptions say what the server fills in for a field left out: a
    # generated client must leave it out, never send a default of its own
    # (openapi.py keeps "default" out of the schema for that reason).
    name = StrictCharField(
        trim_whitespace=False,
        # provision() trims and says "Name may not be blank." for "" as for "  ".
        allow_blank=True,
        help_text="Name of the personal access token: trimmed, then 1 to "
        f"{NAME_MAX_LENGTH} characters, unique among your active tokens.",
    )
    type = TokenTypeField(
        required=False,
        help_text="Type of the personal access token. Left out: the configured default type, "
        "or, when a token makes this request and the default allows more than that token's "
        "type, that token's type. A type allowing more than the token making this request "
        "is a 400.",
    )
    ipRestriction = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        label="IP restriction",
        help_text="IP restriction for the personal access token: comma-separated IP "
        "addresses and CIDR networks (IPv4 and IPv6), at most 50. Null or empty: any "
        "address. Left out: any address, or, when a token makes this request, that token's "
        "restriction. When the token making this request is restricted, anything it does "
        "not cover is a 400, null and empty included.",
    )
    expireAt = UTCDateTimeField(
        required=False,
        allow_null=True,
        label="Expires at",
        help_text="When the token expires: RFC 3339 with a time zone, in the future, within "
        "the type's maximum lifetime and, when a token makes this request, no later than "
        "that token's expiry (a 400 otherwise). Left out: the type's default lifetime from "
        "now, or, when a token makes this request, that token's expiry if the type's "
        "maximum lifetime allows it. Null: never, only for a type without a maximum "
        "lifetime, and not when the token making this request expires.",
    )
    scopes = ScopeListField(
        required=False,
        allow_null=True,
        help_text="What the token may reach: scope names, each once. Null: not restricted by "
        "scope; an empty array: no scope. Left out: the configured default or, when a token "
        "makes this request, that token's scopes. When the token making this request is "
        "restricted by scope, a scope it lacks is a 400, and so is null.",
    )
    description = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"A note about the token, for you: trimmed, at most {DESCRIPTION_MAX_LENGTH} "
        'characters, on several lines if you like. Left out or "": none.',
    )

    default_error_messages = {"not_object": _("Expected a JSON object, not {kind}.")}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        return super().to_internal_value(_known_fields_only(self, data))

    def provision_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``provision()``, for the fields the request
        has: absent fields stay absent. A subclass's own fields come under
        their own names."""
        return {
            _MODEL_NAMES.get(field, field): value for field, value in self.validated_data.items()
        }


def _known_fields_only(serializer: serializers.Serializer[Any], data: Any) -> Mapping[str, Any]:
    """``data`` if it is a JSON object of the serializer's fields; else a 400."""
    if not isinstance(data, Mapping):
        message = serializer.error_messages["not_object"].format(kind=_json_kind(data))
        raise serializers.ValidationError({"non_field_errors": [message]})
    unknown = [key for key in data if key not in serializer.fields]
    if unknown:
        raise serializers.ValidationError(
            {key: [gettext("Unknown field %(key)s.") % {"key": repr(key)}] for key in unknown}
        )
    return data


class RotateSerializer(serializers.Serializer[Any]):
    """The request to rotate a personal access token: no body, ``{}``, or a new expiry."""

    expireAt = UTCDateTimeField(
        required=False,
        allow_null=True,
        label="Expires at",
        help_text="When the new token expires: RFC 3339 with a time zone, in the future, "
        "within the type's maximum lifetime and, when another token makes this request, "
        "no later than that token's expiry (a 400 otherwise). Left out: the type's default "
        "lifetime from now, capped at both. Null: never, only for a type without a maximum "
        "lifetime.",
    )

    default_error_messages = {"not_object": _("Expected a JSON object, not {kind}.")}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        return super().to_internal_value(_known_fields_only(self, data))

    def rotate_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``rotate()``: ``expire_at`` if the request has it."""
        return {_MODEL_NAMES.get(key, key): value for key, value in self.validated_data.items()}


class RevokeResponseSerializer(serializers.Serializer[Any]):
    """The answer to a revocation."""

    message = serializers.CharField()
    status = serializers.IntegerField(help_text="The HTTP status, 200.")


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

    message = serializers.CharField(help_text="What went wrong, for a person to read.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    # A field named like Serializer.errors: DRF's metaclass moves declared
    # fields off the class, so the property still works.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per JSON field, what is wrong with it (validation errors only).",
    )
