"""The endpoints as an HTTP client uses them: Bearer tokens and sessions."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone as django_timezone
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken
from django_pat.signals import token_provisioned
from tests.conftest import LIST_URL, detail_url

CONTRACT_FIELDS = {
    "id",
    "name",
    "type",
    "ipRestriction",
    "active",
    "createdAt",
    "expireAt",
    "lastUsedAt",
    "subject",
    "token",
    # 9.1
    "scopes",
}
# CONTRACT 9.1: the lifecycle's fields, beside the display prefix.
LIFECYCLE_FIELDS = {
    "description",
    "state",
    "revokedAt",
    "revokedReason",
    "lastUsedIp",
    "previousId",
}
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
TOKEN_TEXT = re.compile(r"pat_[0-9A-Za-z]{38}")
LINK = re.compile(r'<([^>]+)>;\s*rel="([a-z]+)"')

# A token type that may provision (POST) but not revoke (DELETE): less
# powerful than read_write, more powerful than read_only.
TYPES_WITH_DEPLOY = {
    "TYPES": {
        "read_only": {"methods": ["GET", "HEAD", "OPTIONS"]},
        "read_write": {"methods": "*"},
        "deploy": {"methods": ["GET", "HEAD", "OPTIONS", "POST"]},
    }
}


def parse_time(text: str) -> datetime:
    assert RFC3339_UTC.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def wire_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def post_json(client: APIClient, body: object, path: str = LIST_URL, **extra: str):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def assert_error(response, status: int, fields: set[str] | None = None) -> dict:
    """The contract's error body; ``fields``: exactly these keys under ``errors``."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["status"] == status
    if fields is not None:
        assert set(body["errors"]) == fields
        for messages in body["errors"].values():
            assert messages
            assert all(isinstance(message, str) and message for message in messages)
    return body


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.get("Link", ""))}


@pytest.fixture
def csrf_session(session_api):
    """The logged-in session client, sending a valid CSRF token with every request."""
    csrf = get_random_string(32)
    session_api.cookies[settings.CSRF_COOKIE_NAME] = csrf
    session_api.credentials(HTTP_X_CSRFTOKEN=csrf)
    return session_api


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttling counts requests in the cache; no test may see another's.
    cache.clear()
    yield
    cache.clear()


# --- list -----------------------------------------------------------------


def test_list_shows_contract_fields_with_json_types(api, token, user):
    response = api.get(LIST_URL)

    assert response.status_code == 200
    [item] = response.json()
    assert set(item) >= CONTRACT_FIELDS
    assert item["id"] == str(token[0].id)
    assert str(uuid.UUID(item["id"])) == item["id"]
    assert item["name"] == "ci"
    assert item["type"] == "read_write"
    assert item["ipRestriction"] is None
    assert item["active"] is True
    assert isinstance(item["createdAt"], str)
    assert isinstance(item["expireAt"], str)
    assert isinstance(item["lastUsedAt"], str)
    assert item["subject"] == str(user.pk)
    assert item["token"] is None


def test_list_adds_only_non_secret_fields(api, token):
    [item] = api.get(LIST_URL).json()

    assert set(item) - CONTRACT_FIELDS == {"displayPrefix", *LIFECYCLE_FIELDS}
    assert token[1].startswith(item["displayPrefix"])
    assert len(item["displayPrefix"]) <= len("pat_") + 8


def test_list_fields_are_camel_case(api):
    [item] = api.get(LIST_URL).json()

    assert [key for key in item if "_" in key] == []


def test_list_never_shows_the_secret_or_its_digest(api, token):
    raw = api.get(LIST_URL).content.decode()

    assert token[1] not in raw
    assert hashlib.sha256(token[1].encode()).hexdigest() not in raw


def test_list_times_are_rfc3339_utc(api, token):
    stored = PersonalAccessToken.objects.get(pk=token[0].pk)

    [item] = api.get(LIST_URL).json()

    assert parse_time(item["createdAt"]) == stored.created_at
    assert parse_time(item["expireAt"]) == stored.expire_at
    assert (
        parse_time(item["lastUsedAt"]) == PersonalAccessToken.objects.get(pk=stored.pk).last_used_at
    )


def test_list_shows_ip_restriction_normalised(api, make_token):
    make_token(name="office", ip_restriction=" 10.0.0.0/8 , 2001:DB8::1/128,, 10.0.0.0/8")

    items = {item["name"]: item for item in api.get(LIST_URL).json()}

    assert items["office"]["ipRestriction"] == "10.0.0.0/8,2001:db8::1"


def test_list_shows_never_used_token_with_null_last_used(api, make_token):
    make_token(name="unused")

    items = {item["name"]: item for item in api.get(LIST_URL).json()}

    assert items["unused"]["lastUsedAt"] is None


def test_list_is_newest_first(api, token, make_token):
    others = [make_token()[0] for _ in range(3)]
    base = django_timezone.now()
    # Creation order and time order differ on purpose.
    for minutes, item in zip((30, 10, 20, 40), [token[0], *others], strict=True):
        PersonalAccessToken.objects.filter(pk=item.pk).update(
            created_at=base - timedelta(minutes=minutes)
        )
    expected = [str(others[0].pk), str(others[1].pk), str(token[0].pk), str(others[2].pk)]

    ids = [item["id"] for item in api.get(LIST_URL).json()]

    assert ids == expected


def test_list_shows_only_own_tokens(api, token, make_token, other_user):
    make_token(other_user, name="bob's")

    items = api.get(LIST_URL).json()

    assert [item["id"] for item in items] == [str(token[0].pk)]


@pytest.mark.parametrize(("query", "expected"), [("true", {"live"}), ("false", {"gone", "old"})])
def test_list_filters_on_active(api, make_token, query, expected):
    PersonalAccessToken.objects.all().update(name="live")
    make_token(name="gone")[0].revoke()
    old = make_token(name="old")[0]
    PersonalAccessToken.objects.filter(pk=old.pk).update(
        expire_at=django_timezone.now() - timedelta(seconds=1)
    )

    response = api.get(LIST_URL, {"active": query})

    assert response.status_code == 200
    assert {item["name"] for item in response.json()} == expected


def test_list_filters_on_type(api, make_token):
    make_token(name="reader", type="read_only")

    response = api.get(LIST_URL, {"type": "read_only"})

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == ["reader"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"active": "yes"}, "active"),
        ({"active": "1"}, "active"),
        ({"active": ""}, "active"),
        ({"type": "admin"}, "type"),
        ({"type": ""}, "type"),
    ],
)
def test_list_refuses_unknown_filter_values(api, query, field):
    response = api.get(LIST_URL, query)

    assert_error(response, 400, {field})


@pytest.mark.parametrize(
    ("query", "count", "rels", "next_offset", "prev_offset"),
    [
        ({"limit": "2"}, 2, {"next"}, "2", None),
        ({"limit": "2", "offset": "2"}, 2, {"next", "prev"}, "4", "0"),
        ({"limit": "2", "offset": "4"}, 1, {"prev"}, None, "2"),
        ({"limit": "5"}, 5, set(), None, None),
        ({"limit": "1000"}, 5, set(), None, None),
    ],
)
def test_list_pages_with_limit_and_offset(
    api, make_token, query, count, rels, next_offset, prev_offset
):
    for _ in range(4):
        make_token()

    response = api.get(LIST_URL, query)

    assert response.status_code == 200
    assert len(response.json()) == count
    assert response["X-Total-Count"] == "5"
    found = links(response)
    assert set(found) == rels
    for rel, offset in (("next", next_offset), ("prev", prev_offset)):
        if offset is None:
            continue
        params = dict(re.findall(r"[?&](\w+)=(\w+)", found[rel]))
        assert params["limit"] == "2"
        assert params.get("offset", "0") == offset


def test_list_pages_cover_the_list_without_overlap(api, make_token):
    for _ in range(4):
        make_token()
    whole = [item["id"] for item in api.get(LIST_URL).json()]

    paged = []
    for offset in (0, 2, 4):
        paged += [item["id"] for item in api.get(LIST_URL, {"limit": 2, "offset": offset}).json()]

    assert paged == whole


def test_list_page_links_keep_filters(api, make_token):
    for _ in range(3):
        make_token()

    response = api.get(LIST_URL, {"active": "true", "limit": "1"})

    assert "active=true" in links(response)["next"]
    assert response["X-Total-Count"] == "4"


def test_list_with_offset_past_the_end_is_empty(api):
    response = api.get(LIST_URL, {"limit": "10", "offset": "5"})

    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "1"


@pytest.mark.parametrize("offset", ["9223372036854775807", "99999999999999999999999999"])
def test_list_with_huge_offset_is_not_a_server_error(api, offset):
    response = api.get(LIST_URL, {"limit": "10", "offset": offset})

    if response.status_code == 400:
        assert_error(response, 400, {"offset"})
    else:
        assert response.status_code == 200
        assert response.json() == []


def test_list_without_limit_has_no_paging_headers(api):
    response = api.get(LIST_URL)

    assert not response.has_header("Link")
    assert not response.has_header("X-Total-Count")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "10", "offset": "-1"}, "offset"),
        ({"limit": "10", "offset": "x"}, "offset"),
        ({"offset": "5"}, "offset"),
    ],
)
def test_list_refuses_bad_paging_values(api, query, field):
    response = api.get(LIST_URL, query)

    assert_error(response, 400, {field})


@pytest.mark.parametrize("count", [1, 20])
def test_list_costs_constant_queries(api, make_token, django_assert_num_queries, count):
    for _ in range(count - 1):
        make_token()
    api.get(LIST_URL)  # records the first use, an UPDATE not counted below

    # The token with its user, then the list.
    with django_assert_num_queries(2):
        response = api.get(LIST_URL)

    assert len(response.json()) == count


@pytest.mark.parametrize("count", [1, 20])
def test_list_page_costs_constant_queries(api, make_token, django_assert_num_queries, count):
    for _ in range(count - 1):
        make_token()
    api.get(LIST_URL)

    # The token with its user, the total, then the page.
    with django_assert_num_queries(3):
        response = api.get(LIST_URL, {"limit": 1000})

    assert len(response.json()) == count


# --- provision ------------------------------------------------------------


def test_provision_answers_200_with_the_secret(api):
    response = post_json(api, {"name": "deploy"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert TOKEN_TEXT.fullmatch(body["token"])
    assert body["active"] is True
    assert body["lastUsedAt"] is None


def test_provision_response_is_not_cached(api):
    response = post_json(api, {"name": "deploy"})

    assert "no-store" in response["Cache-Control"]


def test_provisioned_token_authenticates(api, client_for, user):
    secret = post_json(api, {"name": "deploy"}).json()["token"]

    response = client_for(secret).get(LIST_URL)

    assert response.status_code == 200
    assert "deploy" in {item["name"] for item in response.json()}


def test_provisioned_secret_is_never_shown_again(api):
    created = post_json(api, {"name": "deploy"}).json()

    listed = {item["id"]: item for item in api.get(LIST_URL).json()}
    retrieved = api.get(detail_url(created["id"])).json()

    assert listed[created["id"]]["token"] is None
    assert retrieved["token"] is None


def test_provision_defaults_to_read_write_for_90_days(csrf_session):
    # A session, not a token: a token's child would inherit the token's expiry.
    before = django_timezone.now()

    body = post_json(csrf_session, {"name": "deploy"}).json()

    assert body["type"] == "read_write"
    assert body["ipRestriction"] is None
    expire_at = parse_time(body["expireAt"])
    assert before + timedelta(days=90) <= expire_at <= before + timedelta(days=90, minutes=1)


def test_provision_stores_the_owner_as_subject(api, user):
    body = post_json(api, {"name": "deploy"}).json()

    assert body["subject"] == str(user.pk)
    assert PersonalAccessToken.objects.get(pk=body["id"]).user == user


def test_provision_takes_type_restriction_and_expiry(api):
    expire_at = django_timezone.now() + timedelta(days=30)
    offset = timezone(timedelta(hours=2))

    body = post_json(
        api,
        {
            "name": "reader",
            "type": "read_only",
            "ipRestriction": "192.0.2.7/32, 10.0.0.0/8",
            "expireAt": expire_at.astimezone(offset).isoformat(),
        },
    ).json()

    assert body["type"] == "read_only"
    assert body["ipRestriction"] == "192.0.2.7,10.0.0.0/8"
    assert body["expireAt"] == wire_time(expire_at)


@pytest.mark.parametrize("restriction", [None, ""])
def test_provision_with_empty_restriction_allows_any_address(api, restriction):
    body = post_json(api, {"name": "anywhere", "ipRestriction": restriction}).json()

    assert body["ipRestriction"] is None


def test_provision_trims_name(api):
    body = post_json(api, {"name": "  deploy\t "}).json()

    assert body["name"] == "deploy"


def test_provision_accepts_100_characters_after_trimming(api):
    response = post_json(api, {"name": " " + "n" * 100 + " "})

    assert response.status_code == 200
    assert response.json()["name"] == "n" * 100


@pytest.mark.parametrize(
    "name", ["ci", " ci ", "ci\n", "ci\u200b", "\ufeffci", "c\u00adi", "ci\u061c", "\u202eci"]
)
def test_provision_refuses_name_of_an_active_token(api, token, name):
    response = post_json(api, {"name": name})

    assert_error(response, 400, {"name"})
    assert PersonalAccessToken.objects.filter(name="ci").count() == 1


def test_provision_answers_the_name_as_stored_normalised(api):
    body = post_json(api, {"name": "Cafe\u0301\u200b"}).json()

    assert body["name"] == "Caf\u00e9"
    assert api.get(detail_url(body["id"])).json()["name"] == "Caf\u00e9"


def test_provision_name_uniqueness_is_case_sensitive(api, token):
    response = post_json(api, {"name": "CI"})

    assert response.status_code == 200


def test_provision_reuses_name_of_revoked_token(api, make_token):
    make_token(name="deploy")[0].revoke()

    response = post_json(api, {"name": "deploy"})

    assert response.status_code == 200


def test_provision_reuses_name_of_expired_token(api, make_token):
    old = make_token(name="deploy")[0]
    PersonalAccessToken.objects.filter(pk=old.pk).update(
        expire_at=django_timezone.now() - timedelta(seconds=1)
    )

    response = post_json(api, {"name": "deploy"})

    assert response.status_code == 200


def test_provision_reuses_name_of_another_users_token(api, make_token, other_user):
    make_token(other_user, name="deploy")

    response = post_json(api, {"name": "deploy"})

    assert response.status_code == 200


def test_provision_refuses_beyond_active_token_cap(api, make_token):
    make_token()  # with the api fixture's token, two active
    with override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 2}):
        response = post_json(api, {"name": "third"})

    assert_error(response, 400)
    assert not PersonalAccessToken.objects.filter(name="third").exists()


def test_provision_cap_counts_only_active_tokens(api, make_token):
    make_token()[0].revoke()
    old = make_token()[0]
    PersonalAccessToken.objects.filter(pk=old.pk).update(
        expire_at=django_timezone.now() - timedelta(seconds=1)
    )
    with override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 2}):
        response = post_json(api, {"name": "second"})

    assert response.status_code == 200


def test_provision_cap_applies_per_user(api, make_token, other_user):
    make_token(other_user)
    make_token(other_user)
    with override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 2}):
        response = post_json(api, {"name": "second"})

    assert response.status_code == 200


NOW = datetime.now(timezone.utc)
BAD_FIELDS = [
    pytest.param(
        {"name": "x", "ip_restriction": "10.0.0.0/8"}, "ip_restriction", None, id="snake-case"
    ),
    pytest.param({"name": "x", "ipRestrictions": "10.0.0.0/8"}, "ipRestrictions", None, id="typo"),
    pytest.param({"name": "x", "token": "chosen"}, "token", None, id="read-only-field"),
    pytest.param({"name": "x", "id": str(uuid.UUID(int=1))}, "id", None, id="id"),
    pytest.param({}, "name", None, id="name-missing"),
    pytest.param({"name": 123}, "name", None, id="name-number"),
    pytest.param({"name": 1.5}, "name", None, id="name-float"),
    pytest.param({"name": True}, "name", None, id="name-bool"),
    pytest.param({"name": None}, "name", None, id="name-null"),
    pytest.param({"name": ["x"]}, "name", None, id="name-array"),
    pytest.param({"name": {"x": 1}}, "name", None, id="name-object"),
    pytest.param({"name": "x" * 101}, "name", None, id="name-101"),
    pytest.param({"name": "x" * 100_00}, "name", None, id="name-10000"),
    pytest.param({"name": ""}, "name", None, id="name-empty"),
    pytest.param({"name": " \t "}, "name", None, id="name-blank"),
    pytest.param({"name": "a\x00b"}, "name", None, id="name-nul"),
    pytest.param({"name": "a\nb"}, "name", None, id="name-newline"),
    pytest.param({"name": "a\x07b"}, "name", None, id="name-bell"),
    pytest.param({"name": "\x1b[31mred"}, "name", None, id="name-escape"),
    pytest.param({"name": "a\x7fb"}, "name", None, id="name-delete"),
    pytest.param({"name": "a\ud800b"}, "name", None, id="name-surrogate"),
    pytest.param({"name": "a\u2028b"}, "name", None, id="name-line-separator"),
    pytest.param({"name": "\u200b\ufeff"}, "name", None, id="name-invisible-only"),
    pytest.param({"name": "x", "type": {"x": 1}}, "type", None, id="type-object"),
    pytest.param({"name": "x", "type": ["read_only"]}, "type", None, id="type-array"),
    pytest.param({"name": "x", "type": 1}, "type", None, id="type-number"),
    pytest.param({"name": "x", "type": None}, "type", None, id="type-null"),
    pytest.param({"name": "x", "type": "admin"}, "type", "admin", id="type-unknown"),
    pytest.param({"name": "x", "type": "Read_Only"}, "type", None, id="type-case"),
    pytest.param({"name": "x", "ipRestriction": 10}, "ipRestriction", None, id="ip-number"),
    pytest.param(
        {"name": "x", "ipRestriction": ["10.0.0.1"]}, "ipRestriction", None, id="ip-array"
    ),
    pytest.param(
        {"name": "x", "ipRestriction": "10.0.0.300"}, "ipRestriction", "10.0.0.300", id="ip-octet"
    ),
    pytest.param(
        {"name": "x", "ipRestriction": "10.0.0.1, nope"}, "ipRestriction", "nope", id="ip-word"
    ),
    pytest.param(
        {"name": "x", "ipRestriction": "10.0.0.5/8"}, "ipRestriction", "10.0.0.5/8", id="host-bits"
    ),
    pytest.param(
        {"name": "x", "ipRestriction": "2001:db8::1/64"},
        "ipRestriction",
        "2001:db8::1/64",
        id="host-bits-v6",
    ),
    pytest.param(
        {"name": "x", "ipRestriction": "10.0.0.0/33"}, "ipRestriction", "10.0.0.0/33", id="ip-len"
    ),
    pytest.param(
        {"name": "x", "ipRestriction": "fe80::1%eth0"},
        "ipRestriction",
        "fe80::1%eth0",
        id="ip-scoped",
    ),
    pytest.param(
        {"name": "x", "ipRestriction": ",".join(f"10.0.0.{n}" for n in range(51))},
        "ipRestriction",
        None,
        id="ip-51-entries",
    ),
    pytest.param({"name": "x", "ipRestriction": "1" * 20_000}, "ipRestriction", None, id="ip-huge"),
    pytest.param(
        {"name": "x", "expireAt": (NOW - timedelta(days=1)).isoformat()},
        "expireAt",
        None,
        id="expire-past",
    ),
    pytest.param(
        {"name": "x", "expireAt": (NOW + timedelta(days=366)).isoformat()},
        "expireAt",
        None,
        id="expire-beyond-365-days",
    ),
    pytest.param(
        {"name": "x", "expireAt": (NOW + timedelta(days=30)).replace(tzinfo=None).isoformat()},
        "expireAt",
        None,
        id="expire-naive",
    ),
    pytest.param(
        {"name": "x", "expireAt": (NOW + timedelta(days=30)).date().isoformat()},
        "expireAt",
        None,
        id="expire-date-only",
    ),
    pytest.param({"name": "x", "expireAt": "tomorrow"}, "expireAt", "tomorrow", id="expire-word"),
    pytest.param(
        {"name": "x", "expireAt": "2030-13-45T00:00:00Z"}, "expireAt", None, id="month-13"
    ),
    pytest.param({"name": "x", "expireAt": ""}, "expireAt", None, id="expire-empty"),
    pytest.param(
        {"name": "x", "expireAt": "0001-01-01T00:00:00+01:00"}, "expireAt", None, id="year-0-utc"
    ),
    pytest.param(
        {"name": "x", "expireAt": "9999-12-31T23:59:59-01:00"},
        "expireAt",
        None,
        id="year-10000-utc",
    ),
    pytest.param(
        {"name": "x", "expireAt": "9999-12-31T23:59:59Z"}, "expireAt", None, id="year-9999"
    ),
    pytest.param({"name": "x", "expireAt": 1_900_000_000}, "expireAt", None, id="expire-number"),
    pytest.param({"name": "x", "expireAt": None}, "expireAt", None, id="expire-null"),
]


@pytest.mark.parametrize(("body", "field", "mentions"), BAD_FIELDS)
def test_provision_refuses_bad_field(api, body, field, mentions):
    response = post_json(api, body)

    error = assert_error(response, 400, {field})
    if mentions is not None:
        assert mentions in error["errors"][field][0]
    assert PersonalAccessToken.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": ', id="truncated"),
        pytest.param(b"{'name': 'x'}", id="single-quotes"),
        pytest.param(b'{"name": "x",}', id="trailing-comma"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'[{"name": "x"}]', id="array-of-object"),
        pytest.param(b'"x"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(b"null", id="null"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"name": NaN}', id="nan"),
        pytest.param(b'{"name": "x", "expireAt": Infinity}', id="infinity"),
        pytest.param(b'{"name": "\xff"}', id="not-utf8"),
        # Deep, yet under the size limit, so that the depth is what is refused.
        pytest.param(b"[" * 30_000 + b"]" * 30_000, id="deeply-nested-array"),
        pytest.param(b'{"a":' * 8_000 + b"1" + b"}" * 8_000, id="deeply-nested-object"),
        pytest.param(
            b'{"name": "x", "ipRestriction": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
            id="nested-field",
        ),
        pytest.param(b'{"name": "x", "\\ud800": 1}', id="lone-surrogate-key"),
        pytest.param(b'{"name": "x", "a": {"\\udfff": 1}}', id="nested-lone-surrogate-key"),
        # The last value must not silently win: here it would drop the restriction.
        pytest.param(
            b'{"name": "x", "ipRestriction": "10.0.0.1", "ipRestriction": null}',
            id="duplicate-key",
        ),
    ],
)
def test_provision_refuses_malformed_body(api, body):
    response = api.post(LIST_URL, body, content_type="application/json")

    assert_error(response, 400)
    assert PersonalAccessToken.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"x"', "Expected a JSON object, not a string."),
        ("[]", "Expected a JSON object, not an array."),
        (
            '{"name": "x", "ipRestriction": "10.0.0.5/8"}',
            "ipRestriction: '10.0.0.5/8' has host bits set; did you mean '10.0.0.0/8'?",
        ),
    ],
)
def test_a_refusal_reads_as_one_sentence(api, body, message):
    response = api.post(LIST_URL, body, content_type="application/json")

    assert_error(response, 400)
    assert response.json()["message"] == message


@pytest.mark.parametrize("size", [70_000, 3_000_000])
def test_provision_refuses_huge_body(api, size):
    body = json.dumps({"name": "x", "padding": "p" * size})

    response = api.post(LIST_URL, body, content_type="application/json")

    assert_error(response, 413)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("name=x", "application/x-www-form-urlencoded"),
        ('{"name": "x"}', "text/plain"),
        ('{"name": "x"}', "application/xml"),
        (
            '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_provision_refuses_non_json_content_type(api, body, content_type):
    response = api.post(LIST_URL, body, content_type=content_type)

    assert_error(response, 415)
    assert PersonalAccessToken.objects.count() == 1


def test_provision_accepts_json_with_charset(api):
    response = api.post(
        LIST_URL, json.dumps({"name": "x"}), content_type="application/json; charset=utf-8"
    )

    assert response.status_code == 200


# --- provisioning with a token: the new token may not exceed its parent ----


@pytest.fixture
def restricted_parent(make_token):
    """A token usable from the test client's 127.0.0.1, expiring in ten days."""
    return make_token(
        name="parent",
        ip_restriction="127.0.0.0/8",
        expire_at=django_timezone.now() + timedelta(days=10),
    )


def test_child_inherits_parent_restriction(restricted_parent, client_for):
    response = post_json(client_for(restricted_parent[1]), {"name": "child"})

    assert response.status_code == 200
    assert response.json()["ipRestriction"] == "127.0.0.0/8"


def test_child_inherits_parent_expiry(restricted_parent, client_for):
    response = post_json(client_for(restricted_parent[1]), {"name": "child"})

    assert response.status_code == 200
    assert parse_time(response.json()["expireAt"]) == restricted_parent[0].expire_at


def test_child_may_narrow_restriction_and_expiry(restricted_parent, client_for):
    expire_at = restricted_parent[0].expire_at - timedelta(days=1)

    response = post_json(
        client_for(restricted_parent[1]),
        {"name": "child", "ipRestriction": "127.0.0.1", "expireAt": wire_time(expire_at)},
    )

    assert response.status_code == 200
    assert response.json()["ipRestriction"] == "127.0.0.1"
    assert response.json()["expireAt"] == wire_time(expire_at)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        pytest.param({"ipRestriction": None}, "ipRestriction", id="null"),
        pytest.param({"ipRestriction": ""}, "ipRestriction", id="empty"),
        pytest.param({"ipRestriction": "0.0.0.0/0"}, "ipRestriction", id="everything"),
        pytest.param({"ipRestriction": "127.0.0.0/7"}, "ipRestriction", id="wider"),
        pytest.param({"ipRestriction": "127.0.0.1, 10.0.0.1"}, "ipRestriction", id="extra"),
        pytest.param({"ipRestriction": "::1"}, "ipRestriction", id="other-family"),
        pytest.param({"expireAt": "later"}, "expireAt", id="later-expiry"),
        pytest.param({"expireAt": None}, "expireAt", id="never-expires"),
    ],
)
def test_child_may_not_exceed_restricted_parent(restricted_parent, client_for, extra, field):
    if extra.get("expireAt") == "later":
        extra = {"expireAt": wire_time(restricted_parent[0].expire_at + timedelta(seconds=1))}

    response = post_json(client_for(restricted_parent[1]), {"name": "child", **extra})

    assert_error(response, 400, {field})
    assert not PersonalAccessToken.objects.filter(name="child").exists()


def test_never_expiring_child_refused_under_expiring_parent_without_maximum(
    restricted_parent, client_for
):
    with override_settings(DJANGO_PAT={"MAX_LIFETIME": None}):
        response = post_json(client_for(restricted_parent[1]), {"name": "child", "expireAt": None})

    assert_error(response, 400, {"expireAt"})


@pytest.mark.parametrize(
    ("requested", "status"),
    [("read_write", 400), ("deploy", 200), ("read_only", 200)],
)
def test_child_type_may_not_exceed_parent(make_token, client_for, requested, status):
    with override_settings(DJANGO_PAT=TYPES_WITH_DEPLOY):
        parent = make_token(name="parent", type="deploy")
        response = post_json(client_for(parent[1]), {"name": "child", "type": requested})

    assert response.status_code == status
    if status == 400:
        assert_error(response, 400, {"type"})


def test_child_without_type_takes_weaker_parent_type(make_token, client_for):
    with override_settings(DJANGO_PAT=TYPES_WITH_DEPLOY):
        parent = make_token(name="parent", type="deploy")
        response = post_json(client_for(parent[1]), {"name": "child"})

    assert response.status_code == 200
    assert response.json()["type"] == "deploy"


def test_session_provision_has_no_parent_limits(csrf_session, restricted_parent):
    response = post_json(csrf_session, {"name": "child"})

    assert response.status_code == 200
    assert response.json()["ipRestriction"] is None


def test_provision_with_token_signals_its_parent(api, token, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    token_provisioned.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            body = post_json(api, {"name": "child"}).json()
    finally:
        token_provisioned.disconnect(receiver)

    [signal] = received
    assert str(signal["token"].pk) == body["id"]
    assert signal["parent"].pk == token[0].pk


# --- retrieve -------------------------------------------------------------


def test_retrieve_shows_one_token(api, make_token):
    other, _ = make_token(name="other")

    response = api.get(detail_url(other.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(other.pk)
    assert body["name"] == "other"
    assert body["token"] is None
    assert set(body) >= CONTRACT_FIELDS


@pytest.mark.parametrize(
    "token_id",
    ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "x" * 1000, "%00", "'--"],
)
def test_retrieve_malformed_id_is_json_404(api, token_id):
    response = api.get(detail_url(token_id))

    assert_error(response, 404)


@pytest.mark.parametrize("method", ["get", "delete", "put"])
def test_malformed_id_is_json_404_without_credentials_too(anon_client, method):
    response = getattr(anon_client, method)(detail_url("not-a-uuid"))

    assert_error(response, 404)


@pytest.mark.parametrize("path", [detail_url("null,null"), f"{LIST_URL}/a/b"])
def test_a_session_write_to_no_route_is_json_404_not_an_html_csrf_page(session_api, path):
    response = session_api.delete(path)

    assert_error(response, 404)


@pytest.mark.parametrize("query", ["?active=false", "?type=read_only", "?type=nope", "?limit=x"])
def test_retrieve_and_revoke_ignore_the_lists_parameters(api, token, query):
    assert api.get(detail_url(token[0].pk) + query).status_code == 200
    assert api.delete(detail_url(token[0].pk) + query).status_code == 200


def test_retrieve_unknown_id_is_json_404(api):
    response = api.get(detail_url(uuid.uuid4()))

    assert_error(response, 404)


def test_retrieve_other_users_token_is_json_404(api, make_token, other_user):
    theirs, _ = make_token(other_user, name="theirs")

    response = api.get(detail_url(theirs.pk))

    body = assert_error(response, 404)
    assert "theirs" not in json.dumps(body)


def test_retrieve_other_users_token_looks_like_unknown_id(api, make_token, other_user):
    theirs, _ = make_token(other_user, name="theirs")

    theirs_body = api.get(detail_url(theirs.pk)).json()
    unknown_body = api.get(detail_url(uuid.uuid4())).json()

    assert theirs_body == unknown_body


# --- revoke ---------------------------------------------------------------


def test_revoke_answers_200_with_message(api, make_token):
    target, _ = make_token(name="target")

    response = api.delete(detail_url(target.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200
    assert isinstance(body["message"], str)
    assert body["message"]


def test_revoked_token_is_refused_at_once(api, make_token, client_for):
    target, secret = make_token(name="target")
    assert client_for(secret).get(LIST_URL).status_code == 200

    api.delete(detail_url(target.pk))
    response = client_for(secret).get(LIST_URL)

    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_may_revoke_itself(api, token):
    response = api.delete(detail_url(token[0].pk))

    assert response.status_code == 200
    assert_error(api.get(LIST_URL), 401)


def test_revoked_token_stays_listed_inactive(api, make_token):
    target, _ = make_token(name="target")

    api.delete(detail_url(target.pk))
    items = {item["id"]: item for item in api.get(LIST_URL).json()}

    assert items[str(target.pk)]["active"] is False
    assert PersonalAccessToken.objects.get(pk=target.pk).revoked_at is not None


def test_revoking_twice_answers_200(api, make_token):
    target, _ = make_token(name="target")
    api.delete(detail_url(target.pk))
    first_revoked_at = PersonalAccessToken.objects.get(pk=target.pk).revoked_at

    response = api.delete(detail_url(target.pk))

    assert response.status_code == 200
    assert response.json()["status"] == 200
    assert PersonalAccessToken.objects.get(pk=target.pk).revoked_at == first_revoked_at


def test_revoking_expired_token_answers_200(api, make_token):
    target, _ = make_token(name="target")
    PersonalAccessToken.objects.filter(pk=target.pk).update(
        expire_at=django_timezone.now() - timedelta(seconds=1)
    )

    response = api.delete(detail_url(target.pk))

    assert response.status_code == 200


def test_revoke_other_users_token_is_404_and_keeps_it(api, make_token, other_user, client_for):
    theirs, secret = make_token(other_user, name="theirs")

    response = api.delete(detail_url(theirs.pk))

    assert_error(response, 404)
    assert PersonalAccessToken.objects.get(pk=theirs.pk).revoked_at is None
    assert client_for(secret).get(LIST_URL).status_code == 200


@pytest.mark.parametrize("token_id", ["not-a-uuid", str(uuid.UUID(int=7))])
def test_revoke_unknown_or_malformed_id_is_json_404(api, token_id):
    response = api.delete(detail_url(token_id))

    assert_error(response, 404)


# --- paths and methods ----------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("get", "list"),
        ("head", "list"),
        ("options", "list"),
        ("post", "list"),
        ("get", "detail"),
        ("head", "detail"),
        ("options", "detail"),
        ("delete", "detail"),
    ],
)
def test_every_path_works_with_and_without_trailing_slash(api, make_token, method, target, slash):
    target_token, _ = make_token(name="target")
    path = (LIST_URL if target == "list" else detail_url(target_token.pk)) + slash
    kwargs = {"content_type": "application/json"}
    if method == "post":
        kwargs["data"] = json.dumps({"name": "new"})

    response = getattr(api, method)(path, **kwargs)

    assert response.status_code == 200, response.content
    if method == "post":
        assert PersonalAccessToken.objects.filter(name="new").exists()
    if method == "delete":
        assert PersonalAccessToken.objects.get(pk=target_token.pk).revoked_at is not None


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("target", ["list", "detail"])
def test_put_and_patch_are_json_405(api, token, method, target, slash):
    path = (LIST_URL if target == "list" else detail_url(token[0].pk)) + slash

    response = getattr(api, method)(
        path, json.dumps({"name": "x"}), content_type="application/json"
    )

    assert_error(response, 405)
    assert PersonalAccessToken.objects.get(pk=token[0].pk).name == "ci"


def test_delete_on_list_is_json_405(api, token):
    response = api.delete(LIST_URL)

    assert_error(response, 405)
    assert PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at is None


def test_post_on_detail_is_json_405(api, token):
    response = post_json(api, {"name": "x"}, path=detail_url(token[0].pk))

    assert_error(response, 405)


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize(
    "path",
    [
        f"{LIST_URL}/a/b",
        f"{LIST_URL}/a/b/",
        f"{LIST_URL}//",
        f"{LIST_URL}/{uuid.UUID(int=3)}/revoke",
        f"{LIST_URL}/{uuid.UUID(int=3)}/revoke/",
    ],
)
def test_unknown_sub_paths_are_json_404(api, method, path):
    response = getattr(api, method)(path)

    assert_error(response, 404)


@pytest.mark.parametrize(
    ("method", "target"),
    [("get", "list"), ("post", "list"), ("get", "detail"), ("delete", "detail")],
)
def test_unauthenticated_is_401_with_bearer_challenge(anon_client, token, method, target):
    path = LIST_URL if target == "list" else detail_url(token[0].pk)

    if method == "post":
        response = post_json(anon_client, {"name": "x"}, path=path)
    else:
        response = getattr(anon_client, method)(path)

    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at is None
    assert PersonalAccessToken.objects.count() == 1


# --- sessions -------------------------------------------------------------


def test_session_may_list_without_csrf_token(session_api, make_token):
    make_token(name="mine")

    response = session_api.get(LIST_URL)

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == ["mine"]


def test_session_provision_without_csrf_token_is_403(session_api):
    response = post_json(session_api, {"name": "x"})

    assert_error(response, 403)
    assert not PersonalAccessToken.objects.exists()


def test_session_revoke_without_csrf_token_is_403(session_api, make_token):
    target, _ = make_token(name="target")

    response = session_api.delete(detail_url(target.pk))

    assert_error(response, 403)
    assert PersonalAccessToken.objects.get(pk=target.pk).revoked_at is None


def test_session_provision_with_csrf_token_is_200(session_api):
    csrf = get_random_string(32)
    session_api.cookies[settings.CSRF_COOKIE_NAME] = csrf

    response = post_json(session_api, {"name": "x"}, HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200
    assert TOKEN_TEXT.fullmatch(response.json()["token"])


def test_session_revoke_with_csrf_token_is_200(session_api, make_token):
    target, _ = make_token(name="target")
    csrf = get_random_string(32)
    session_api.cookies[settings.CSRF_COOKIE_NAME] = csrf

    response = session_api.delete(detail_url(target.pk), HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200
    assert PersonalAccessToken.objects.get(pk=target.pk).revoked_at is not None


# --- token types ----------------------------------------------------------


@pytest.fixture
def read_only_client(make_token, client_for):
    return client_for(make_token(name="reader", type="read_only")[1])


def test_read_only_token_may_list(read_only_client):
    response = read_only_client.get(LIST_URL)

    assert response.status_code == 200


def test_read_only_token_may_not_provision(read_only_client):
    response = post_json(read_only_client, {"name": "x", "type": "read_only"})

    body = assert_error(response, 403)
    assert "read_only" in body["message"]
    assert not PersonalAccessToken.objects.filter(name="x").exists()


def test_read_only_token_may_not_revoke(read_only_client, make_token):
    target, _ = make_token(name="target")

    response = read_only_client.delete(detail_url(target.pk))

    assert_error(response, 403)
    assert PersonalAccessToken.objects.get(pk=target.pk).revoked_at is None


# --- throttling -----------------------------------------------------------


def throttled_settings(rate: str) -> dict:
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"personal_access_tokens": rate}}


def test_third_request_over_rate_is_json_429(api):
    with override_settings(REST_FRAMEWORK=throttled_settings("2/min")):
        statuses = [api.get(LIST_URL).status_code for _ in range(2)]
        response = api.get(LIST_URL)

    assert statuses == [200, 200]
    assert_error(response, 429)
    assert int(response["Retry-After"]) > 0


def test_throttle_counts_writes_too(api):
    with override_settings(REST_FRAMEWORK=throttled_settings("2/min")):
        api.get(LIST_URL)
        api.get(LIST_URL)
        response = post_json(api, {"name": "x"})

    assert_error(response, 429)
    assert not PersonalAccessToken.objects.filter(name="x").exists()


def test_throttle_is_per_user(api, make_token, other_user, client_for):
    theirs = client_for(make_token(other_user, name="theirs")[1])
    with override_settings(REST_FRAMEWORK=throttled_settings("2/min")):
        api.get(LIST_URL)
        api.get(LIST_URL)
        response = theirs.get(LIST_URL)

    assert response.status_code == 200


def test_no_throttle_without_a_rate(api):
    statuses = {api.get(LIST_URL).status_code for _ in range(30)}

    assert statuses == {200}


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda u: u.hex, id="no-hyphens"),
        pytest.param(lambda u: "{" + str(u) + "}", id="braces"),
        pytest.param(lambda u: f"urn:uuid:{u}", id="urn"),
    ],
)
def test_only_the_canonical_id_names_a_token(api, token, spelling):
    response = api.get(detail_url(spelling(token[0].id)))

    assert_error(response, 404)


def test_id_is_case_insensitive(api, token):
    response = api.get(detail_url(str(token[0].id).upper()))

    assert response.status_code == 200


@pytest.mark.parametrize("limit", ["%EF%BC%92", "%202", "2%20", "+2", "0x2"])
def test_limit_takes_ascii_digits_only(api, token, limit):
    response = api.get(f"{LIST_URL}?limit={limit}")

    assert_error(response, 400, {"limit"})


def test_options_describes_the_provisioning_request(api):
    response = api.options(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body["actions"]["POST"]) == {
        "name",
        "type",
        "ipRestriction",
        "expireAt",
        "scopes",
        "description",
    }
    assert ":meth:" not in body["description"]


def test_combined_error_message_has_one_full_stop_per_part(api, token):
    response = api.get(f"{LIST_URL}?active=maybe&type=nope")

    message = assert_error(response, 400, {"active", "type"})["message"]
    assert ".;" not in message
    assert message.endswith(".")
