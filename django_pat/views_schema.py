"""The endpoints' OpenAPI documentation: what each operation of
:class:`~django_pat.views.PersonalAccessTokenViewSet` takes and answers, as
drf-spectacular publishes it. Kept apart from the views so that either reads
on its own; :data:`token_viewset_schema` decorates the viewset."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from .openapi import LEAKS_TAG, TAG, scopes_sentence
from .openapi_lifecycle import LEAK_ACCEPTED_COMPONENT, LEAK_REPORT_COMPONENT
from .pagination import LinkHeaderPagination
from .scopes import READ, ROTATE, WRITE
from .serializers import (
    ErrorSerializer,
    PersonalAccessTokenSerializer,
    ProvisionSerializer,
    RevokeResponseSerializer,
    RotateSerializer,
)

__all__ = ["leak_report_schema", "token_viewset_schema"]

_ERROR_MEANINGS = {
    400: "Bad Request",
    401: "Not authenticated, or an invalid, expired, revoked or dormant token",
    403: "Not allowed: token used from another address, beyond its type or without a scope "
    'the request needs (with `WWW-Authenticate: Bearer error="insufficient_scope"`); '
    "missing CSRF token",
    404: "Not Found",
    429: "Throttled",
    500: "Internal Server Error",
    503: "Service Unavailable: the database could not be reached, so the request was not "
    "authenticated; try again after the Retry-After header's seconds",
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, _ERROR_MEANINGS[code]) for code in codes}


_TOKEN_ID = OpenApiParameter(
    "token_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The token's id."
)

_LIST_PARAMETERS = [
    OpenApiParameter(
        "active", OpenApiTypes.BOOL, description="Only active, or only inactive, tokens."
    ),
    OpenApiParameter(
        "type",
        {"$ref": "#/components/schemas/PersonalAccessTokenType"},
        description="Only tokens of this type.",
    ),
    OpenApiParameter(
        LinkHeaderPagination.limit_query_param,
        {"type": "integer", "minimum": 1, "maximum": LinkHeaderPagination.max_limit},
        description=f"Page size, 1 to {LinkHeaderPagination.max_limit}. Without it, the whole "
        "list; with it, the Link and X-Total-Count headers.",
    ),
    OpenApiParameter(
        LinkHeaderPagination.offset_query_param,
        {"type": "integer", "minimum": 0, "maximum": LinkHeaderPagination.max_offset},
        description="How many tokens to skip; only with limit.",
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description='With limit: the neighbouring pages (RFC 8288, rel="next" and rel="prev").',
    ),
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[200],
        description="With limit: how many tokens match, on all pages.",
    ),
]


token_viewset_schema = extend_schema_view(
    list=extend_schema(
        operation_id="list_personal_access_tokens",
        summary="List personal access tokens for your account",
        description="Your tokens, newest first, revoked and expired ones included "
        "(with `active: false`). The body is always a JSON array; `limit` and `offset` "
        "page it, with the paging in the `Link` and `X-Total-Count` headers."
        f"\n\n{scopes_sentence([READ])}",
        tags=[TAG],
        parameters=_LIST_PARAMETERS,
        responses={
            200: OpenApiResponse(PersonalAccessTokenSerializer(many=True), "OK"),
            **_errors(400, 401, 403, 404, 429, 500, 503),
        },
    ),
    create=extend_schema(
        operation_id="provision_personal_access_token",
        summary="Provision a personal access token",
        description="Makes a token for your account. The response is the only place the "
        "secret `token` ever appears: store it now. Send only the fields you choose: the "
        "server fills in the rest (their descriptions say how). When a token authenticates "
        "this request, the new token may not outlive it, allow more addresses or more "
        "methods, or have a scope it lacks."
        f"\n\n{scopes_sentence([WRITE])}",
        tags=[TAG],
        request=ProvisionSerializer,
        examples=[
            OpenApiExample(
                "A read-only token for CI",
                value={
                    "name": "ci read-only",
                    "type": "read_only",
                    "ipRestriction": "192.0.2.0/24, 2001:db8::1",
                },
                request_only=True,
            ),
            OpenApiExample("Defaults for the rest", value={"name": "laptop"}, request_only=True),
        ],
        responses={
            200: OpenApiResponse(PersonalAccessTokenSerializer, "OK"),
            **_errors(400, 401, 403, 404, 429, 500, 503),
        },
    ),
    retrieve=extend_schema(
        operation_id="get_personal_access_token",
        summary="Get a personal access token",
        description="One of your tokens, with `token` null. Another user's token, an "
        "unknown id and a malformed one are a 404."
        f"\n\n{scopes_sentence([READ])}",
        tags=[TAG],
        parameters=[_TOKEN_ID],
        responses={
            200: OpenApiResponse(PersonalAccessTokenSerializer, "OK"),
            **_errors(400, 401, 403, 404, 429, 500, 503),
        },
    ),
    destroy=extend_schema(
        operation_id="revoke_personal_access_token",
        summary="Revoke a personal access token",
        description="The token stops working at once and stays in the list with "
        "`active: false`. Revoking it again answers 200 again. Another user's token, an "
        "unknown id and a malformed one are a 404."
        f"\n\n{scopes_sentence([WRITE])}",
        tags=[TAG],
        parameters=[_TOKEN_ID],
        responses={
            200: OpenApiResponse(RevokeResponseSerializer, "OK"),
            **_errors(400, 401, 403, 404, 429, 500, 503),
        },
    ),
    rotate=extend_schema(
        operation_id="rotate_personal_access_token",
        summary="Rotate a personal access token",
        description="Replaces one of your active tokens with a new one: the same name, "
        "type, scopes, IP restriction and description, a new secret (in this response only, as "
        "when provisioning) and a new expiry; `previousId` names the token it replaced. In "
        "the same step the old token is revoked (`revokedReason` `rotated`): its next "
        "request is a 401. The body is optional: nothing, `{}` or a new `expireAt`. A "
        "revoked, expired or dormant token is a 400, and so is the second of two rotations "
        "of one token at once: a token never has two successors. When another token makes "
        "this request, the new token may not outlive it, allow more addresses or more "
        "methods; a token rotating itself is bounded only by the maximum lifetime. Another "
        "user's token, an unknown id and a malformed one are a 404."
        f"\n\nScopes: a token restricted by scope needs `{WRITE}`, or `{ROTATE}` to rotate "
        "itself (which allows nothing else).",
        tags=[TAG],
        parameters=[_TOKEN_ID],
        request=RotateSerializer,
        examples=[
            OpenApiExample("The default expiry", value={}, request_only=True),
        ],
        responses={
            200: OpenApiResponse(PersonalAccessTokenSerializer, "OK"),
            **_errors(400, 401, 403, 404, 429, 500, 503),
        },
    ),
    current=extend_schema(
        operation_id="get_current_personal_access_token",
        summary="Get the personal access token of this request",
        description="The token this request is authenticated with, as the list shows it "
        "(`token` null): a script can learn its own token's id, expiry and limits. A "
        "request authenticated otherwise (a session) is a 404. No scope is needed.",
        tags=[TAG],
        responses={
            200: OpenApiResponse(PersonalAccessTokenSerializer, "OK"),
            **_errors(401, 403, 404, 429, 500, 503),
        },
    ),
)


# POST credentials/revoke (views_leaks.py); numbers written out here, not
# imported from leaks.py, which needs the models this module must not load.
leak_report_schema = extend_schema(
    operation_id="revoke_leaked_credentials",
    summary="Report leaked credentials",
    description="For anyone who finds a token where it should not be (a public repository, "
    "a log, a chat): every token of this site among the values is revoked at once "
    "(`revokedReason` `leaked`) and its owner is emailed. No authentication and no CSRF "
    "token are needed; an `Authorization` header changes nothing. Every well-formed body "
    "is answered 202 with the same message, whether or not anything matched. Throttled "
    "per client address (by default 60 requests an hour); every request counts, a 400 too.",
    tags=[LEAKS_TAG],
    # No authentication: the empty requirement, said outright (linters want one).
    auth=[{}],  # type: ignore[list-item]
    request=inline_serializer(
        LEAK_REPORT_COMPONENT,
        fields={
            "credentials": serializers.ListField(
                child=serializers.CharField(max_length=256, allow_blank=True),
                min_length=1,
                max_length=1000,
                help_text="The values found, 1 to 1000 strings of at most 256 characters.",
            )
        },
    ),
    examples=[
        OpenApiExample(
            "A token found in a public repository",
            value={"credentials": ["pat_0123456789abcdefghijABCDEFGHIJ01xxxxxx"]},
            request_only=True,
        ),
    ],
    responses={
        202: OpenApiResponse(
            inline_serializer(
                LEAK_ACCEPTED_COMPONENT,
                fields={
                    "message": serializers.CharField(),
                    "status": serializers.IntegerField(help_text="The HTTP status, 202."),
                },
            ),
            "Accepted: every token among the values is revoked (the same answer when none is)",
        ),
        **_errors(400, 429, 500),
        503: OpenApiResponse(
            ErrorSerializer,
            "Service Unavailable: the database or the throttle's cache could not be reached; "
            "nothing was revoked, try again after the Retry-After header's seconds",
        ),
    },
)
