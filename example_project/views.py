"""The example site's pages, and one endpoint of its own guarded by scopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_pat.exceptions import exception_handler
from django_pat.permissions import HasRequiredScopes
from django_pat.serializers import ErrorSerializer


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


class TextField(serializers.CharField):
    """A string, and only a string: DRF's CharField would take 0 for "0"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ProfileSerializer(serializers.Serializer[Any]):
    """Your profile on this site."""

    username = serializers.CharField(read_only=True, help_text="Your username.")
    email = serializers.CharField(
        read_only=True, help_text="Your email address; empty when the site has none."
    )
    firstName = TextField(
        source="first_name",
        max_length=150,
        allow_blank=True,
        required=False,
        label="First name",
        help_text="Your first name.",
    )
    lastName = TextField(
        source="last_name",
        max_length=150,
        allow_blank=True,
        required=False,
        label="Last name",
        help_text="Your last name.",
    )

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        for field, value in validated_data.items():
            setattr(instance, field, value)
        instance.save(update_fields=list(validated_data))
        return instance


_INVALID = {400: OpenApiResponse(ErrorSerializer, "Invalid input: the body names the field")}
_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, "Not authenticated, or a bad token"),
    403: OpenApiResponse(
        ErrorSerializer,
        "A token without the scopes this request needs (`WWW-Authenticate: Bearer "
        'error="insufficient_scope"` names them), or beyond its type or address',
    ),
}


class ProfileView(APIView):
    """Your profile: how a project guards its own endpoint with scopes.

    A token restricted by scope needs ``profile:read`` to read the profile,
    and ``profile:read`` and ``profile:write`` to change it (the answer shows
    the profile, so writing needs reading too). Sessions, and tokens not
    restricted by scope, are not asked for scopes. Its errors have the app's
    error body, ``{"message": ..., "status": ...}``.
    """

    permission_classes = (IsAuthenticated, HasRequiredScopes)
    parser_classes = (JSONParser,)
    required_scopes = {
        "GET": ["profile:read"],
        "PATCH": ["profile:read", "profile:write"],
        "OPTIONS": [],
    }

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler

    @extend_schema(
        operation_id="get_profile",
        summary="Get your profile",
        description="Your username, email address and name.",
        tags=["profile"],
        responses={200: OpenApiResponse(ProfileSerializer, "OK"), **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(
        operation_id="update_profile",
        summary="Change your name",
        description="Changes the fields you send; answers with the whole profile.",
        tags=["profile"],
        request=ProfileSerializer,
        responses={200: OpenApiResponse(ProfileSerializer, "OK"), **_INVALID, **_ERRORS},
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)
