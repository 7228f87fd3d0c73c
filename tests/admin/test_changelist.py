"""The token list: its columns, filters, search and owner links, and what it
costs in queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_pat import tokens
from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    CHANGELIST,
    FIND,
    MakeToken,
    listed,
)

# -- the list ---------------------------------------------------------------


def cells(html: str, token: PersonalAccessToken) -> dict[str, str]:
    """The text of each cell of ``token``'s row on a list page, by column."""
    row = next(r for r in html.split("<tr") if token.display_prefix in r)
    found = re.findall(r'<t[dh] class="field-([a-z_]+)">(.*?)</t[dh]>', row, re.S)
    return {
        column: " ".join(re.sub(r"<[^>]+>", " ", content.replace("<wbr>", "")).split())
        for column, content in found
    }


def test_the_list_shows_each_token_with_its_owner_type_status_and_dates(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    response = superuser_client.get(CHANGELIST)
    html = response.content.decode()

    assert response.status_code == 200
    assert set(listed(response)) == set(states)
    for heading in ("Owner", "Name", "Access", "Status", "Created", "Last used"):
        assert f">{heading}<" in html
    used = states["used"]
    assert cells(html, used) == {
        "owner": "alice",
        "name_and_prefix": f"used {used.display_prefix}",
        "access": "read_write from 10.0.0.0/8 any scope",
        "status_and_expiry": "active expires in 2 months",
        "created": used.created_at.strftime("%Y-%m-%d"),
        "last_used": "just now",
    }
    assert cells(html, states["fresh"])["access"] == "read_only from any address any scope"
    assert cells(html, states["revoked"])["status_and_expiry"] == "revoked revoked just now"
    assert cells(html, states["expired"])["status_and_expiry"] == "expired expired 1 day ago"
    assert cells(html, states["never"])["status_and_expiry"] == "active never expires"
    assert cells(html, states["dormant"])["status_and_expiry"] == (
        "user inactive expires in 2 months"
    )


def test_long_owners_and_address_lists_may_wrap_and_are_escaped(
    superuser_client: Client, make_token: MakeToken
) -> None:
    owner = User.objects.create_user("<b>margaret.hamilton</b>@example.com")
    token, _ = make_token(owner, ip_restriction="2001:db8::/32,10.0.0.0/8")

    html = superuser_client.get(CHANGELIST).content.decode()

    assert "&lt;b&gt;margaret.<wbr>hamilton&lt;/b&gt;@<wbr>example.<wbr>com" in html
    assert "<b>" not in html
    assert "from 2001:<wbr>db8::<wbr>/32, 10.0.0.0/8" in html
    assert cells(html, token)["owner"] == "&lt;b&gt;margaret.hamilton&lt;/b&gt;@example.com"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("fresh", "active"),
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("dormant", "user inactive"),
    ],
)
def test_each_status_has_its_own_look(
    superuser_client: Client, states: dict[str, PersonalAccessToken], name: str, status: str
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()
    row = next(r for r in html.split("<tr") if states[name].display_prefix in r)
    css = status.replace("user inactive", "user_inactive")
    assert f'<span class="pat-status pat-status-{css}">{status}</span>' in row


def test_dates_read_as_how_long_ago_with_the_exact_time_on_hover(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()

    def row(name: str) -> str:
        return next(r for r in html.split("<tr") if states[name].display_prefix in r)

    assert ">just now</time>" in row("used")
    assert re.search(r">in (2|3)\xa0days</time>", row("soon"))
    assert re.search(r">1\xa0day ago</time>", row("expired"))
    assert "never expires" in row("never")
    assert '<span class="pat-muted">never</span>' in row("fresh")  # never used
    assert f'datetime="{states["used"].last_used_at.isoformat()}"' in row("used")
    assert f'datetime="{states["soon"].expire_at.isoformat()}"' in row("soon")


def test_the_newest_tokens_come_first(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    names = listed(superuser_client.get(CHANGELIST))
    assert names[-1] == "expired"  # created 400 days ago
    assert names[0] == "dormant"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=active", {"fresh", "used", "soon", "never"}),
        ("status=revoked", {"revoked"}),
        ("status=expired", {"expired"}),
        ("status=inactive", {"revoked", "expired", "dormant"}),
        ("type=read_only", {"fresh", "soon"}),
        ("type=read_write", {"used", "revoked", "expired", "never", "dormant"}),
        ("expires=7d", {"soon"}),
        ("expires=past", {"expired"}),
        ("expires=never", {"never"}),
        ("used=7d", {"used"}),
        ("used=stale", {"expired"}),
        ("used=never", {"fresh", "revoked", "soon", "never", "dormant"}),
        ("status=active&type=read_only", {"fresh", "soon"}),
    ],
)
def test_filters(
    superuser_client: Client,
    states: dict[str, PersonalAccessToken],
    query: str,
    expected: set[str],
) -> None:
    response = superuser_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert set(listed(response)) == expected


def test_the_status_filter_uses_the_models_own_rules(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    tokens_ = PersonalAccessToken.objects
    for value, rule in [
        ("active", tokens_.active),
        ("revoked", tokens_.revoked),
        ("expired", tokens_.expired),
        ("inactive", tokens_.inactive),
    ]:
        response = superuser_client.get(f"{CHANGELIST}?status={value}")
        assert set(listed(response)) == {token.name for token in rule()}


def test_the_created_date_filter(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()
    links = {
        label: href.replace("&amp;", "&")
        for href, label in re.findall(r'<a href="(\?created_at__[^"]+)">([^<]+)</a>', html)
    }
    recent = listed(superuser_client.get(CHANGELIST + links["Past 7 days"]))
    assert set(recent) == set(states) - {"expired"}


def test_the_owner_link_lists_only_that_users_tokens(
    superuser_client: Client, states: dict[str, PersonalAccessToken], other_user: User
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()
    assert f'href="?owner={other_user.pk}"' in html

    response = superuser_client.get(f"{CHANGELIST}?owner={other_user.pk}")
    assert set(listed(response)) == {"expired", "soon", "never"}
    assert "bob" in response.content.decode()  # the filter names whom it shows


@pytest.mark.parametrize("owner", ["999999", "not-a-number", ""])
def test_an_owner_filter_that_names_no_user_shows_nothing(
    superuser_client: Client, states: dict[str, PersonalAccessToken], owner: str
) -> None:
    response = superuser_client.get(f"{CHANGELIST}?owner={owner}")
    assert response.status_code == 200
    assert listed(response) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alice", {"fresh", "used", "revoked"}),
        ("bob@example.com", {"expired", "soon", "never"}),
        ("revoked", {"revoked"}),
        ("nothing-like-it", set()),
    ],
)
def test_search_by_owner_name_email_and_token_name(
    superuser_client: Client,
    states: dict[str, PersonalAccessToken],
    query: str,
    expected: set[str],
) -> None:
    response = superuser_client.get(CHANGELIST, {"q": query})
    assert set(listed(response)) == expected


def test_search_by_display_prefix(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    token = states["soon"]
    response = superuser_client.get(CHANGELIST, {"q": token.display_prefix})
    assert token.name in listed(response)


def test_the_list_offers_find_by_value_and_posts_whole_tokens_there(
    superuser_client: Client,
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()
    assert f'href="{FIND}"' in html
    form = re.search(r'<form id="pat-find-form"[^>]*>', html)
    assert form is not None
    assert 'method="post"' in form.group(0)
    assert f'action="{FIND}"' in form.group(0)
    pattern = re.search(r'data-token-pattern="([^"]+)"', form.group(0))
    assert pattern is not None
    # The script looks for a token anywhere in the search, as the server does.
    secret = tokens.generate("pat")
    found = re.search(pattern.group(1), f"Bearer {secret}.", re.IGNORECASE)
    assert found is not None
    assert found.group(0) == secret
    assert not re.search(pattern.group(1), "pat_abcd", re.IGNORECASE)


def test_the_list_costs_the_same_queries_for_any_number_of_rows(
    superuser_client: Client,
    make_token: MakeToken,
    django_assert_num_queries: Any,
) -> None:
    owner = User.objects.create_user("first")
    make_token(owner, name="one")
    urls = [CHANGELIST, f"{CHANGELIST}?status=active&q=o", f"{CHANGELIST}?owner={owner.pk}"]
    costs = {}
    for url in urls:
        with CaptureQueriesContext(connection) as few:
            assert superuser_client.get(url).status_code == 200
        costs[url] = len(few)

    for n in range(30):
        someone = User.objects.create_user(f"owner{n}")
        made, _ = make_token(someone, name=f"token {n}", ip_restriction="10.0.0.0/8")
        if n % 3 == 0:
            made.revoke()
        if n % 5 == 0:
            User.objects.filter(pk=someone.pk).update(is_active=False)
        make_token(owner, name=f"own {n}")

    for url in urls:
        with django_assert_num_queries(costs[url]):
            response = superuser_client.get(url)
        assert len(listed(response)) > 10
