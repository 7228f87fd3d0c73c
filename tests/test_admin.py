"""The token admin through Django's test client: what staff see, find, revoke
and provision, who may do which, what it costs, and that neither the secret
nor its digest ever reaches a page it should not."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from django_pat import tokens
from django_pat.admin import (
    PersonalAccessTokenAdmin,
    PersonalAccessTokenInline,
    attach_user_inline,
    validate_provisioning_for,
)
from django_pat.models import PersonalAccessToken
from django_pat.signals import token_revoked

from .conftest import LIST_URL

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
MakeStaff = Callable[..., User]

CHANGELIST = reverse("admin:django_pat_personalaccesstoken_changelist")
FIND = reverse("admin:django_pat_personalaccesstoken_find")
ADD = reverse("admin:django_pat_personalaccesstoken_add")
SECRET_RE = re.compile(r"pat_[0-9A-Za-z]{38}")

VIEW = "view_personalaccesstoken"
REVOKE = "revoke_personalaccesstoken"
ADD_PERM = "add_personalaccesstoken"
CHANGE = "change_personalaccesstoken"


def change_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_change", args=[token.pk])


def revoke_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_revoke", args=[token.pk])


def history_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_history", args=[token.pk])


def user_url(user: User) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def listed(response: Any) -> list[str]:
    """Names of the tokens on a changelist page, in order."""
    return [token.name for token in response.context["cl"].result_list]


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def superuser_client(make_staff: MakeStaff) -> Client:
    client = Client()
    client.force_login(make_staff("root", superuser=True))
    return client


@pytest.fixture
def client_with(make_staff: MakeStaff) -> Callable[..., Client]:
    """A client logged in as a new staff member holding these permissions."""
    counter = iter(range(1, 1000))

    def make(*codenames: str, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        client.force_login(make_staff(f"staff{next(counter)}", *codenames))
        return client

    return make


@pytest.fixture
def states(user: User, other_user: User, make_token: MakeToken) -> dict[str, PersonalAccessToken]:
    """A token in every state, with dates that the filters tell apart."""
    now = timezone.now()
    made = {
        "fresh": make_token(user, name="fresh", type="read_only")[0],
        "used": make_token(user, name="used", ip_restriction="10.0.0.0/8")[0],
        "revoked": make_token(user, name="revoked")[0],
        "expired": make_token(other_user, name="expired")[0],
        "soon": make_token(other_user, name="soon", type="read_only")[0],
        "never": make_token(other_user, name="never")[0],
    }
    made["revoked"].revoke()
    PersonalAccessToken.objects.filter(pk=made["used"].pk).update(last_used_at=now)
    PersonalAccessToken.objects.filter(pk=made["expired"].pk).update(
        expire_at=now - timedelta(days=1),
        created_at=now - timedelta(days=400),
        last_used_at=now - timedelta(days=100),
    )
    PersonalAccessToken.objects.filter(pk=made["soon"].pk).update(expire_at=now + timedelta(days=3))
    PersonalAccessToken.objects.filter(pk=made["never"].pk).update(expire_at=None)
    dormant = User.objects.create_user("carol", "carol@example.com")
    made["dormant"] = make_token(dormant, name="dormant")[0]
    # Deactivated after provisioning: an inactive user cannot be given a token.
    User.objects.filter(pk=dormant.pk).update(is_active=False)
    for token in made.values():
        token.refresh_from_db()
    return made


# -- the list ---------------------------------------------------------------


def test_the_list_shows_each_token_with_its_owner_type_status_and_dates(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    response = superuser_client.get(CHANGELIST)
    html = response.content.decode()

    assert response.status_code == 200
    assert set(listed(response)) == set(states)
    for token in states.values():
        assert token.display_prefix in html
    assert "10.0.0.0/8" in html
    assert "any address" in html
    for heading in ("Owner", "Name", "Type", "Status", "Display prefix", "Created", "Expires"):
        assert f">{heading}<" in html
    assert ">Last used<" in html
    assert ">IP restriction<" in html


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
    assert '<span class="pat-muted">never</span>' in row("never")  # expires
    assert row("fresh").count('<span class="pat-muted">never</span>') == 1  # never used
    assert f'datetime="{states["used"].last_used_at.isoformat()}"' in row("used")


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


# -- the detail page --------------------------------------------------------


def test_the_detail_page_shows_every_field_read_only(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    token = states["used"]
    response = superuser_client.get(change_url(token))
    html = response.content.decode()

    assert response.status_code == 200
    for text in (token.name, "alice", str(token.pk), token.display_prefix, "10.0.0.0/8"):
        assert text in html
    for label in ("Status", "Type", "Expires", "Created", "Last used", "Revoked"):
        assert f"<label>{label}:</label>" in html
    form = html.split('id="personalaccesstoken_form"')[1].split("</form>")[0]
    editable = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    assert all('type="hidden"' in tag for tag in editable), editable
    assert 'name="_save"' not in html


def test_staff_cannot_change_a_token_by_posting_its_form(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    response = superuser_client.post(change_url(token_obj), {"name": "renamed", "type": "x"})
    assert response.status_code == 403
    token_obj.refresh_from_db()
    assert token_obj.name == "ci"


def test_the_revoke_button_is_there_for_staff_who_may_revoke_an_active_token(
    client_with: Callable[..., Client], states: dict[str, PersonalAccessToken]
) -> None:
    active, revoked = states["fresh"], states["revoked"]
    revoker = client_with(VIEW, REVOKE)
    viewer = client_with(VIEW)
    form = f'<form method="post" action="{revoke_url(active)}" id="pat-revoke-form"'

    assert form in revoker.get(change_url(active)).content.decode()
    assert "pat-revoke-form" not in revoker.get(change_url(revoked)).content.decode()
    assert "pat-revoke-form" not in viewer.get(change_url(active)).content.decode()


def test_no_delete_is_offered_to_anyone(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    assert "deletelink" not in superuser_client.get(change_url(token_obj)).content.decode()
    actions = superuser_client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert [value for value, _ in actions if value] == ["revoke_selected"]


def test_ordinary_staff_cannot_delete_a_token(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    delete = reverse("admin:django_pat_personalaccesstoken_delete", args=[token_obj.pk])
    client = client_with(VIEW, REVOKE, ADD_PERM)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PersonalAccessToken.objects.filter(pk=token_obj.pk).exists()


# -- revoke -------------------------------------------------------------------


def test_the_revoke_action_asks_first_listing_what_it_will_revoke(
    client_with: Callable[..., Client], states: dict[str, PersonalAccessToken]
) -> None:
    chosen = [states["fresh"], states["soon"]]
    response = client_with(VIEW, REVOKE).post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [t.pk for t in chosen]},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "These 2 tokens stop working" in html
    for token in chosen:
        assert token.display_prefix in html
    assert states["used"].display_prefix not in html
    assert PersonalAccessToken.objects.revoked().count() == 1  # only the one made revoked


def test_confirming_the_action_revokes_with_the_models_operation(
    client_with: Callable[..., Client],
    states: dict[str, PersonalAccessToken],
    client_for: Callable[[str], APIClient],
    make_token: MakeToken,
    django_capture_on_commit_callbacks: Any,
) -> None:
    doomed, secret = make_token(name="doomed")
    _kept, kept_secret = make_token(name="kept")
    signalled: list[PersonalAccessToken] = []

    def receiver(sender: object, token: PersonalAccessToken, **kwargs: object) -> None:
        signalled.append(token)

    token_revoked.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_with(VIEW, REVOKE).post(
                CHANGELIST,
                {
                    "action": "revoke_selected",
                    "_selected_action": [doomed.pk, states["revoked"].pk],
                    "post": "yes",
                },
                follow=True,
            )
    finally:
        token_revoked.disconnect(receiver)

    assert [t.pk for t in signalled] == [doomed.pk]
    assert set(messages_of(response)) == {
        "Revoked 1 token. It no longer authenticates.",
        "1 token was already revoked.",
    }
    doomed.refresh_from_db()
    assert doomed.revoked_at is not None
    before = states["revoked"].revoked_at
    states["revoked"].refresh_from_db()
    assert states["revoked"].revoked_at == before
    assert client_for(secret).get(LIST_URL).status_code == 401
    assert client_for(kept_secret).get(LIST_URL).status_code == 200
    entry = LogEntry.objects.get(object_id=str(doomed.pk))
    assert entry.get_change_message() == "Revoked."


def test_revoking_keeps_the_row(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    superuser_client.post(revoke_url(token_obj))
    response = superuser_client.get(f"{CHANGELIST}?status=revoked")
    assert listed(response) == ["ci"]


def test_the_revoke_button_revokes_at_once_and_goes_back_to_the_token(
    client_with: Callable[..., Client],
    token: tuple[PersonalAccessToken, str],
    client_for: Callable[[str], APIClient],
) -> None:
    token_obj, secret = token
    client = client_with(VIEW, REVOKE)
    response = client.post(revoke_url(token_obj))

    assert response.status_code == 302
    assert response["Location"] == change_url(token_obj)
    assert client_for(secret).get(LIST_URL).status_code == 401
    page = client.get(response["Location"])
    assert messages_of(page) == ["Revoked 1 token. It no longer authenticates."]
    assert "pat-status-revoked" in page.content.decode()

    again = client.post(revoke_url(token_obj), follow=True)
    assert messages_of(again) == ["1 token was already revoked."]


def test_getting_the_revoke_page_only_asks(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    response = client_with(VIEW, REVOKE).get(revoke_url(token_obj))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This token stops working" in html
    assert f'action="{revoke_url(token_obj)}"' in html
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


@pytest.mark.parametrize("object_id", ["0b5f5a1e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_revoking_a_token_that_does_not_exist_says_so(
    superuser_client: Client, object_id: str
) -> None:
    url = reverse("admin:django_pat_personalaccesstoken_revoke", args=[object_id])
    response = superuser_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert messages_of(response) == [f"No personal access token has the ID {object_id!r}."]


def test_revoking_needs_the_csrf_token(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    client = client_with(VIEW, REVOKE, enforce_csrf_checks=True)
    assert client.post(revoke_url(token_obj)).status_code == 403
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


# -- permissions --------------------------------------------------------------


def test_the_revoke_permission_exists(db: None) -> None:
    permission = Permission.objects.get(codename=REVOKE)
    assert permission.content_type.app_label == "django_pat"
    assert permission.name == "Can revoke personal access token"


def test_view_only_staff_see_tokens_but_get_no_way_to_revoke_or_provision(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _secret = token
    viewer = client_with(VIEW)

    page = viewer.get(CHANGELIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert listed(page) == ["ci"]
    assert "action-select" not in html
    assert 'name="action"' not in html
    assert "Provision a token" not in html
    assert viewer.get(change_url(token_obj)).status_code == 200


@pytest.mark.parametrize("codenames", [(VIEW,), (VIEW, CHANGE), (VIEW, ADD_PERM)])
def test_revoking_needs_the_revoke_permission(
    client_with: Callable[..., Client],
    token: tuple[PersonalAccessToken, str],
    codenames: tuple[str, ...],
) -> None:
    token_obj, _ = token
    client = client_with(*codenames)
    assert client.post(revoke_url(token_obj)).status_code == 403
    assert client.get(revoke_url(token_obj)).status_code == 403
    action = client.post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [token_obj.pk], "post": "yes"},
    )
    assert action.status_code in (200, 302)
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


def test_the_revoke_permission_without_view_grants_nothing(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    # Revoking starts from a token one can see: the confirmation page would
    # otherwise show revoke-only staff what the list hides from them.
    token_obj, _ = token
    client = client_with(REVOKE)

    page = client.get(revoke_url(token_obj))
    assert page.status_code == 403
    html = page.content.decode()
    for detail in (token_obj.name, token_obj.display_prefix, "alice"):
        assert detail not in html
    assert client.post(revoke_url(token_obj)).status_code == 403
    assert client.get(CHANGELIST).status_code == 403
    action = client.post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [token_obj.pk], "post": "yes"},
    )
    assert action.status_code == 403
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


def test_staff_without_token_permissions_see_nothing(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    client = client_with()
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(token[0])).status_code == 403


def test_provisioning_needs_the_add_permission(
    client_with: Callable[..., Client], user: User
) -> None:
    viewer = client_with(VIEW, REVOKE)
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, {"user": user.pk, "name": "sneaky"}).status_code == 403
    assert not PersonalAccessToken.objects.exists()
    assert client_with(VIEW, ADD_PERM).get(ADD).status_code == 200


# -- provision ----------------------------------------------------------------


def provision(client: Client, **fields: Any) -> Any:
    data = {"type": "read_write", "name": "from the admin", **fields}
    return client.post(ADD, {key: value for key, value in data.items() if value is not None})


def test_the_provisioning_form(client_with: Callable[..., Client], user: User) -> None:
    response = client_with(VIEW, ADD_PERM).get(ADD, {"user": user.pk, "name": "prefilled"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{user.pk}" selected>alice</option>' in html
    assert 'value="prefilled"' in html
    assert 'value="Provision token"' in html
    assert "read_only: GET, HEAD, OPTIONS; read_write: every method" in html


def test_provisioning_shows_the_secret_once_in_that_response_only(
    client_with: Callable[..., Client], user: User, client_for: Callable[[str], APIClient]
) -> None:
    client = client_with(VIEW, ADD_PERM)
    response = provision(client, user=user.pk, type="read_only", ip_restriction="127.0.0.1")

    html = response.content.decode()
    assert response.status_code == 200
    secrets_shown = SECRET_RE.findall(html)
    assert len(secrets_shown) == 1
    secret = secrets_shown[0]
    assert html.count(secret[len("pat_") :]) == 1  # not even as "Pat_…"
    assert "You will not see it again" in html
    assert 'data-pat-copy="pat-secret"' in html
    assert "no-store" in response["Cache-Control"]
    # Not kept anywhere that outlives the response.
    assert "Location" not in response
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    assert secret not in str(dict(client.session.items()))
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    later = client.get(CHANGELIST)
    assert secret not in later.content.decode()
    assert messages_of(later) == []

    token = PersonalAccessToken.objects.get(name="from the admin")
    assert (token.user, token.type, token.ip_restriction) == (user, "read_only", "127.0.0.1")
    assert token.digest == tokens.digest(secret)
    assert client_for(secret).get(LIST_URL).status_code == 200
    assert secret not in str(list(LogEntry.objects.values()))
    assert LogEntry.objects.get(object_id=str(token.pk)).is_addition()


def test_provisioning_without_an_expiry_takes_the_types_default(
    superuser_client: Client, user: User
) -> None:
    before = timezone.now()
    provision(superuser_client, user=user.pk)
    token = PersonalAccessToken.objects.get()
    assert token.expire_at is not None
    assert before + timedelta(days=90) <= token.expire_at <= timezone.now() + timedelta(days=90)


def test_provisioning_with_an_expiry(superuser_client: Client, user: User) -> None:
    when = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    provision(
        superuser_client,
        user=user.pk,
        expire_at_0=when.strftime("%Y-%m-%d"),
        expire_at_1=when.strftime("%H:%M:%S"),
    )
    assert PersonalAccessToken.objects.get().expire_at == when


def test_provisioning_a_token_that_never_expires_where_settings_allow_it(
    superuser_client: Client, user: User, settings: Any
) -> None:
    settings.DJANGO_PAT = {"MAX_LIFETIME": None}
    provision(superuser_client, user=user.pk, never_expires="on")
    assert PersonalAccessToken.objects.get().expire_at is None


def _day(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%d")


INVALID = [
    pytest.param({"name": ""}, "name", "Name may not be blank.", id="blank name"),
    pytest.param({"name": "   "}, "name", "Name may not be blank.", id="spaces"),
    pytest.param({"name": "x" * 101}, "name", "at most 100 are allowed", id="long name"),
    pytest.param({"name": "a\x07b"}, "name", "control character", id="control"),
    pytest.param({"name": "taken"}, "name", "already have an active token named", id="dup"),
    pytest.param(
        {"ip_restriction": "10.0.0.300"},
        "ip_restriction",
        "&#x27;10.0.0.300&#x27; is not a valid IP address or network",
        id="bad ip",
    ),
    pytest.param(
        {"ip_restriction": "10.0.0.5/8"}, "ip_restriction", "host bits set", id="host bits"
    ),
    pytest.param({"type": "admin"}, "type", "Select a valid choice", id="unknown type"),
    pytest.param({"user": None}, "user", "This field is required", id="no user"),
    pytest.param({"user": "999999"}, "user", "Select a valid choice", id="unknown user"),
    pytest.param({"user": "abc"}, "user", "Select a valid choice", id="malformed user"),
    pytest.param(
        {"expire_at_0": _day(-1), "expire_at_1": "12:00:00"},
        "expire_at",
        "is not in the future",
        id="past",
    ),
    pytest.param(
        {"expire_at_0": _day(400), "expire_at_1": "12:00:00"},
        "expire_at",
        "longest lifetime",
        id="beyond the maximum",
    ),
    pytest.param(
        {"expire_at_0": "tomorrow", "expire_at_1": "noon"},
        "expire_at",
        "Enter a valid date",
        id="malformed date",
    ),
    pytest.param({"never_expires": "on"}, "expire_at", "must expire", id="never, under a max"),
    pytest.param(
        {"never_expires": "on", "expire_at_0": _day(5), "expire_at_1": "12:00:00"},
        None,
        "not both",
        id="both",
    ),
]


@pytest.mark.parametrize(("fields", "field", "message"), INVALID)
def test_invalid_input_is_shown_on_the_form_and_makes_no_token(
    superuser_client: Client,
    user: User,
    make_token: MakeToken,
    fields: dict[str, Any],
    field: str | None,
    message: str,
) -> None:
    make_token(name="taken")
    response = provision(superuser_client, **{"user": user.pk, **fields})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the error" in html
    assert message in html
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field or "__all__"]
    assert PersonalAccessToken.objects.count() == 1
    assert not SECRET_RE.search(html)


def test_a_deactivated_user_cannot_be_given_a_token(superuser_client: Client, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = provision(superuser_client, user=user.pk, name="for nobody")

    assert response.status_code == 200
    assert "The user &#x27;alice&#x27; is not active." in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


# -- provisioning for someone who holds more ---------------------------------


def grant(user: User, *perms: str) -> User:
    """Give ``user`` these permissions ("app_label.codename"); fresh from the database."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def in_group(user: User, *perms: str) -> User:
    group = Group.objects.create(name=f"group of {user.get_username()}")
    for perm in perms:
        app_label, codename = perm.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user.groups.add(group)
    return User.objects.get(pk=user.pk)


def promoted(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


def refused(response: Any, message: str) -> bool:
    """The form came back with ``message`` on its user field, and nothing was made."""
    errors = response.context["adminform"].form.errors
    return (
        response.status_code == 200
        and list(errors) == ["user"]
        and message in errors["user"][0]
        and "Please correct the error" in response.content.decode()
    )


def test_staff_cannot_provision_a_token_for_a_superuser(make_staff: MakeStaff, user: User) -> None:
    # Provisioning is acting as the owner: a token for a superuser, used on
    # the admin through the middleware, would make this staff member one.
    client = Client()
    client.force_login(make_staff("provisioner", ADD_PERM))
    root = make_staff("root", superuser=True)

    response = provision(client, user=root.pk)

    assert refused(response, "'root' is a superuser: only a superuser may provision a token")
    assert not PersonalAccessToken.objects.exists()
    assert not SECRET_RE.search(response.content.decode())
    # The choice stays on the form, so staff see whom they were refused.
    assert f'value="{root.pk}" selected' in response.content.decode()


@pytest.mark.parametrize(
    "holds",
    [
        pytest.param(lambda u: grant(u, "auth.change_user"), id="a permission of their own"),
        pytest.param(lambda u: in_group(u, "auth.change_user"), id="through a group"),
        pytest.param(
            lambda u: grant(u, "django_pat." + ADD_PERM, "django_pat." + VIEW),
            id="one more than the requester",
        ),
    ],
)
def test_staff_cannot_provision_for_a_user_holding_a_permission_they_lack(
    make_staff: MakeStaff, user: User, holds: Callable[[User], User]
) -> None:
    client = Client()
    client.force_login(make_staff("provisioner", ADD_PERM))
    holds(user)

    response = provision(client, user=user.pk)

    assert refused(response, "'alice' holds permissions you do not")
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize(
    ("requester_perms", "owner"),
    [
        pytest.param((), lambda u: u, id="owner with no permissions"),
        pytest.param(("auth.change_user",), lambda u: grant(u, "auth.change_user"), id="the same"),
        pytest.param(
            ("auth.change_user", "auth.view_user"),
            lambda u: in_group(u, "auth.view_user"),
            id="a subset, through a group",
        ),
        pytest.param(("auth.view_user",), promoted, id="staff, with fewer"),
    ],
)
def test_staff_may_provision_for_a_user_holding_no_more_than_they_do(
    make_staff: MakeStaff,
    user: User,
    requester_perms: tuple[str, ...],
    owner: Callable[[User], User],
) -> None:
    requester = grant(make_staff("provisioner", ADD_PERM), *requester_perms)
    client = Client()
    client.force_login(requester)
    owner(user)

    response = provision(client, user=user.pk)

    assert response.status_code == 200
    assert len(SECRET_RE.findall(response.content.decode())) == 1
    assert PersonalAccessToken.objects.get().user == user


def test_staff_may_provision_for_themselves(make_staff: MakeStaff) -> None:
    requester = grant(make_staff("provisioner", ADD_PERM), "auth.change_user")
    in_group(requester, "auth.delete_user")
    client = Client()
    client.force_login(requester)

    provision(client, user=requester.pk)

    assert PersonalAccessToken.objects.get().user == requester


def test_a_superuser_may_provision_for_anyone(
    superuser_client: Client, make_staff: MakeStaff, user: User
) -> None:
    other_root = make_staff("other-root", superuser=True)
    powerful = in_group(grant(user, "auth.change_user"), "auth.delete_user")

    provision(superuser_client, user=other_root.pk, name="for root")
    provision(superuser_client, user=powerful.pk, name="for alice")

    assert {(t.user, t.name) for t in PersonalAccessToken.objects.all()} == {
        (other_root, "for root"),
        (powerful, "for alice"),
    }


def test_a_deactivated_user_is_refused_to_staff_too(make_staff: MakeStaff, user: User) -> None:
    client = Client()
    client.force_login(make_staff("provisioner", ADD_PERM))
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = provision(client, user=user.pk)

    assert "The user &#x27;alice&#x27; is not active." in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_the_rule_holds_outside_the_admin_too(make_staff: MakeStaff, user: User) -> None:
    # The one function the form calls, for a project's own staff views.
    staff = make_staff("staffer")
    owner = promoted(user)
    nobody = User.objects.create_user("nobody")

    with pytest.raises(ValidationError) as refusal:
        validate_provisioning_for(nobody, staff)
    assert refusal.value.code == "staff"
    with pytest.raises(ValidationError) as refusal:
        validate_provisioning_for(staff, make_staff("root", superuser=True))
    assert refusal.value.code == "superuser"
    with pytest.raises(ValidationError) as refusal:
        validate_provisioning_for(staff, grant(owner, "auth.view_user"))
    assert refusal.value.code == "permissions"
    validate_provisioning_for(staff, nobody)
    validate_provisioning_for(nobody, nobody)


def test_the_users_page_provisions_nothing(
    superuser_client: Client, user: User, make_token: MakeToken
) -> None:
    # The only way to provision from the admin is the form above: the inline
    # on a user's page takes no new rows, whatever is posted to it.
    make_token(name="existing")
    page = superuser_client.get(user_url(user)).content.decode()
    parser = _FormFields("user_form")
    parser.feed(page)
    prefix = "personal_access_tokens"
    data = {
        **parser.data,
        f"{prefix}-TOTAL_FORMS": ["2"],
        f"{prefix}-1-name": ["smuggled"],
        f"{prefix}-1-type": ["read_write"],
        f"{prefix}-1-user": [str(user.pk)],
        f"{prefix}-1-digest": ["0" * 64],
        f"{prefix}-1-display_prefix": ["pat_0000"],
    }

    response = superuser_client.post(user_url(user), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(PersonalAccessToken.objects.values_list("name", flat=True)) == ["existing"]


def test_the_cap_on_active_tokens_is_shown_on_the_form(
    superuser_client: Client, user: User, make_token: MakeToken, settings: Any
) -> None:
    settings.DJANGO_PAT = {"MAX_ACTIVE_TOKENS_PER_USER": 1}
    make_token(name="only")
    response = provision(superuser_client, user=user.pk)
    assert "You already have 1 active tokens" in response.content.decode()
    assert PersonalAccessToken.objects.count() == 1


def test_the_user_picker_falls_back_to_a_raw_id_without_a_searchable_user_admin(
    superuser_client: Client, rf: Any, make_staff: MakeStaff
) -> None:
    site = django_admin.AdminSite(name="bare")
    token_admin = PersonalAccessTokenAdmin(PersonalAccessToken, site)
    request = rf.get(ADD)
    request.user = make_staff("bare", superuser=True)
    assert token_admin.get_autocomplete_fields(request) == ()
    site.register(User, type("Searchless", (django_admin.ModelAdmin,), {}))
    assert token_admin.get_autocomplete_fields(request) == ()
    assert "admin-autocomplete" in superuser_client.get(ADD).content.decode()


# -- the user's page ----------------------------------------------------------


def test_the_users_page_lists_their_tokens_read_only_with_links(
    superuser_client: Client, states: dict[str, PersonalAccessToken], user: User
) -> None:
    response = superuser_client.get(user_url(user))
    html = response.content.decode()
    group = html.split('id="personal_access_tokens-group"')[1].split("</fieldset>")[0]

    assert response.status_code == 200
    for name in ("fresh", "used", "revoked"):
        assert change_url(states[name]) in group
        assert states[name].display_prefix in group
    assert states["soon"].display_prefix not in group  # another user's
    assert "pat-status-revoked" in group
    assert not re.search(r'<input(?![^>]*type="hidden")[^>]*>', group)
    inline = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.opts.model is PersonalAccessToken
    )
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission


def test_the_users_page_costs_the_same_queries_for_any_number_of_tokens(
    superuser_client: Client, user: User, make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    make_token(name="first")
    with CaptureQueriesContext(connection) as few:
        superuser_client.get(user_url(user))
    for n in range(15):
        made, _ = make_token(name=f"more {n}")
        if n % 2:
            made.revoke()
    with django_assert_num_queries(len(few)):
        superuser_client.get(user_url(user))


class _FormFields(HTMLParser):
    """The values a browser would send for the form with this id."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select: str | None = None
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
        if not self.inside:
            return
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in ("submit", "button"):
            if attr.get("type") == "checkbox" and "checked" not in attr:
                return
            self.data.setdefault(name, []).append(attr.get("value") or "")
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attr:
            self.data.setdefault(self.select, []).append(attr.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def test_saving_the_users_page_leaves_their_tokens_alone(
    superuser_client: Client, user: User, make_token: MakeToken
) -> None:
    token, _ = make_token(name="in use")
    page = superuser_client.get(user_url(user)).content.decode()
    # Meanwhile the token is revoked and used elsewhere.
    token.revoke()
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    token.refresh_from_db()

    parser = _FormFields("user_form")
    parser.feed(page)
    parser.data["first_name"] = ["Alice"]
    response = superuser_client.post(user_url(user), parser.data)

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.first_name == "Alice"
    after = PersonalAccessToken.objects.get(pk=token.pk)
    assert (after.revoked_at, after.last_used_at) == (token.revoked_at, token.last_used_at)


def test_the_inline_is_attached_to_the_default_user_admin() -> None:
    assert PersonalAccessTokenInline in django_admin.site.get_model_admin(User).inlines


def test_attaching_the_inline_is_idempotent_and_leaves_a_projects_own_user_admin_alone() -> None:
    default = django_admin.AdminSite(name="default-users")
    default.register(User, UserAdmin)
    assert attach_user_inline(default) is True
    assert attach_user_inline(default) is True
    assert default.get_model_admin(User).inlines.count(PersonalAccessTokenInline) == 1
    assert PersonalAccessTokenInline not in UserAdmin.inlines  # the class is untouched

    class ProjectUserAdmin(UserAdmin):
        pass

    own = django_admin.AdminSite(name="own-users")
    own.register(User, ProjectUserAdmin)
    assert attach_user_inline(own) is False
    assert PersonalAccessTokenInline not in own.get_model_admin(User).inlines

    class WithInline(UserAdmin):
        inlines = [PersonalAccessTokenInline]

    documented = django_admin.AdminSite(name="documented")
    documented.register(User, WithInline)
    assert attach_user_inline(documented) is True

    assert attach_user_inline(django_admin.AdminSite(name="no-users")) is False


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


def test_the_admin_passes_djangos_system_checks() -> None:
    from django.core import checks

    assert checks.run_checks(tags=[checks.Tags.admin]) == []
