"""A project's own DRF views guarded by scopes, as README's scopes page writes
them, beside the app's endpoints (tests/test_permissions.py, test_openapi.py)."""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_pat.permissions import HasRequiredScopes

OBJECT = OpenApiTypes.OBJECT
SCOPES = {
    "packages:read": "Download packages.",
    "packages:write": "Publish packages.",
}


class PackageList(APIView):
    """The packages: reading needs one scope, publishing another as well."""

    permission_classes = (IsAuthenticated, HasRequiredScopes)
    required_scopes = {
        "GET": ["packages:read"],
        "POST": ["packages:read", "packages:write"],
    }

    @extend_schema(
        operation_id="list_packages",
        summary="List packages",
        description="Every package.",
        responses={200: OBJECT},
    )
    def get(self, request: Request) -> Response:
        return Response({"packages": [], "user": request.user.get_username()})

    @extend_schema(
        operation_id="publish_package",
        summary="Publish a package",
        description="A new package.",
        request=None,
        responses={200: OBJECT},
    )
    def post(self, request: Request) -> Response:
        return Response({"published": True})


class Download(APIView):
    """One list for every method."""

    permission_classes = (IsAuthenticated, HasRequiredScopes)
    required_scopes = ["packages:read"]

    @extend_schema(operation_id="download", summary="Download", responses={200: OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class OwnPackage(APIView):
    """A rule an attribute cannot state: publishing under one's own name
    needs less than under any other."""

    permission_classes = (IsAuthenticated, HasRequiredScopes)

    def get_required_scopes(self, request: Request) -> list[str]:
        if request.query_params.get("name") == request.user.get_username():
            return ["packages:read"]
        return ["packages:read", "packages:write"]

    @extend_schema(operation_id="own_package", summary="Own package", responses={200: OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class Misconfigured(APIView):
    """A typo in a scope name: a programming error, never a silent refusal."""

    permission_classes = (IsAuthenticated, HasRequiredScopes)
    required_scopes = ["pakages:read"]
    schema = None  # left out of the schema: it is broken on purpose

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("packages", PackageList.as_view()),
    path("download", Download.as_view()),
    path("own-package", OwnPackage.as_view()),
    path("misconfigured", Misconfigured.as_view()),
    path("api/", include("django_pat.urls")),
]
