"""The REST endpoints: list, provision, retrieve and revoke one's own tokens."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .conf import pat_settings
from .exceptions import exception_handler
from .models import InactiveRequester, PersonalAccessToken, PersonalAccessTokenQuerySet
from .pagination import LinkHeaderPagination
from .parsers import JSONParser
from .serializers import (
    ErrorSerializer,
    PersonalAccessTokenSerializer,
    ProvisionSerializer,
    RevokeResponseSerializer,
    django_errors_to_drf,
)
from .throttling import SCOPE, OptionalScopedRateThrottle
from .verification import GENERIC_MESSAGE

if TYPE_CHECKING:
    from collections.abc import Callable

    from rest_framework.request import Request

__all__ = ["PersonalAccessTokenViewSet"]

_BOOLEANS = {"true": True, "false": False}

_ERROR_MEANINGS = {
    400: "Bad Request",
    401: "Not authenticated, or an invalid, expired or revoked token",
    403: "Not allowed: token used from another address or beyond its type; missing CSRF token",
    404: "Not Found",
    429: "Throttled",
    500: "Internal Server Error",
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, _ERROR_MEANINGS[code]) for code in codes}


_TOKEN_ID = OpenApiParameter(
    "token_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The token's id."
)


class PersonalAccessTokenViewSet(viewsets.GenericViewSet[PersonalAccessToken]):
    """The authenticated user's personal access tokens.

    Override :meth:`get_parent_token` or :meth:`provision` to change how
    tokens are made without forking the view.
    """

    serializer_class = PersonalAccessTokenSerializer
    permission_classes = (IsAuthenticated,)
    parser_classes = (JSONParser,)
    renderer_classes = (JSONRenderer,)
    throttle_classes = (OptionalScopedRateThrottle,)
    throttle_scope = SCOPE
    pagination_class = LinkHeaderPagination
    lookup_url_kwarg = "token_id"

    def get_queryset(self) -> PersonalAccessTokenQuerySet:
        return PersonalAccessToken.objects.for_user(self.request.user).select_related("user")

    def get_object(self) -> PersonalAccessToken:
        # A malformed id is as unknown as another user's: 404, never a 500.
        try:
            token_id = uuid.UUID(str(self.kwargs[self.lookup_url_kwarg]))
        except ValueError:
            raise Http404 from None
        try:
            return self.get_queryset().get(pk=token_id)
        except PersonalAccessToken.DoesNotExist:
            raise Http404 from None

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler

    def get_authenticate_header(self, request: Request) -> str:
        # Always Bearer, whatever order the project lists its classes in:
        # an unauthenticated client is told which scheme these endpoints take.
        return super().get_authenticate_header(request) or 'Bearer realm="api"'

    def get_parent_token(self) -> PersonalAccessToken | None:
        """The token that authenticated this request, if one did."""
        auth = self.request.auth
        return auth if isinstance(auth, PersonalAccessToken) else None

    def provision(self, **arguments: Any) -> tuple[PersonalAccessToken, str]:
        """Make the token; the one call every provisioning goes through."""
        return PersonalAccessToken.objects.provision(
            self.request.user,  # type: ignore[arg-type]
            parent=self.get_parent_token(),
            **arguments,
        )

    def filter_queryset(self, queryset: PersonalAccessTokenQuerySet) -> PersonalAccessTokenQuerySet:  # type: ignore[override]
        params = self.request.query_params
        errors = {}
        active = params.get("active")
        if active is not None:
            if active not in _BOOLEANS:
                errors["active"] = [f"{active!r} is not 'true' or 'false'."]
            elif _BOOLEANS[active]:
                queryset = queryset.active()
            else:
                queryset = queryset.inactive()
        token_type = params.get("type")
        if token_type is not None:
            if token_type not in pat_settings.types:
                errors["type"] = [
                    f"{token_type!r} is not a token type; choose one of "
                    f"{', '.join(pat_settings.types)}."
                ]
            queryset = queryset.filter(type=token_type)
        if errors:
            raise exceptions.ValidationError(errors)
        return queryset

    @extend_schema(
        operation_id="list_personal_access_tokens",
        summary="list personal access tokens for your account",
        parameters=[
            OpenApiParameter(
                "active", OpenApiTypes.BOOL, description="Only active, or only inactive, tokens."
            ),
            OpenApiParameter("type", OpenApiTypes.STR, description="Only tokens of this type."),
        ],
        responses={
            200: PersonalAccessTokenSerializer(many=True),
            **_errors(400, 401, 403, 404, 429, 500),
        },
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(queryset, many=True).data)

    @extend_schema(
        operation_id="provision_personal_access_token",
        summary="Provision a personal access token",
        description="The response is the only place the secret `token` ever appears.",
        request=ProvisionSerializer,
        responses={200: PersonalAccessTokenSerializer, **_errors(400, 401, 403, 404, 429, 500)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        request_serializer = ProvisionSerializer(data=request.data)
        request_serializer.is_valid(raise_exception=True)
        try:
            token, secret = self.provision(**request_serializer.provision_arguments())
        except DjangoValidationError as error:
            raise django_errors_to_drf(error) from None
        except InactiveRequester:
            # Revoked (or deactivated) while this request ran: as if it came after.
            raise exceptions.AuthenticationFailed(GENERIC_MESSAGE) from None
        body = self.get_serializer(token, context={"secret": secret}).data
        # The secret is in this response only: no cache may keep a copy.
        return Response(body, headers={"Cache-Control": "no-store"})

    @extend_schema(
        operation_id="get_personal_access_token",
        summary="Get a personal access token",
        parameters=[_TOKEN_ID],
        responses={200: PersonalAccessTokenSerializer, **_errors(400, 401, 403, 404, 429, 500)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        operation_id="revoke_personal_access_token",
        summary="Revoke a personal access token",
        parameters=[_TOKEN_ID],
        responses={200: RevokeResponseSerializer, **_errors(400, 401, 403, 404, 429, 500)},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_object().revoke()
        return Response({"message": "Personal access token revoked.", "status": 200})
