"""Regressions an outsider's review found in the leak endpoints, the German
catalogue and when a use is recorded; each failed before its fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import translation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from django_pat.models import PersonalAccessToken
from django_pat.permissions import HasRequiredScopes
from tests.test_github_scanning import KEY_ID, new_key, signed

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_pat.middleware.PersonalAccessTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]


class ComposedScopes(APIView):
    """A project view composing the permission with DRF's operators."""

    permission_classes = (IsAuthenticated & HasRequiredScopes,)  # type: ignore[operator]
    required_scopes = ["tokens:write"]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [path("composed", ComposedScopes.as_view()), path("", include("tests.urls"))]


def stored(token: PersonalAccessToken) -> PersonalAccessToken:
    return PersonalAccessToken.objects.get(pk=token.pk)


@override_settings(MIDDLEWARE=MIDDLEWARE)
@pytest.mark.parametrize("scopes", [None, ["tokens:read"]], ids=["unscoped", "scoped"])
def test_behind_the_middleware_a_valid_token_in_the_header_changes_nothing(
    make_token: MakeToken, scopes: Any
) -> None:
    # CONTRACT 9.5: "an Authorization header, valid or not, changes nothing".
    reporter, reporter_secret = make_token(scopes=scopes)
    leaked = make_token()[1]
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(
            "/api/credentials/revoke",
            {"credentials": [leaked]},
            content_type="application/json",
            headers={"Authorization": f"Bearer {reporter_secret}"},
        )
    assert response.status_code == 202
    assert stored(reporter).last_used_at is None
    assert stored(reporter).last_used_ip is None
    token_writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(token_writes) == 1  # the revocation only


@override_settings(ROOT_URLCONF=__name__)
def test_a_scope_refusal_under_a_composed_permission_does_not_count(
    make_token: MakeToken, client_for: Callable[[str], APIClient]
) -> None:
    # CONTRACT 8: "a refused use (401, 403) never counts".
    token, secret = make_token(scopes=["tokens:read"])
    assert client_for(secret).get("/composed").status_code == 403
    assert stored(token).last_used_at is None


@pytest.mark.parametrize(
    ("target", "body", "status"),
    [("unknown", {}, 404), ("self", {"bogus": 1}, 400)],
    ids=["404", "400"],
)
def test_a_scoped_tokens_rotate_request_that_is_not_refused_still_counts(
    make_token: MakeToken,
    client_for: Callable[[str], APIClient],
    target: str,
    body: Any,
    status: int,
) -> None:
    # A token not restricted by scope records these; a scoped one loses them.
    token, secret = make_token(scopes=["tokens:write"])
    token_id = token.pk if target == "self" else "00000000-0000-0000-0000-000000000000"
    url = f"/api/personal-access-tokens/{token_id}/rotate"
    assert client_for(secret).post(url, body, format="json").status_code == status
    assert stored(token).last_used_at is not None


def test_a_signed_github_alert_with_a_lone_surrogate_is_not_a_500() -> None:
    private, pem = new_key()
    body = json.dumps([{"token": "\ud800", "type": "t", "url": "u"}]).encode()
    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": {KEY_ID: pem}}):
        response = APIClient().post(
            "/api/credentials/github-secret-scanning",
            body,
            content_type="application/json",
            HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER=KEY_ID,
            HTTP_GITHUB_PUBLIC_KEY_SIGNATURE=signed(body, private),
        )
    assert response.status_code == 400


def test_an_unknown_token_id_is_answered_in_german(api: APIClient) -> None:
    url = "/api/personal-access-tokens/00000000-0000-0000-0000-000000000000"
    try:
        with translation.override("de"):
            message = api.get(url).json()["message"]
    finally:
        translation.activate("en-us")
    assert message == "Nicht gefunden."


def test_a_thousand_values_of_256_characters_are_well_formed_whatever_the_characters(
    anon_client: APIClient, db: None
) -> None:
    # CONTRACT 9.5: 1 to 1000 strings of at most 256 characters is well-formed: 202.
    body = json.dumps({"credentials": ["\U0001f600" * 256] * 1000})
    response = anon_client.post("/api/credentials/revoke", body, content_type="application/json")
    assert response.status_code == 202, response.json()


def test_the_owners_leak_email_is_in_the_sites_language_not_the_reporters(
    anon_client: APIClient,
    make_token: MakeToken,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, secret = make_token()

    with django_capture_on_commit_callbacks(execute=True):
        response = anon_client.post(
            "/api/credentials/revoke",
            {"credentials": [secret]},
            format="json",
            HTTP_ACCEPT_LANGUAGE="de",
        )

    assert response.status_code == 202
    (email,) = mailoutbox
    with translation.override("en-us"):
        english = email.subject
    assert "widerrufen" not in english.lower()
    assert "revoked" in english.lower()
