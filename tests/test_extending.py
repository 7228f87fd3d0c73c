"""The docs' "Extending" page (docs/extending.md): the viewset's hooks and a
profile model with fields of the project's own (tests/extending/, the page's
code as it stands), served
at /api/ by this module's URLconf; and provisioning under ATOMIC_REQUESTS,
where a view that fails after provisioning leaves no token and no signal."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import include, path
from django.utils import timezone
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken
from django_pat.signals import token_provisioned
from django_pat.views import PersonalAccessTokenViewSet
from tests.conftest import LIST_URL, detail_url
from tests.extending.models import TokenProfile

ROOT = Path(__file__).resolve().parent.parent
MakeToken = Callable[..., tuple[PersonalAccessToken, str]]


class RefusingViewSet(PersonalAccessTokenViewSet):
    """A project rule that refuses the request after the token was made."""

    def provision(self, **arguments: Any) -> tuple[PersonalAccessToken, str]:
        super().provision(**arguments)
        raise ValidationError({"name": "This project refuses the name after making the token."})


urlpatterns = [
    path("api/", include("tests.extending.urls")),
    path("refusing", RefusingViewSet.as_view({"post": "create"})),
]

pytestmark = pytest.mark.urls(__name__)


def provision(client: APIClient, body: dict[str, Any], url: str = LIST_URL) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def provisioned() -> Iterator[list[dict[str, Any]]]:
    """Every token_provisioned signal, with the team its receiver could read."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, token: PersonalAccessToken, **kwargs: Any) -> None:
        profile = TokenProfile.objects.filter(token=token).first()
        sent.append({"token": token, "team": profile.team if profile else None})

    token_provisioned.connect(receiver, weak=False)
    yield sent
    token_provisioned.disconnect(receiver)


# --- the docs' example is the code that runs here --------------------------------


def docs_blocks() -> dict[str, str]:
    text = (ROOT / "docs" / "extending.md").read_text()
    return dict(
        re.findall(r"In `tokens/(\w+\.py)`:\s*(?:<!--.*?-->\s*)?```python\n(.*?)```", text, re.S)
    )


@pytest.mark.parametrize("module", ["models.py", "views.py", "urls.py"])
def test_the_docs_show_the_code_these_tests_run(module: str) -> None:
    text = (ROOT / "tests" / "extending" / module).read_text()
    code = text[text.index('"""', 3) + 3 :].lstrip("\n")

    assert docs_blocks()[module] == code


# --- the hooks --------------------------------------------------------------------


def test_provisioning_stores_the_projects_field_and_applies_its_defaults(
    api: APIClient, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = provision(api, {"name": "deploy", "team": "platform"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["team"] == "platform"
    assert body["docs"] == "https://example.com/docs/tokens"
    assert body["token"].startswith("pat_")
    assert body["type"] == "read_only"
    assert response["Cache-Control"] == "no-store"
    stored = PersonalAccessToken.objects.get(pk=body["id"])
    assert stored.user == user
    assert stored.profile.team == "platform"
    assert stored.expire_at is not None
    assert before + timedelta(days=7) <= stored.expire_at <= timezone.now() + timedelta(days=7)


def test_what_the_request_sends_wins_over_the_defaults(api: APIClient) -> None:
    expire_at = (timezone.now() + timedelta(days=30)).isoformat()

    response = provision(
        api, {"name": "nightly", "team": "qa", "type": "read_write", "expireAt": expire_at}
    )

    assert response.status_code == 200, response.content
    assert response.json()["type"] == "read_write"
    assert response.json()["expireAt"].startswith(expire_at[:16])


def test_a_default_is_checked_like_what_the_client_sends(
    make_token: MakeToken, client_for: Callable[[str], APIClient]
) -> None:
    """Under a parent that expires in a day, the week-long default is beyond it."""
    _parent, secret = make_token(expire_at=timezone.now() + timedelta(days=1))

    response = provision(client_for(secret), {"name": "child", "team": "qa"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"expireAt"}
    assert PersonalAccessToken.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "ci"}, "team"),
        ({"name": "ci", "team": "t" * 51}, "team"),
        ({"name": "ci", "team": "qa", "tema": "qa"}, "tema"),
    ],
    ids=["missing", "too long", "unknown field"],
)
def test_the_projects_field_is_validated(api: APIClient, body: dict[str, Any], field: str) -> None:
    response = provision(api, body)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not TokenProfile.objects.exists()


def test_every_response_shows_the_projects_field(
    api: APIClient, token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    made = provision(api, {"name": "deploy", "team": "platform"}).json()

    with django_assert_num_queries(2):  # the token with its user, the list with profiles
        listed = api.get(LIST_URL).json()
    shown = api.get(detail_url(made["id"])).json()

    assert {item["name"]: item["team"] for item in listed} == {"deploy": "platform", "ci": None}
    assert shown["team"] == "platform"
    assert shown["token"] is None
    assert "docs" not in shown


def test_revoking_and_the_json_404s_still_work(api: APIClient) -> None:
    made = provision(api, {"name": "deploy", "team": "platform"}).json()

    assert api.delete(detail_url(made["id"]) + "/").status_code == 200
    assert api.get(detail_url(made["id"])).json()["active"] is False
    for missing in (detail_url("not-a-uuid"), f"{LIST_URL}/a/b"):
        response = api.get(missing)
        assert response.status_code == 404
        assert response.json() == {"message": "Not found.", "status": 404}


def test_receivers_see_the_profile_made_in_the_same_transaction(
    api: APIClient, provisioned: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        body = provision(api, {"name": "deploy", "team": "platform"}).json()

    assert [(str(s["token"].pk), s["team"]) for s in provisioned] == [(body["id"], "platform")]


# --- a view that fails after provisioning -----------------------------------------


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)


def test_under_atomic_requests_a_failed_request_leaves_no_token_and_no_signal(
    atomic_requests: None,
    api: APIClient,
    provisioned: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = provision(api, {"name": "undone"}, url="/refusing")

    assert response.status_code == 400
    assert not PersonalAccessToken.objects.filter(name="undone").exists()
    assert provisioned == []


@pytest.mark.django_db(transaction=True)
def test_under_atomic_requests_on_a_real_transaction(
    atomic_requests: None,
    token: tuple[PersonalAccessToken, str],
    client_for: Callable[[str], APIClient],
    provisioned: list[dict[str, Any]],
) -> None:
    client = client_for(token[1])

    refused = provision(client, {"name": "undone"}, url="/refusing")
    made = provision(client, {"name": "kept", "team": "qa"})

    assert refused.status_code == 400
    assert made.status_code == 200
    assert list(PersonalAccessToken.objects.values_list("name", flat=True)) == ["kept", "ci"]
    assert [(s["token"].name, s["team"]) for s in provisioned] == [("kept", "qa")]
