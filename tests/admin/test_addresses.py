"""Tokens kept out of the admin's addresses: a search, or any parameter,
holding something shaped like a token is dropped, not searched for, not
shown back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    ADD,
    CHANGELIST,
    SECRET_RE,
    change_url,
    messages_of,
)


def _body(secret: str) -> str:
    """The part of a token that gives it away, whatever its prefix's case."""
    return secret[len("pat_") :].lower()


def assert_diverted(client: Client, response: Any, secret: str, location: str) -> None:
    """The request was sent on to ``location``, whose page shows no trace of the token."""
    assert response.status_code == 302
    assert response["Location"] == location
    assert _body(secret) not in response["Location"].lower()
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert _body(secret) not in html.lower()
    assert not SECRET_RE.search(html)
    assert any("Find a token by its value" in message for message in messages_of(page))


# How a token reaches the search box: alone, or in whatever was copied with it.
@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{}", id="whole token"),
        pytest.param("  {}\n", id="whole token, spaced"),
        pytest.param("Bearer {}", id="bearer"),
        pytest.param("BEARER {}", id="bearer upper-case"),
        pytest.param("Authorization: Bearer {}", id="header line"),
        pytest.param("{}.", id="trailing full stop"),
        pytest.param('"{}"', id="quoted"),
        pytest.param("token={}", id="assignment"),
        pytest.param("alice\n{}\nbob", id="newline-separated"),
        pytest.param("see:{}!", id="punctuation both sides"),
        pytest.param("x{}y", id="letters both sides"),
        pytest.param("Bearer%20{}", id="percent-encoded text"),
    ],
)
def test_a_search_holding_a_token_is_not_searched_for_nor_shown_back(
    superuser_client: Client, token: tuple[PersonalAccessToken, str], template: str
) -> None:
    _, secret = token
    response = superuser_client.get(CHANGELIST, {"q": template.format(secret), "status": "active"})
    assert_diverted(superuser_client, response, secret, f"{CHANGELIST}?status=active")


def _wrong_checksum(secret: str) -> str:
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda secret: "PAT" + secret[3:], id="prefix upper-cased"),
        pytest.param(str.upper, id="all upper-cased"),
        pytest.param(_wrong_checksum, id="wrong checksum"),
        pytest.param(lambda secret: secret + "Zz9", id="longer run"),
        pytest.param(lambda secret: secret.replace("_", "%5F"), id="underscore encoded"),
        pytest.param(lambda secret: secret.replace("_", "%5f"), id="lower-case encoding"),
    ],
)
def test_a_search_holding_anything_shaped_like_a_token_is_diverted(
    superuser_client: Client,
    token: tuple[PersonalAccessToken, str],
    mangle: Callable[[str], str],
) -> None:
    # Shape, not validity: what a secret scanner would flag is what must not
    # land in a URL, and a slightly mangled token still gives the secret away.
    _, secret = token
    response = superuser_client.get(CHANGELIST, {"q": mangle(secret)})
    assert_diverted(superuser_client, response, secret, CHANGELIST)


def test_a_token_percent_encoded_in_the_address_itself_is_diverted(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    _, secret = token
    encoded = "".join(f"%{ord(c):02X}" for c in f"Bearer {secret}.")
    response = superuser_client.get(f"{CHANGELIST}?o=2&q={encoded}")
    assert_diverted(superuser_client, response, secret, f"{CHANGELIST}?o=2")


def test_a_token_in_any_parameter_of_the_list_is_dropped_with_it(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    _, secret = token
    response = superuser_client.get(
        f"{CHANGELIST}?q=alice&q=Bearer+{secret}&owner={secret}&status=active"
    )
    assert_diverted(superuser_client, response, secret, f"{CHANGELIST}?status=active")


def test_a_token_in_the_address_of_a_token_page_is_dropped(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    filters = f"q%3DBearer%2B{secret}%26status%3Dactive"
    response = superuser_client.get(f"{change_url(token_obj)}?_changelist_filters={filters}")
    assert_diverted(superuser_client, response, secret, change_url(token_obj))

    response = superuser_client.get(ADD, {"name": f"Bearer {secret}", "type": "read_only"})
    assert_diverted(superuser_client, response, secret, f"{ADD}?type=read_only")


def test_a_token_pasted_as_the_id_to_revoke_is_not_shown_back(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    _, secret = token
    url = reverse("admin:django_pat_personalaccesstoken_revoke", args=[secret])
    response = superuser_client.post(url, follow=True)
    assert messages_of(response) == ["No personal access token has that ID."]
    assert _body(secret) not in response.content.decode().lower()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("pat_", id="the prefix"),
        pytest.param("pat_" + "a" * 37, id="one character short"),
        pytest.param("ghp_" + "a" * 38, id="another prefix"),
        pytest.param("pat-" + "a" * 38, id="another separator"),
        pytest.param("pat_" + "a" * 18 + " " + "a" * 19, id="split by a space"),
    ],
)
def test_a_search_that_only_looks_a_little_like_a_token_is_searched_for(
    superuser_client: Client, token: tuple[PersonalAccessToken, str], query: str
) -> None:
    response = superuser_client.get(CHANGELIST, {"q": query})
    assert response.status_code == 200
    assert response.context["cl"].query == query
