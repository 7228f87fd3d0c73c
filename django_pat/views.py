"""The REST endpoints: list, provision, retrieve, revoke and rotate one's own
tokens, and describe the token a request came with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from . import rotation
from .authentication import PersonalAccessTokenAuthentication
from .conf import pat_settings
from .exceptions import exception_handler
from .models import InactiveRequester, PersonalAccessToken, PersonalAccessTokenQuerySet
from .pagination import LinkHeaderPagination
from .parsers import JSONParser
from .permissions import HasRequiredScopes, InsufficientScope
from .scopes import READ, ROTATE, WRITE
from .serializers import (
    PersonalAccessTokenSerializer,
    ProvisionSerializer,
    RotateSerializer,
    django_errors_to_drf,
)
from .throttling import SCOPE, OptionalScopedRateThrottle
from .verification import GENERIC_MESSAGE
from .views_schema import token_viewset_schema

if TYPE_CHECKING:
    from collections.abc import Callable

    from rest_framework.request import Request

__all__ = ["PersonalAccessTokenViewSet"]

_BOOLEANS = {"true": True, "false": False}


@token_viewset_schema
class PersonalAccessTokenViewSet(viewsets.GenericViewSet[PersonalAccessToken]):
    """Your personal access tokens: list, provision, look up, revoke and rotate them."""

    # To change what these endpoints do without forking them, subclass and
    # override (README, "Extending"): get_provision_defaults(), provision(),
    # get_provision_response_data(), serializer_class (tokens in responses),
    # provision_serializer_class (the provisioning request), get_queryset(),
    # rotate_serializer_class (the rotation request), rotation_scopes().

    serializer_class: type[serializers.BaseSerializer[Any]] = PersonalAccessTokenSerializer
    provision_serializer_class: type[ProvisionSerializer] = ProvisionSerializer
    rotate_serializer_class: type[RotateSerializer] = RotateSerializer
    permission_classes = (IsAuthenticated, HasRequiredScopes)
    # What a token restricted by scope needs, by method (CONTRACT 9.2); rotate
    # and self decide for themselves (get_required_scopes).
    required_scopes = {
        "GET": [READ],
        "POST": [WRITE],
        "DELETE": [WRITE],
        "OPTIONS": [],
    }
    parser_classes = (JSONParser,)
    renderer_classes = (JSONRenderer,)
    throttle_classes = (OptionalScopedRateThrottle,)
    throttle_scope = SCOPE
    pagination_class = LinkHeaderPagination
    # The list's own filters are in filter_queryset(); none from DRF's settings.
    filter_backends = ()
    # The URL's token id (a UUID, by the route's converter: a malformed id
    # never reaches the view) names the primary key.
    lookup_url_kwarg = "token_id"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        # OPTIONS describes a POST by its request body, not by the response.
        if self.request is not None and self.request.method == "POST":
            if self.action_map.get("post") == "rotate":
                return self.rotate_serializer_class
            return self.provision_serializer_class
        return self.serializer_class

    def get_queryset(self) -> PersonalAccessTokenQuerySet:
        return PersonalAccessToken.objects.for_user(self.request.user).select_related("user")

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler

    def get_authenticate_header(self, request: Request) -> str:
        # Always ours, whatever order the project lists its classes in: an
        # unauthenticated client is told which scheme these endpoints take.
        return super().get_authenticate_header(
            request
        ) or PersonalAccessTokenAuthentication().authenticate_header(request)

    def get_parent_token(self) -> PersonalAccessToken | None:
        """The token that authenticated this request, if one did: DRF's, or
        the middleware's when DRF itself only knows the session it set."""
        auth = self.request.auth
        if isinstance(auth, PersonalAccessToken):
            return auth
        token = getattr(self.request, "personal_access_token", None)
        if isinstance(token, PersonalAccessToken) and token.user_id == self.request.user.pk:
            return token
        return None

    def get_provision_defaults(self) -> dict[str, Any]:
        """Keyword arguments of ``provision()`` for what the request leaves out.

        ``{}`` here: the settings' defaults apply (or, for a request
        authenticated by a token, what the new token inherits from it). A
        value given here counts as if the client had sent it: it is checked
        by the same rules, against the parent token too.
        """
        return {}

    def provision(self, **arguments: Any) -> tuple[PersonalAccessToken, str]:
        """Make the token; the one call every provisioning goes through.

        ``arguments``: ``provision()``'s keyword arguments, and the fields a
        subclass of ``ProvisionSerializer`` adds, under their own names. The
        token's signals wait for the commit: rows made here in the same
        transaction exist when receivers run.
        """
        return PersonalAccessToken.objects.provision(
            self.request.user,  # type: ignore[arg-type]
            parent=self.get_parent_token(),
            **arguments,
        )

    @method_decorator(sensitive_variables("secret", "context"))
    def get_provision_response_data(self, token: PersonalAccessToken, secret: str) -> Any:
        """The body of the provisioning response: the token as
        ``serializer_class`` shows it, with its secret (this once)."""
        context = {**self.get_serializer_context(), "secret": secret}
        return self.serializer_class(token, context=context).data

    def filter_queryset(self, queryset: PersonalAccessTokenQuerySet) -> PersonalAccessTokenQuerySet:  # type: ignore[override]
        """The list's ``?active=`` and ``?type=``; a token named by its id
        is found whatever the query string says."""
        queryset = super().filter_queryset(queryset)  # type: ignore[assignment]
        if self.action != "list":
            return queryset
        params = self.request.query_params
        errors = {}
        active = params.get("active")
        if active is not None:
            if active not in _BOOLEANS:
                errors["active"] = [
                    gettext("%(value)s is not 'true' or 'false'.") % {"value": repr(active)}
                ]
            elif _BOOLEANS[active]:
                queryset = queryset.active()
            else:
                queryset = queryset.inactive()
        token_type = params.get("type")
        if token_type is not None:
            if token_type not in pat_settings.types:
                errors["type"] = [
                    gettext("%(value)s is not a token type; choose one of %(types)s.")
                    % {"value": repr(token_type), "types": ", ".join(pat_settings.types)}
                ]
            queryset = queryset.filter(type=token_type)
        if errors:
            raise exceptions.ValidationError(errors)
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(queryset, many=True).data)

    @method_decorator(sensitive_variables("secret", "body"))
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        request_serializer = self.provision_serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        request_serializer.is_valid(raise_exception=True)
        arguments = {**self.get_provision_defaults(), **request_serializer.provision_arguments()}
        try:
            token, secret = self.provision(**arguments)
        except InactiveRequester:
            # Revoked (or deactivated) while this request ran: as if it came after.
            raise exceptions.AuthenticationFailed(GENERIC_MESSAGE) from None
        except DjangoValidationError as error:
            raise django_errors_to_drf(error) from None
        body = self.get_provision_response_data(token, secret)
        # The secret is in this response only: no cache may keep a copy.
        return Response(body, headers={"Cache-Control": "no-store"})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.get_object().revoke("owner", by=request.user)  # type: ignore[arg-type]
        return Response({"message": gettext("Personal access token revoked."), "status": 200})

    # -- rotation and the current token --------------------------------------

    def get_required_scopes(self, request: Request) -> Any:
        """``required_scopes``, but for rotation, whose rule is one scope of
        several (:meth:`check_rotation_scopes`, once the token is known),
        and for ``self``, which needs none (CONTRACT 9.3)."""
        if self.action in {"rotate", "current"}:
            return []
        return self.required_scopes

    rotating: PersonalAccessToken | None = None

    def check_permissions(self, request: Request) -> None:
        """The permissions, and for rotation its scope rule, which needs the
        token (loaded here once, for the handler too): every refusal comes
        before the use is recorded, so that it never counts (CONTRACT 8)."""
        super().check_permissions(request)
        if self.action == "rotate":
            try:
                self.rotating = self.get_object()
            except Http404:
                return  # the handler's 404: an answer, not a refusal
            self.check_rotation_scopes(self.rotating)

    def rotation_scopes(self, token: PersonalAccessToken) -> tuple[str, ...]:
        """The scopes, any one of which lets this request rotate ``token``:
        ``tokens:write``, or also ``tokens:rotate`` when the token making the
        request rotates itself (CONTRACT 9.3)."""
        parent = self.get_parent_token()
        if parent is not None and parent.pk == token.pk:
            return (WRITE, ROTATE)
        return (WRITE,)

    def check_rotation_scopes(self, token: PersonalAccessToken) -> None:
        """Refuse a token whose scopes hold none of :meth:`rotation_scopes`:
        403 ``insufficient_scope``, naming the one scope that would do
        (``tokens:rotate`` for a token rotating itself, else
        ``tokens:write``). A token not restricted by scope, and a session,
        pass. Scopes are read from the token already loaded: no query.
        """
        parent = self.get_parent_token()
        granted = getattr(parent, "scopes", None)
        if granted is None:
            return
        needed = self.rotation_scopes(token)
        if not set(needed) & set(granted):
            least = [needed[-1]]
            raise InsufficientScope(least, least, self.request.method or "POST")

    @action(detail=True, methods=["post"])
    @method_decorator(sensitive_variables("secret", "body"))
    def rotate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = self.rotating if self.rotating is not None else self.get_object()
        request_serializer = self.rotate_serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        request_serializer.is_valid(raise_exception=True)
        try:
            successor, secret = rotation.rotate(
                token,
                parent=self.get_parent_token(),
                by=request.user,  # type: ignore[arg-type]
                **request_serializer.rotate_arguments(),
            )
        except InactiveRequester:
            raise exceptions.AuthenticationFailed(GENERIC_MESSAGE) from None
        except DjangoValidationError as error:
            raise django_errors_to_drf(error) from None
        body = self.get_provision_response_data(successor, secret)
        return Response(body, headers={"Cache-Control": "no-store"})

    @action(detail=False, methods=["get"], url_path="self")
    def current(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = self.get_parent_token()
        if token is None:
            raise exceptions.NotFound(
                gettext("This request was not authenticated with a personal access token.")
            )
        return Response(self.get_serializer(token).data)
