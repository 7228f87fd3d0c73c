"""URLs of a worker process of test_cache_processes.py: who am I (no query
of its own), a view guarded by a Django permission, and the real endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.urls import include, path
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmI(APIView):
    permission_classes = (IsAuthenticated,)

    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "user": user.pk,
                "is_staff": user.is_staff,
                "is_superuser": user.is_superuser,
            }
        )


class CanViewUsers(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user and request.user.has_perm("auth.view_user"))


class Users(APIView):
    permission_classes = (IsAuthenticated, CanViewUsers)

    def get(self, request: Request) -> Response:
        return Response({"users": User.objects.count()})


urlpatterns = [
    path("whoami", WhoAmI.as_view()),
    path("users", Users.as_view()),
    path("api/", include("django_pat.urls")),
]
