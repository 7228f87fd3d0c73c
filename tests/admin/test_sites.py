"""A project with two admin sites: every page of the token admin on the second
site links within that site, breadcrumbs, redirects and forms included."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from django_pat.models import PersonalAccessToken
from tests.admin.conftest import SECRET_RE, MakeStaff, MakeToken

pytestmark = pytest.mark.urls("tests.urls_two_sites")

SITE = "/other-admin/"
TOKENS = f"{SITE}django_pat/personalaccesstoken/"


def addresses(response: Any) -> list[str]:
    """Every address a page links to or sends a form to on this server, but
    static files and "View site" (the site's own home page)."""
    html = response.content.decode()
    found = re.findall(r'(?:href|action)="(/[^"]*)"', html)
    return [address for address in found if address != "/" and not address.startswith("/static/")]


def assert_within_the_site(response: Any, page: str) -> None:
    assert response.status_code == 200, page
    found = addresses(response)
    assert found, page
    assert [address for address in found if not address.startswith(SITE)] == [], page


@pytest.fixture
def client(make_staff: MakeStaff) -> Client:
    client = Client()
    client.force_login(make_staff("root", superuser=True))
    return client


def test_every_page_of_the_token_admin_links_within_its_site(
    client: Client, make_token: MakeToken, user: User
) -> None:
    token, _ = make_token(name="ci")
    change = f"{TOKENS}{token.pk}/change/"
    pages = {
        "list": client.get(TOKENS),
        "token": client.get(change),
        "find": client.get(f"{TOKENS}find/"),
        "revoke": client.get(f"{TOKENS}{token.pk}/revoke/"),
        "action": client.post(
            TOKENS, {"action": "revoke_selected", "_selected_action": [token.pk]}
        ),
        "provision": client.get(f"{TOKENS}add/"),
        "user": client.get(f"{SITE}auth/user/{user.pk}/change/"),
    }
    for name, page in pages.items():
        assert_within_the_site(page, name)

    breadcrumbs = (f'href="{SITE}"', f'href="{SITE}django_pat/"', f'href="{TOKENS}"')
    for name in ("find", "revoke", "action", "provision"):
        html = pages[name].content.decode()
        assert all(link in html for link in breadcrumbs), name
    assert f'href="{TOKENS}find/"' in pages["list"].content.decode()
    assert f'action="{TOKENS}{token.pk}/revoke/"' in pages["token"].content.decode()
    assert f'href="{change}"' in pages["revoke"].content.decode()
    assert f'href="{change}"' in pages["user"].content.decode()


def test_find_and_revoke_send_back_into_the_same_site(
    client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, secret = token
    change = f"{TOKENS}{token_obj.pk}/change/"

    assert client.post(f"{TOKENS}find/", {"token": secret})["Location"] == change
    assert client.post(f"{TOKENS}{token_obj.pk}/revoke/")["Location"] == change
    missing = client.post(f"{TOKENS}0b5f5a1e-0000-4000-8000-000000000000/revoke/")
    assert missing["Location"] == TOKENS


def test_the_provisioned_page_links_within_its_site(client: Client, user: User) -> None:
    response = client.post(
        f"{TOKENS}add/", {"user": user.pk, "name": "from the other site", "type": "read_only"}
    )

    assert len(SECRET_RE.findall(response.content.decode())) == 1
    assert_within_the_site(response, "provisioned")
    token = PersonalAccessToken.objects.get(name="from the other site")
    html = response.content.decode()
    assert f'href="{TOKENS}{token.pk}/change/"' in html
    assert f'href="{TOKENS}add/"' in html
    assert f'href="{SITE}auth/user/{user.pk}/change/"' in html  # the owner
