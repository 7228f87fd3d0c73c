"""The example site's pages, and one endpoint of its own guarded by scopes."""

from __future__ import annotations

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

from django_pat.permissions import HasRequiredScopes


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


class ProfileSerializer(serializers.Serializer[Any]):
    """Your profile on this site."""

    username = serializers.CharField(read_only=True, help_text="Your username.")
    email = serializers.EmailField(read_only=True, help_text="Your email address.")
    firstName = serializers.CharField(
        source="first_name",
        max_length=150,
        allow_blank=True,
        required=False,
        label="First name",
        help_text="Your first name.",
    )
    lastName = serializers.CharField(
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


class ProfileErrorSerializer(serializers.Serializer[Any]):
    """Django REST framework's error body."""

    detail = serializers.CharField(help_text="What went wrong.")


_ERRORS = {
    401: OpenApiResponse(ProfileErrorSerializer, "Not authenticated, or a bad token"),
    403: OpenApiResponse(
        ProfileErrorSerializer,
        "A token without the scopes this request needs (`WWW-Authenticate: Bearer "
        'error="insufficient_scope"` names them), or beyond its type or address',
    ),
}


class ProfileView(APIView):
    """Your profile: how a project guards its own endpoint with scopes.

    A token restricted by scope needs ``profile:read`` to read the profile,
    and ``profile:read`` and ``profile:write`` to change it (the answer shows
    the profile, so writing needs reading too). Sessions, and tokens not
    restricted by scope, are not asked for scopes.
    """

    permission_classes = (IsAuthenticated, HasRequiredScopes)
    parser_classes = (JSONParser,)
    required_scopes = {
        "GET": ["profile:read"],
        "PATCH": ["profile:read", "profile:write"],
        "OPTIONS": [],
    }

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
        responses={
            200: OpenApiResponse(ProfileSerializer, "OK"),
            400: OpenApiResponse(description="A field is invalid: the body names it."),
            **_ERRORS,
        },
    )
    def patch(self, request: Request) -> Response:
        serializer = ProfileSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)
