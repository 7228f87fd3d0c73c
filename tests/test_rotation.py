"""Rotation and the current token (CONTRACT 9.3):
``POST personal-access-tokens/{id}/rotate`` and ``django_pat.rotation.rotate()``
(a working new token, the old one refused on its next request, one
successor, in one transaction), and ``GET personal-access-tokens/self``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_pat import rotation
from django_pat.models import InactiveRequester, PersonalAccessToken
from django_pat.signals import token_provisioned, token_revoked, token_rotated
from django_pat.views import PersonalAccessTokenViewSet
from tests.conftest import LIST_URL, detail_url
from tests.test_authentication import set_fields, stored
from tests.test_models import capture
from tests.test_views import TOKEN_TEXT, TYPES_WITH_DEPLOY, assert_error, parse_time, wire_time

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
ClientFor = Callable[..., APIClient]


def rotate_url(token_id: object, slash: bool = False) -> str:
    return f"{detail_url(token_id)}/rotate{'/' if slash else ''}"


def rotate(client: APIClient, token_id: object, body: Any = None, **extra: Any):
    if body is None:
        return client.post(rotate_url(token_id), **extra)
    return client.post(
        rotate_url(token_id), json.dumps(body), content_type="application/json", **extra
    )


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


# --- as a client rotates ------------------------------------------------------------


@pytest.mark.parametrize("slash", [False, True], ids=["no-slash", "slash"])
def test_rotating_gives_a_working_token_and_the_old_one_is_refused(
    make_token: MakeToken, api: APIClient, client_for: ClientFor, slash: bool
) -> None:
    old, old_secret = make_token(name="deploy")
    assert client_for(old_secret).get(LIST_URL).status_code == 200

    response = api.post(rotate_url(old.pk, slash))

    assert response.status_code == 200, response.json()
    assert response["Cache-Control"] == "no-store"
    new = response.json()
    assert TOKEN_TEXT.fullmatch(new["token"])
    assert new["token"] != old_secret
    assert new["id"] != str(old.pk)
    assert (new["previousId"], new["state"], new["active"]) == (str(old.pk), "active", True)
    assert client_for(new["token"]).get(LIST_URL).status_code == 200
    refused = client_for(old_secret).get(LIST_URL)
    assert refused.status_code == 401
    old = stored(old)
    assert (old.state, old.revoked_reason) == ("revoked", "rotated")
    assert api.get(detail_url(old.pk)).json()["revokedReason"] == "rotated"


def test_the_successor_carries_what_the_owner_chose(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token(
        name="nightly",
        type="read_only",
        ip_restriction="127.0.0.0/8,2001:db8::/32",
        description="Runs the nightly build.",
    )

    new = api.post(rotate_url(old.pk)).json()

    assert (new["name"], new["type"], new["ipRestriction"], new["description"]) == (
        "nightly",
        "read_only",
        "127.0.0.0/8,2001:db8::/32",
        "Runs the nightly build.",
    )
    assert (new["lastUsedAt"], new["lastUsedIp"], new["revokedAt"]) == (None, None, None)
    assert set(rotation.CARRIED) >= {"name", "type", "ip_restriction", "description"}


def test_the_secret_is_in_the_rotation_response_only(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token()

    new = api.post(rotate_url(old.pk)).json()

    assert api.get(detail_url(new["id"])).json()["token"] is None
    assert new["token"] not in json.dumps(api.get(LIST_URL).json())


@pytest.mark.parametrize(
    "send",
    [
        lambda client, url: client.post(url),
        lambda client, url: client.post(url, "{}", content_type="application/json"),
        lambda client, url: client.post(url, "", content_type="application/json"),
    ],
    ids=["no-body", "empty-object", "empty-body"],
)
def test_a_rotation_with_no_expiry_gets_the_default_lifetime(
    user: User, make_token: MakeToken, send: Callable[..., Any]
) -> None:
    # A session (without CSRF checks, as a test client): no token caps the expiry.
    old, _ = make_token(expire_at=in_days(2))
    client = APIClient()
    client.force_login(user)

    before = timezone.now()
    response = send(client, rotate_url(old.pk))

    assert response.status_code == 200, response.json()
    expiry = parse_time(response.json()["expireAt"])
    assert before + timedelta(days=90) <= expiry <= timezone.now() + timedelta(days=90)


def test_an_explicit_expiry_is_taken(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token()
    when = in_days(5).replace(microsecond=0)

    response = rotate(api, old.pk, {"expireAt": wire_time(when)})

    assert response.status_code == 200, response.json()
    assert parse_time(response.json()["expireAt"]) == when


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "renamed"}, "name"),
        ({"type": "read_only"}, "type"),
        ({"ipRestriction": "10.0.0.0/8"}, "ipRestriction"),
        ({"description": "x"}, "description"),
        ({"expire_at": "2030-01-01T00:00:00Z"}, "expire_at"),
        ({"expireAt": "tomorrow"}, "expireAt"),
        ({"expireAt": 17}, "expireAt"),
        ({"expireAt": "2001-01-01T00:00:00Z"}, "expireAt"),
        ({"expireAt": "2030-01-01T00:00:00"}, "expireAt"),
        ({"expireAt": None}, "expireAt"),
        ([], "Expected a JSON object, not an array."),
        ("x", "Expected a JSON object, not a string."),
        (None, "No data provided."),
    ],
    ids=[
        "name",
        "type",
        "ip",
        "description",
        "snake-case",
        "not-a-time",
        "number",
        "past",
        "naive",
        "never-under-a-maximum",
        "array",
        "string",
        "null",
    ],
)
def test_a_bad_rotation_body_is_a_400_and_rotates_nothing(
    make_token: MakeToken, api: APIClient, body: Any, field: str
) -> None:
    old, _ = make_token()

    response = api.post(rotate_url(old.pk), json.dumps(body), content_type="application/json")

    if " " in field:  # no field to name: the message says what is wrong
        assert assert_error(response, 400)["message"] == field
    else:
        assert_error(response, 400, {field})
    assert stored(old).state == "active"
    assert PersonalAccessToken.objects.filter(previous=old).count() == 0


def test_a_rotation_body_that_is_not_json_is_refused(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token()

    assert_error(api.post(rotate_url(old.pk), "{", content_type="application/json"), 400)
    assert_error(api.post(rotate_url(old.pk), "expireAt=x", content_type="text/plain"), 415)
    assert stored(old).state == "active"


def test_the_expiry_beyond_the_maximum_lifetime_is_a_400_naming_it(
    make_token: MakeToken, api: APIClient
) -> None:
    old, _ = make_token()

    body = assert_error(rotate(api, old.pk, {"expireAt": wire_time(in_days(366))}), 400)

    assert "longest lifetime" in body["errors"]["expireAt"][0]
    assert stored(old).state == "active"


# --- under another token ------------------------------------------------------------


def test_without_expiry_the_successor_is_capped_at_the_requesting_tokens_expiry(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    parent, parent_secret = make_token(name="parent", expire_at=in_days(3))
    old, _ = make_token(name="old", expire_at=in_days(200))

    response = client_for(parent_secret).post(rotate_url(old.pk))

    assert response.status_code == 200, response.json()
    assert parse_time(response.json()["expireAt"]) == parent.expire_at


@override_settings(DJANGO_PAT={"DEFAULT_LIFETIME": None, "MAX_LIFETIME": None})
def test_without_expiry_a_type_that_never_expires_stays_under_the_requesting_token(
    make_token: MakeToken, client_for: ClientFor, user: User
) -> None:
    parent, parent_secret = make_token(name="parent", expire_at=in_days(3))
    old, _ = make_token(name="old", expire_at=None)
    other, _ = make_token(name="other", expire_at=None)
    session = APIClient()
    session.force_login(user)

    under_token = client_for(parent_secret).post(rotate_url(old.pk))
    under_session = session.post(rotate_url(other.pk))

    assert parse_time(under_token.json()["expireAt"]) == parent.expire_at
    assert under_session.json()["expireAt"] is None


def test_an_explicit_expiry_beyond_the_requesting_token_is_a_400(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, parent_secret = make_token(name="parent", expire_at=in_days(3))
    old, _ = make_token(name="old")

    response = rotate(client_for(parent_secret), old.pk, {"expireAt": wire_time(in_days(4))})

    body = assert_error(response, 400, {"expireAt"})
    assert "later than that of the token used to make it" in body["errors"]["expireAt"][0]
    assert stored(old).state == "active"


@pytest.mark.parametrize(
    ("parent_kwargs", "old_kwargs", "field"),
    [
        ({"ip_restriction": "127.0.0.1"}, {}, "ipRestriction"),
        ({"ip_restriction": "127.0.0.1"}, {"ip_restriction": "127.0.0.0/8"}, "ipRestriction"),
        ({"type": "deploy"}, {"type": "read_write"}, "type"),
    ],
    ids=["unrestricted-under-restricted", "wider-network", "more-powerful-type"],
)
@override_settings(DJANGO_PAT=TYPES_WITH_DEPLOY)
def test_a_token_cannot_rotate_one_that_allows_more_than_itself(
    make_token: MakeToken,
    client_for: ClientFor,
    parent_kwargs: dict[str, Any],
    old_kwargs: dict[str, Any],
    field: str,
) -> None:
    """Else rotating would hand it a secret it could not provision."""
    _, parent_secret = make_token(name="parent", **parent_kwargs)
    old, _ = make_token(name="old", **old_kwargs)

    response = client_for(parent_secret, REMOTE_ADDR="127.0.0.1").post(rotate_url(old.pk))

    assert_error(response, 400, {field})
    assert stored(old).state == "active"


def test_a_token_rotating_itself_is_bounded_only_by_the_maximum_lifetime(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    old, old_secret = make_token(expire_at=in_days(2))
    client = client_for(old_secret)

    later = rotate(client, old.pk, {"expireAt": wire_time(in_days(300))})

    assert later.status_code == 200, later.json()
    assert parse_time(later.json()["expireAt"]) > in_days(299)
    # And with no expiry: the default lifetime, not its own two days.
    again = client_for(later.json()["token"]).post(rotate_url(later.json()["id"]))
    assert parse_time(again.json()["expireAt"]) > in_days(89)


def test_a_self_rotation_returns_the_token_to_use_from_now_on(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    old, old_secret = make_token()

    new = client_for(old_secret).post(rotate_url(old.pk)).json()

    assert client_for(old_secret).get(LIST_URL).status_code == 401
    assert client_for(new["token"]).get(f"{LIST_URL}/self").json()["previousId"] == str(old.pk)


# --- what cannot be rotated ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"revoked_at": timezone.now(), "revoked_reason": "owner"}, "revoked"),
        ({"expire_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        ({"created_at": timezone.now() - timedelta(days=45)}, "dormant"),
    ],
    ids=["revoked", "expired", "dormant"],
)
@override_settings(DJANGO_PAT={"DORMANT_AFTER_DAYS": 30})
def test_only_an_active_token_can_be_rotated(
    make_token: MakeToken, api: APIClient, fields: dict[str, Any], state: str
) -> None:
    old, _ = make_token(name="old")
    set_fields(old, **fields)

    body = assert_error(api.post(rotate_url(old.pk)), 400)

    assert body["message"] == f"Only an active token can be rotated; this one is {state}."
    assert not PersonalAccessToken.objects.filter(previous=old).exists()
    assert stored(old).revoked_reason == fields.get("revoked_reason", "")


def test_a_rotated_token_cannot_be_rotated_again(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token(name="old")

    assert api.post(rotate_url(old.pk)).status_code == 200
    second = api.post(rotate_url(old.pk))

    assert assert_error(second, 400)["message"].endswith("this one is revoked.")
    assert PersonalAccessToken.objects.filter(previous=old).count() == 1


def test_another_users_token_is_a_404(
    other_user: User, api: APIClient, make_token: MakeToken
) -> None:
    theirs, _ = make_token(other_user, name="theirs")

    assert_error(api.post(rotate_url(theirs.pk)), 404)
    assert_error(api.post(rotate_url("6f9619ff-8b86-d011-b42d-00c04fc964ff")), 404)
    assert_error(api.post(f"{LIST_URL}/not-a-uuid/rotate"), 404)
    assert stored(theirs).state == "active"


def test_rotating_needs_authentication_and_csrf(
    make_token: MakeToken, anon_client: APIClient, session_api: APIClient
) -> None:
    old, _ = make_token()

    assert_error(anon_client.post(rotate_url(old.pk)), 401)
    assert_error(session_api.post(rotate_url(old.pk)), 403)
    assert stored(old).state == "active"


def test_a_read_only_token_cannot_rotate(make_token: MakeToken, client_for: ClientFor) -> None:
    old, old_secret = make_token(type="read_only")

    assert_error(client_for(old_secret).post(rotate_url(old.pk)), 403)
    assert stored(old).state == "active"


def test_get_is_not_allowed_on_rotate(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token()

    assert_error(api.get(rotate_url(old.pk)), 405)


def test_rotation_keeps_the_cap_and_the_name(make_token: MakeToken, api: APIClient) -> None:
    old, _ = make_token(name="only")
    with override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 2}):
        # Two active tokens (the api's own and "only"): the cap is reached,
        # yet rotating replaces one with another.
        response = api.post(rotate_url(old.pk))

    assert response.status_code == 200, response.json()
    assert PersonalAccessToken.objects.active().filter(name="only").count() == 1


# --- the Python API, signals, the database --------------------------------------------


def test_rotate_sends_revoked_provisioned_and_rotated_after_the_commit(
    make_token: MakeToken, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    old, _ = make_token()
    with (
        capture(token_revoked) as revoked,
        capture(token_provisioned) as provisioned,
        capture(token_rotated) as rotated,
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            new, secret = rotation.rotate(old, by=user)
        assert (revoked, provisioned, rotated) == ([], [], [])
        for callback in callbacks:
            callback()

    assert [(s["token"], s["reason"], s["revoked_by"]) for s in revoked] == [(old, "rotated", user)]
    assert [(s["token"], s["parent"]) for s in provisioned] == [(new, None)]
    assert [(s["token"], s["previous"], s["rotated_by"]) for s in rotated] == [(new, old, user)]
    assert secret not in repr([revoked, provisioned, rotated])


def test_a_failed_rotation_leaves_the_old_token_working(
    make_token: MakeToken, user: User, client_for: ClientFor
) -> None:
    old, old_secret = make_token(type="read_only")

    # The old token's type is no longer configured: provisioning refuses it.
    with (
        override_settings(DJANGO_PAT={"TYPES": {"read_write": {"methods": "*"}}}),
        pytest.raises(ValidationError) as raised,
    ):
        rotation.rotate(old, by=user)

    assert set(raised.value.message_dict) == {"type"}
    assert stored(old).revoked_at is None
    assert client_for(old_secret).get(LIST_URL).status_code == 200


def test_rotate_refuses_when_the_user_is_inactive(make_token: MakeToken, user: User) -> None:
    old, _ = make_token()
    User.objects.filter(pk=user.pk).update(is_active=False)

    with pytest.raises(InactiveRequester):
        rotation.rotate(old)

    assert stored(old).revoked_at is None


def test_the_database_refuses_a_second_successor(make_token: MakeToken, user: User) -> None:
    old, _ = make_token(name="old")
    first, _ = rotation.rotate(old)
    other, _ = make_token(name="other")

    with pytest.raises(IntegrityError), transaction.atomic():
        PersonalAccessToken.objects.filter(pk=other.pk).update(previous=old)

    assert first.previous == old
    assert old.successor == first


def test_rotation_in_an_outer_transaction_rolled_back_leaves_nothing(
    make_token: MakeToken,
) -> None:
    old, _ = make_token(name="old")

    def rotate_then_fail() -> None:
        with transaction.atomic():
            rotation.rotate(old)
            raise RuntimeError("the outer work failed")

    with pytest.raises(RuntimeError):
        rotate_then_fail()

    assert stored(old).revoked_at is None
    assert list(PersonalAccessToken.objects.values_list("name", flat=True)) == ["old"]


def test_rotation_scopes_the_hook_decides() -> None:
    """The scope rule of 9.3, as the viewset states it for the scope check."""
    view = PersonalAccessTokenViewSet()
    token = PersonalAccessToken(pk="6f9619ff-8b86-d011-b42d-00c04fc964ff")
    other = PersonalAccessToken(pk="7f9619ff-8b86-d011-b42d-00c04fc964ff")
    view.get_parent_token = lambda: token  # type: ignore[method-assign]

    assert view.rotation_scopes(token) == ("tokens:write", "tokens:rotate")
    assert view.rotation_scopes(other) == ("tokens:write",)


@pytest.mark.parametrize(
    ("scopes", "itself", "allowed"),
    [
        (None, False, True),
        (["tokens:write"], False, True),
        (["tokens:write"], True, True),
        (["tokens:rotate"], True, True),
        (["tokens:rotate"], False, False),
        (["tokens:read"], True, False),
        (["tokens:read", "tokens:rotate"], False, False),
        ([], True, False),
    ],
)
def test_rotation_needs_tokens_write_or_tokens_rotate_for_itself(
    make_token: MakeToken,
    client_for: ClientFor,
    scopes: list[str] | None,
    itself: bool,
    allowed: bool,
) -> None:
    """CONTRACT 9.3: rotating needs tokens:write, or tokens:rotate when a
    token rotates itself; a 403 ``insufficient_scope`` names the scope that
    would do."""
    parent, parent_secret = make_token(name="parent", scopes=scopes)
    # Another token, within the parent's scopes: its successor may have them.
    old = parent if itself else make_token(name="old", scopes=scopes)[0]

    response = client_for(parent_secret).post(rotate_url(old.pk))

    assert response.status_code == (200 if allowed else 403), response.json()
    assert (stored(old).revoked_at is not None) is allowed
    if allowed:
        assert response.json()["scopes"] == stored(old).scopes
    else:
        needed = "tokens:rotate" if itself else "tokens:write"
        assert response.json()["message"] == (
            f"This token lacks the scope '{needed}', which this request needs."
        )
        assert response["WWW-Authenticate"] == (
            f'Bearer error="insufficient_scope", scope="{needed}"'
        )


def test_a_rotate_only_token_may_rotate_itself_and_do_nothing_else(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    token, secret = make_token(name="ci", scopes=["tokens:rotate"])
    client = client_for(secret)

    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(token.pk)).status_code == 403
    assert client.post(LIST_URL, {"name": "x"}, format="json").status_code == 403
    assert client.delete(detail_url(token.pk)).status_code == 403
    # Which token it is needs no scope (CONTRACT 9.3).
    assert client.get(f"{LIST_URL}/self").json()["id"] == str(token.pk)

    successor = client.post(rotate_url(token.pk)).json()

    assert successor["scopes"] == ["tokens:rotate"]
    assert successor["previousId"] == str(token.pk)
    assert client_for(successor["token"]).get(f"{LIST_URL}/self").status_code == 200


def test_under_a_scoped_token_a_rotation_cannot_widen_the_scopes(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    """The successor carries the old token's scopes; rotated under another
    token, it may not have a scope that token lacks (as for provisioning)."""
    wide, _ = make_token(name="wide", scopes=["tokens:read", "tokens:write"])
    _narrow, narrow_secret = make_token(name="narrow", scopes=["tokens:write"])

    response = client_for(narrow_secret).post(rotate_url(wide.pk))

    assert response.status_code == 400, response.json()
    assert "tokens:read" in response.json()["errors"]["scopes"][0]
    assert stored(wide).revoked_at is None


# --- cache mode ------------------------------------------------------------------


@pytest.mark.usefixtures("redis_server")
def test_in_cache_mode_the_rotated_token_is_refused_at_once(
    make_token: MakeToken, client_for: ClientFor, settings: Any
) -> None:
    from tests.conftest import REDIS_URL

    settings.CACHES = {
        **settings.CACHES,
        "tokens": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "test_rotation",
        },
    }
    settings.DJANGO_PAT = {"CACHE": "tokens"}
    old, old_secret = make_token()
    client = client_for(old_secret)
    assert client.get(LIST_URL).status_code == 200
    assert client.get(LIST_URL).status_code == 200  # from the cache now

    new = client.post(rotate_url(old.pk)).json()

    assert client.get(LIST_URL).status_code == 401
    assert client_for(new["token"]).get(LIST_URL).status_code == 200


# --- GET personal-access-tokens/self ---------------------------------------------------


SELF_URL = f"{LIST_URL}/self"


@pytest.mark.parametrize("url", [SELF_URL, f"{SELF_URL}/"], ids=["no-slash", "slash"])
def test_self_describes_the_calling_token(
    make_token: MakeToken, client_for: ClientFor, url: str
) -> None:
    make_token(name="another")
    token, secret = make_token(
        name="mine", type="read_only", ip_restriction="127.0.0.1", description="me"
    )

    response = client_for(secret, REMOTE_ADDR="127.0.0.1").get(url)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["name"], body["type"], body["description"]) == (
        str(token.pk),
        "mine",
        "read_only",
        "me",
    )
    assert (body["token"], body["state"], body["lastUsedIp"]) == (None, "active", "127.0.0.1")
    assert body["lastUsedAt"] is not None


def test_self_costs_no_query_beyond_authentication(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    set_fields(token[0], last_used_at=timezone.now())
    client = client_for(token[1])

    with django_assert_num_queries(1):
        assert client.get(SELF_URL).status_code == 200


def test_self_with_a_session_is_a_404(session_api: APIClient) -> None:
    body = assert_error(session_api.get(SELF_URL), 404)

    assert body["message"] == "This request was not authenticated with a personal access token."


def test_self_unauthenticated_is_a_401(anon_client: APIClient) -> None:
    response = anon_client.get(SELF_URL)

    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_self_with_a_revoked_token_is_a_401(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor
) -> None:
    token[0].revoke()

    assert_error(client_for(token[1]).get(SELF_URL), 401)


def test_self_only_reads(token: tuple[PersonalAccessToken, str], api: APIClient) -> None:
    assert_error(api.post(SELF_URL), 405)
    assert_error(api.delete(SELF_URL), 405)
    assert stored(token[0]).state == "active"


def test_a_second_successor_is_refused_even_where_the_old_row_says_active(
    make_token: MakeToken,
) -> None:
    """The unique index on previous, below every other check: a token that
    somehow has a successor already (an import, a hand-made row) is not
    rotated again, and nothing of the attempt is kept."""
    old, _ = make_token(name="old")
    other, _ = make_token(name="other")
    PersonalAccessToken.objects.filter(pk=other.pk).update(previous=old)

    with pytest.raises(rotation.NotRotatable, match="just rotated"):
        rotation.rotate(old)

    assert stored(old).revoked_at is None
    assert PersonalAccessToken.objects.filter(previous=old).get() == other
    assert PersonalAccessToken.objects.count() == 2
