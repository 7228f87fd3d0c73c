"""One trivial view per scheme: the same body, only authentication differs."""

from __future__ import annotations

from typing import Any

from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from benchmarks import routing
from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.permissions import HasRequiredScopes


class Floor(APIView):
    """No authentication at all: what a request costs before any scheme."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # The database (table size) this view's requests use; set by urls.py.
    alias = "default"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with routing.using(self.alias):
            return super().dispatch(request, *args, **kwargs)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response({"ok": True})


class AuthToken(Floor):
    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsAuthenticated,)


class Knox(Floor):
    authentication_classes = (KnoxTokenAuthentication,)
    permission_classes = (IsAuthenticated,)


class APIKey(Floor):
    """djangorestframework-api-key is a permission: it loads no user."""

    authentication_classes = ()
    permission_classes = (HasAPIKey,)


class PAT(Floor):
    authentication_classes = (PersonalAccessTokenAuthentication,)
    permission_classes = (IsAuthenticated,)


class PATScoped(PAT):
    """The same, guarded by a scope too: a token restricted by scope must have it."""

    permission_classes = (IsAuthenticated, HasRequiredScopes)
    required_scopes = ["bench:read"]
