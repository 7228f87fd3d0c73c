"""Never the secret, never the digest, on any admin page."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    ADD,
    CHANGELIST,
    FIND,
    SECRET_RE,
    change_url,
    history_url,
    revoke_url,
    user_url,
)

# -- never the secret, never the digest --------------------------------------


def every_admin_page(
    client: Client, states: dict[str, PersonalAccessToken], user: User
) -> Iterator[tuple[str, str]]:
    token = states["used"]
    pages = [
        CHANGELIST,
        f"{CHANGELIST}?q=alice&status=active",
        change_url(token),
        change_url(states["revoked"]),
        history_url(token),
        revoke_url(token),
        FIND,
        ADD,
        user_url(user),
        reverse("admin:index"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        yield url, response.content.decode()
    action = client.post(CHANGELIST, {"action": "revoke_selected", "_selected_action": [token.pk]})
    yield "revoke confirmation", action.content.decode()


def test_no_admin_page_shows_a_secret_or_a_digest(
    superuser_client: Client, states: dict[str, PersonalAccessToken], user: User
) -> None:
    digests = [token.digest for token in states.values()]
    seen = 0
    for url, html in every_admin_page(superuser_client, states, user):
        seen += 1
        assert not SECRET_RE.search(html), url
        assert not [digest for digest in digests if digest in html], url
        assert not re.search(r"\b[0-9a-f]{64}\b", html), url
    assert seen == 11


def test_no_admin_page_shows_the_secret_of_a_token_it_found(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    found = superuser_client.post(FIND, {"token": secret}, follow=True)
    assert found.redirect_chain == [(change_url(token_obj), 302)]
    assert secret not in found.content.decode()
    assert token_obj.digest not in found.content.decode()
