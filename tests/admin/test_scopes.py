"""Scopes in the admin: the list's column and filter, a token's page, the
user inline, and choosing scopes when provisioning."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    ADD,
    ADD_PERM,
    CHANGELIST,
    VIEW,
    FormFields,
    MakeToken,
    change_url,
    listed,
    user_url,
)
from tests.admin.test_changelist import cells

PACKAGES = {
    "SCOPES": {
        "packages:read": "Download packages.",
        "packages:write": "Publish packages <b>and</b> their files.",
    }
}


@pytest.fixture(autouse=True)
def _scopes(settings: Any) -> None:
    settings.DJANGO_PAT = PACKAGES


@pytest.fixture
def scoped(user: User, make_token: MakeToken) -> dict[str, PersonalAccessToken]:
    return {
        "any": make_token(name="any")[0],
        "none": make_token(name="none", scopes=[])[0],
        "read": make_token(name="read", scopes=["packages:read"])[0],
        "both": make_token(name="both", scopes=["packages:write", "packages:read"])[0],
        "tokens": make_token(name="tokens", scopes=["tokens:read"])[0],
    }


def test_the_list_shows_each_tokens_scopes_with_its_access(
    superuser_client: Client, scoped: dict[str, PersonalAccessToken]
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()

    # Under the access column's type and addresses: what the token may reach.
    shown = {name: cells(html, token)["access"] for name, token in scoped.items()}
    assert shown == {
        "any": "read_write from any address any scope",
        "none": "read_write from any address no scope",
        "read": "read_write from any address packages:read",
        "both": "read_write from any address packages:read packages:write",
        "tokens": "read_write from any address tokens:read",
    }
    # Each scope's description on hover, escaped.
    assert 'title="Download packages.">packages:<wbr>read</code>' in html
    assert "Publish packages &lt;b&gt;and&lt;/b&gt; their files." in html


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("-any", {"any"}),
        ("-none", {"none"}),
        ("packages:read", {"read", "both"}),
        ("packages:write", {"both"}),
        ("tokens:read", {"tokens"}),
        ("tokens:write", set()),
        ("packages", set()),
        ("%", set()),
        ("_", set()),
    ],
)
def test_the_scope_filter(
    superuser_client: Client, scoped: dict[str, PersonalAccessToken], value: str, names: set[str]
) -> None:
    response = superuser_client.get(CHANGELIST, {"scope": value})

    assert response.status_code == 200
    assert set(listed(response)) == names


def test_the_scope_filter_offers_every_scope(superuser_client: Client, db: None) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()

    for choice in ("Not restricted by scope", "No scope at all", "tokens:rotate", "packages:write"):
        assert f">{choice}</a>" in html, choice


def test_the_filtered_list_costs_no_more_queries(
    superuser_client: Client, make_token: MakeToken, user: User
) -> None:
    url = f"{CHANGELIST}?scope=packages:read"
    make_token(name="first", scopes=["packages:read"])
    with CaptureQueriesContext(connection) as few:
        superuser_client.get(url)
    for n in range(20):
        make_token(name=f"token {n}", scopes=["packages:read", "tokens:read"])

    with CaptureQueriesContext(connection) as many:
        response = superuser_client.get(url)

    assert len(listed(response)) == 21
    assert len(many) == len(few)


def test_a_tokens_page_and_the_user_inline_show_its_scopes(
    superuser_client: Client, scoped: dict[str, PersonalAccessToken], user: User
) -> None:
    page = superuser_client.get(change_url(scoped["both"])).content.decode()
    unrestricted = superuser_client.get(change_url(scoped["any"])).content.decode()
    inline = superuser_client.get(user_url(user)).content.decode()

    assert re.search(r"field-scopes_display.*packages:<wbr>read.*packages:<wbr>write", page, re.S)
    assert re.search(r"field-scopes_display.*not restricted", unrestricted, re.S)
    assert "packages:<wbr>write" in inline


# -- provisioning ------------------------------------------------------------------


def form_fields(client: Client, **query: Any) -> dict[str, list[str]]:
    parser = FormFields("personalaccesstoken_form")
    parser.feed(client.get(ADD, query).content.decode())
    return parser.data


def test_the_form_offers_every_scope_with_its_description(
    client_with: Callable[..., Client], user: User
) -> None:
    html = client_with(VIEW, ADD_PERM).get(ADD).content.decode()

    for name, description in [
        ("tokens:read", "List your personal access tokens and look one up."),
        ("tokens:rotate", "Rotate this token itself, and nothing else."),
        ("packages:read", "Download packages."),
        ("packages:write", "Publish packages &lt;b&gt;and&lt;/b&gt; their files."),
    ]:
        assert re.search(
            rf'<input type="checkbox" name="scopes" value="{name}"[^>]*>\s*{name}: {description}',
            html,
        ), name
    assert "Limit to scopes" in html


@pytest.mark.parametrize(
    ("default", "limited", "ticked"),
    # [""]: ticked (the checkbox has no value of its own).
    [(None, [], []), (["packages:read"], [""], ["packages:read"]), ([], [""], [])],
)
def test_the_form_starts_from_the_default_scopes(
    superuser_client: Client, settings: Any, default: Any, limited: list[str], ticked: list[str]
) -> None:
    settings.DJANGO_PAT = {**PACKAGES, "DEFAULT_SCOPES": default}

    fields = form_fields(superuser_client)

    assert fields.get("limit_scopes", []) == limited
    assert fields.get("scopes", []) == ticked


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ({}, None),
        ({"limit_scopes": "on"}, []),
        ({"limit_scopes": "on", "scopes": ["packages:write", "tokens:read"]}, None),
    ],
)
def test_provisioning_with_scopes(
    superuser_client: Client, user: User, sent: dict[str, Any], kept: Any
) -> None:
    response = superuser_client.post(
        ADD, {"user": user.pk, "name": "ci", "type": "read_write", **sent}
    )

    assert response.status_code == 200, response.content
    token = PersonalAccessToken.objects.get(name="ci")
    expected = sorted(sent["scopes"]) if "scopes" in sent else kept
    assert token.scopes == expected


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        (
            {"scopes": ["packages:read"]},
            "limit_scopes",
            "Tick &#x27;Limit to scopes&#x27; to give the token only the scopes ticked",
        ),
        (
            {"limit_scopes": "on", "scopes": ["packages:delete"]},
            "scopes",
            "Select a valid choice. packages:delete is not one of the available choices.",
        ),
    ],
)
def test_scopes_the_form_refuses(
    superuser_client: Client, user: User, sent: dict[str, Any], field: str, message: str
) -> None:
    response = superuser_client.post(
        ADD, {"user": user.pk, "name": "ci", "type": "read_write", **sent}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["adminform"].form.errors
    assert not PersonalAccessToken.objects.exists()
