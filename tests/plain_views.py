"""Plain Django views (no DRF), for the middleware and backend tests."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.authentication import SessionAuthentication

from django_pat.permissions import scopes_required
from django_pat.views import PersonalAccessTokenViewSet


def _body(request: HttpRequest, user) -> JsonResponse:
    token = getattr(request, "personal_access_token", None)
    return JsonResponse(
        {
            "user": user.get_username() if user.is_authenticated else None,
            "token": str(token.pk) if token is not None else None,
            "method": request.method,
        }
    )


def whoami(request: HttpRequest) -> JsonResponse:
    return _body(request, request.user)


async def async_whoami(request: HttpRequest) -> JsonResponse:
    return _body(request, await request.auser())


@login_required
def private(request: HttpRequest) -> JsonResponse:
    return _body(request, request.user)


def backend_whoami(request: HttpRequest) -> JsonResponse:
    """A project's own view authenticating with the backend."""
    user = authenticate(
        request, token=request.headers.get("Authorization", "").removeprefix("Bearer ")
    )
    if user is None:
        return JsonResponse({"message": "Not authenticated.", "status": 401}, status=401)
    return _body(request, user)


@scopes_required(["tokens:read"])
def read_scoped(request: HttpRequest) -> JsonResponse:
    return _body(request, request.user)


@scopes_required(["tokens:read"])
async def async_read_scoped(request: HttpRequest) -> JsonResponse:
    return _body(request, await request.auser())


@scopes_required({"GET": ["tokens:read"], "POST": ["tokens:read", "tokens:write"]})
def scoped_by_method(request: HttpRequest) -> JsonResponse:
    return _body(request, request.user)


@scopes_required(["tokens:read"])
@login_required
def private_read_scoped(request: HttpRequest) -> JsonResponse:
    return _body(request, request.user)


class SessionOnlyViewSet(PersonalAccessTokenViewSet):
    """The endpoints in a project whose DRF knows only sessions, with the
    middleware putting the token's user on the request."""

    authentication_classes = (SessionAuthentication,)


urlpatterns = [
    path("session-only/tokens", SessionOnlyViewSet.as_view({"get": "list", "post": "create"})),
    path("whoami", whoami),
    path("async-whoami", async_whoami),
    path("private", private),
    path("backend-whoami", backend_whoami),
    path("read-scoped", read_scoped),
    path("async-read-scoped", async_read_scoped),
    path("scoped-by-method", scoped_by_method),
    path("private-read-scoped", private_read_scoped),
    path("api/", include("django_pat.urls")),
]
