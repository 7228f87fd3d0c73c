"""Plain Django views (no DRF), for the middleware and backend tests."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


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


urlpatterns = [
    path("whoami", whoami),
    path("async-whoami", async_whoami),
    path("private", private),
    path("api/", include("django_pat.urls")),
]
