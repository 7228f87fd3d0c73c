"""Project views whose permissions refuse in ways the app cannot see coming:
composed with ``&``, or a permission after the scope check
(tests/test_permissions.py, "a refused use never counts")."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from django_pat.permissions import HasRequiredScopes


class Composed(APIView):
    permission_classes = (IsAuthenticated & HasRequiredScopes,)
    required_scopes = ["tokens:read"]

    def get(self, request: Request) -> Response:
        return Response({})


class Either(APIView):
    permission_classes = (IsAdminUser | HasRequiredScopes,)
    required_scopes = ["tokens:read"]

    def get(self, request: Request) -> Response:
        return Response({})


class AdminsOnly(APIView):
    permission_classes = (IsAuthenticated, HasRequiredScopes, IsAdminUser)
    required_scopes = ["tokens:read"]

    def get(self, request: Request) -> Response:
        return Response({})


urlpatterns = [
    path("composed", Composed.as_view()),
    path("either", Either.as_view()),
    path("admins-only", AdminsOnly.as_view()),
    path("api/", include("django_pat.urls")),
]
