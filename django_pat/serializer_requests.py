"""The JSON shapes of the requests that provision and rotate a token, and
the model layer's errors keyed by their JSON field names. Re-exported by
:mod:`django_pat.serializers`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import NAME_MAX_LENGTH
from .serializer_fields import (
    ScopeListField,
    StrictCharField,
    TokenTypeField,
    UTCDateTimeField,
    _json_kind,
)
from .validation import DESCRIPTION_MAX_LENGTH

__all__ = ["ProvisionSerializer", "RotateSerializer", "django_errors_to_drf"]

# Model field name -> JSON field name, for the errors of provision().
JSON_NAMES = {"ip_restriction": "ipRestriction", "expire_at": "expireAt"}
_MODEL_NAMES = {json: model for model, json in JSON_NAMES.items()}


class ProvisionSerializer(serializers.Serializer[Any]):
    """The request to provision a personal access token."""

    # Only JSON shapes are checked here; the rules are in provision().

    # The descriptions say what the server fills in for a field left out: a
    # generated client must leave it out, never send a default of its own
    # (openapi_components.py keeps "default" out of the schema for that reason).
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
