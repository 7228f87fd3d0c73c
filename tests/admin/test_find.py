"""Find a token by its value: by POST, never echoed, never logged."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_pat import tokens
from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    CHANGELIST,
    FIND,
    VIEW,
    change_url,
)

# -- find a token by its value ---------------------------------------------


def test_finding_a_token_by_its_value_goes_to_its_page(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    response = superuser_client.post(FIND, {"token": secret})

    assert response.status_code == 302
    assert response["Location"] == change_url(token_obj)
    page = superuser_client.get(response["Location"])
    html = page.content.decode()
    assert secret not in html
    assert f"That value is the token 'ci' ({token_obj.display_prefix}) of alice." in html


def test_surrounding_whitespace_of_a_pasted_token_is_ignored(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    response = superuser_client.post(FIND, {"token": f"  {secret}\n"})
    assert response["Location"] == change_url(token_obj)


def test_a_revoked_token_is_found_too(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    token_obj.revoke()
    assert superuser_client.post(FIND, {"token": secret})["Location"] == change_url(token_obj)


def test_a_well_formed_value_that_is_no_token_here_is_told_so(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    unknown = tokens.generate("pat")
    response = superuser_client.post(FIND, {"token": unknown})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No token with this value exists here" in html
    assert unknown not in html
    assert re.search(r'<input type="text" name="token"(?![^>]*value=)[^>]*>', html)


NOT_A_TOKEN = "This is not a token of this site"
MALFORMED = [
    pytest.param("", "This field is required", id="empty"),
    pytest.param("   ", "This field is required", id="blank"),
    pytest.param("pat_", NOT_A_TOKEN, id="prefix only"),
    pytest.param("pat_abc", NOT_A_TOKEN, id="short"),
    pytest.param("ghp_" + "a" * 38, NOT_A_TOKEN, id="another prefix"),
    pytest.param("x" * 10_000, NOT_A_TOKEN, id="huge"),
    pytest.param("pat_" + "é" * 38, NOT_A_TOKEN, id="not ascii"),
    pytest.param("pat_" + "a" * 37 + "\x00", "Null characters are not allowed", id="nul"),
]


@pytest.mark.parametrize(("value", "message"), MALFORMED)
def test_a_malformed_value_is_told_so_without_a_query(
    superuser_client: Client, value: str, message: str
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.post(FIND, {"token": value})

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert not [q for q in queries if "django_pat_personalaccesstoken" in q["sql"]]
    if len(value.strip()) > len("pat_"):
        assert value not in html


def test_a_token_with_a_wrong_checksum_is_malformed(superuser_client: Client) -> None:
    value = tokens.generate("pat")
    wrong = value[:-1] + ("A" if value[-1] != "A" else "B")
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.post(FIND, {"token": wrong})
    assert "This is not a token of this site" in response.content.decode()
    assert not [q for q in queries if "django_pat_personalaccesstoken" in q["sql"]]


def test_the_find_page_never_logs_the_value(
    superuser_client: Client,
    token: tuple[PersonalAccessToken, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, secret = token
    unknown = tokens.generate("pat")
    with caplog.at_level("DEBUG"):
        superuser_client.post(FIND, {"token": secret})
        superuser_client.post(FIND, {"token": unknown})
        superuser_client.get(CHANGELIST, {"q": secret})
    assert secret not in caplog.text
    assert unknown not in caplog.text


def test_find_is_for_staff_who_may_view_tokens(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    assert client_with(VIEW).post(FIND, {"token": secret})["Location"] == change_url(token_obj)
    assert client_with().post(FIND, {"token": secret}).status_code == 403
    anonymous = Client().post(FIND, {"token": secret})
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]


def test_find_needs_the_csrf_token(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    client = client_with(VIEW, enforce_csrf_checks=True)
    assert client.post(FIND, {"token": token[1]}).status_code == 403
