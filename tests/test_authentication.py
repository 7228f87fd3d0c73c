"""Bearer authentication (django_pat/verification.py, authentication.py), CONTRACT
sections 3 and 8: mostly through the endpoints as a client would, and directly
where a query count or a signal is the thing under test."""

from __future__ import annotations

import ipaddress
import logging
import traceback
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from django_pat import tokens
from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.exceptions import RETRY_AFTER, UNAVAILABLE_MESSAGE, ServiceUnavailable
from django_pat.models import PersonalAccessToken
from django_pat.signals import authentication_failed
from django_pat.verification import GENERIC_MESSAGE, TokenRejected, authenticate_request, present
from tests.conftest import LIST_URL, detail_url, error_report

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
ClientFor = Callable[..., APIClient]

GENERIC_401 = {"message": GENERIC_MESSAGE, "status": 401}
OUTSIDE = "203.0.113.9"


def set_fields(token: PersonalAccessToken, **fields: Any) -> None:
    """Change the row behind the model's back, as another request would."""
    PersonalAccessToken.objects.filter(pk=token.pk).update(**fields)


def stored(token: PersonalAccessToken) -> PersonalAccessToken:
    return PersonalAccessToken.objects.get(pk=token.pk)


def flip_last(secret: str) -> str:
    """``secret`` with a wrong checksum: the last character changed."""
    return secret[:-1] + ("0" if secret[-1] != "0" else "1")


def bearer_request(
    rf: RequestFactory, secret: str, method: str = "get", remote_addr: str = "192.0.2.10"
) -> Any:
    return getattr(rf, method)("/", HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR=remote_addr)


def verify(request: Any, raw: str) -> PersonalAccessToken:
    """``authenticate_request()`` on ``raw``, presented as a request would."""
    presented = present(raw)
    assert presented is not None
    return authenticate_request(request, presented)


def authenticate(rf: RequestFactory, secret: str, **kwargs: Any) -> Any:
    """Run the DRF class on a request carrying ``secret``."""
    request = Request(bearer_request(rf, secret, **kwargs))
    return PersonalAccessTokenAuthentication().authenticate(request)


@pytest.fixture
def failures() -> Iterator[list[dict[str, Any]]]:
    """Every authentication_failed signal sent during the test."""
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    authentication_failed.connect(receiver, dispatch_uid="test_authentication")
    yield received
    authentication_failed.disconnect(dispatch_uid="test_authentication")


# --- what refuses a token: one builder per reason -------------------------------


def _unknown(token: PersonalAccessToken, secret: str, user: User) -> str:
    return tokens.generate("pat")


def _bad_checksum(token: PersonalAccessToken, secret: str, user: User) -> str:
    return flip_last(secret)


def _truncated(token: PersonalAccessToken, secret: str, user: User) -> str:
    return secret[:-1]


def _prefix_only(token: PersonalAccessToken, secret: str, user: User) -> str:
    return "pat_"


def _revoked(token: PersonalAccessToken, secret: str, user: User) -> str:
    token.revoke()
    return secret


def _expired(token: PersonalAccessToken, secret: str, user: User) -> str:
    set_fields(token, expire_at=timezone.now() - timedelta(seconds=1))
    return secret


def _inactive_user(token: PersonalAccessToken, secret: str, user: User) -> str:
    user.is_active = False
    user.save(update_fields=["is_active"])
    return secret


REFUSED_401 = {
    "unknown": _unknown,
    "bad checksum": _bad_checksum,
    "truncated": _truncated,
    "prefix only": _prefix_only,
    "revoked": _revoked,
    "expired": _expired,
    "inactive user": _inactive_user,
}


# --- success --------------------------------------------------------------------


def test_valid_token_authenticates_as_its_owner(
    user: User, token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    response = api.get(LIST_URL)

    assert response.status_code == 200
    assert response.wsgi_request.user == user
    assert [item["id"] for item in response.json()] == [str(token[0].pk)]


def test_valid_token_sees_only_its_owners_tokens(
    other_user: User, make_token: MakeToken, client_for: ClientFor
) -> None:
    mine, secret = make_token()
    make_token(other_user, name="bob's")

    response = client_for(secret).get(LIST_URL)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [str(mine.pk)]


def test_authentication_class_returns_owner_and_token(
    rf: RequestFactory, user: User, token: tuple[PersonalAccessToken, str]
) -> None:
    result = authenticate(rf, token[1])

    assert result is not None
    assert result[0] == user
    assert result[1].pk == token[0].pk


def test_bearer_scheme_is_case_insensitive(
    token: tuple[PersonalAccessToken, str], anon_client: APIClient
) -> None:
    response = anon_client.get(LIST_URL, HTTP_AUTHORIZATION=f"bearer {token[1]}")

    assert response.status_code == 200


def test_valid_token_may_write(token: tuple[PersonalAccessToken, str], api: APIClient) -> None:
    response = api.post(LIST_URL, {"name": "child"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "child"


# --- 401: one generic answer ----------------------------------------------------


@pytest.mark.parametrize("refuse", REFUSED_401.values(), ids=REFUSED_401.keys())
def test_refused_token_gets_the_generic_401(
    user: User,
    token: tuple[PersonalAccessToken, str],
    client_for: ClientFor,
    refuse: Callable[..., str],
) -> None:
    raw = refuse(token[0], token[1], user)

    response = client_for(raw).get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == GENERIC_401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("refuse", REFUSED_401.values(), ids=REFUSED_401.keys())
def test_refused_token_gets_401_on_writes_too(
    user: User,
    token: tuple[PersonalAccessToken, str],
    client_for: ClientFor,
    refuse: Callable[..., str],
) -> None:
    raw = refuse(token[0], token[1], user)

    response = client_for(raw).post(LIST_URL, {"name": "x"}, format="json")

    assert response.status_code == 401
    assert response.json() == GENERIC_401
    assert not PersonalAccessToken.objects.filter(name="x").exists()


def test_token_of_a_type_no_longer_configured_gets_the_generic_401(
    settings: Any, make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(type="read_only")
    settings.DJANGO_PAT = {"TYPES": {"read_write": {"methods": "*"}}}

    response = client_for(secret).get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == GENERIC_401


def test_failed_token_wins_over_a_session(
    token: tuple[PersonalAccessToken, str], session_api: APIClient
) -> None:
    session_api.credentials(HTTP_AUTHORIZATION=f"Bearer {flip_last(token[1])}")

    response = session_api.get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == GENERIC_401


def test_revocation_takes_effect_on_the_next_request(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    assert api.get(LIST_URL).status_code == 200

    assert api.delete(detail_url(token[0].pk)).status_code == 200

    response = api.get(LIST_URL)
    assert response.status_code == 401
    assert response.json() == GENERIC_401


def test_revocation_elsewhere_takes_effect_on_the_next_request(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    assert api.get(LIST_URL).status_code == 200

    PersonalAccessToken.objects.get(pk=token[0].pk).revoke()

    assert api.get(LIST_URL).status_code == 401


def test_token_expiring_between_requests_is_refused(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    assert api.get(LIST_URL).status_code == 200

    set_fields(token[0], expire_at=timezone.now())

    assert api.get(LIST_URL).status_code == 401


# --- a Bearer value without our prefix is not ours ------------------------------

FOREIGN = [
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",  # a JWT's shape
    "ghp_notoursatall",
    "PAT_notours",
    "patx_notours",
    "pat",
    "",
]


@pytest.mark.parametrize("value", FOREIGN)
def test_foreign_bearer_value_is_left_to_other_classes(rf: RequestFactory, value: str) -> None:
    assert authenticate(rf, value) is None


@pytest.mark.parametrize("value", FOREIGN)
def test_foreign_bearer_value_alone_is_unauthenticated(
    db: None, anon_client: APIClient, value: str
) -> None:
    response = anon_client.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {value}")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("value", FOREIGN)
def test_foreign_bearer_value_falls_through_to_the_session(
    user: User, session_api: APIClient, value: str
) -> None:
    session_api.credentials(HTTP_AUTHORIZATION=f"Bearer {value}")

    response = session_api.get(LIST_URL)

    assert response.status_code == 200
    assert response.wsgi_request.user == user


@pytest.mark.parametrize("scheme", ["Token", "Basic", "JWT", "Bearer-ish"])
def test_other_schemes_are_not_ours(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str], scheme: str
) -> None:
    request = Request(rf.get("/", HTTP_AUTHORIZATION=f"{scheme} {token[1]}"))

    assert PersonalAccessTokenAuthentication().authenticate(request) is None


class TokenKeyword(PersonalAccessTokenAuthentication):
    keyword = "Token"


@pytest.mark.parametrize(("scheme", "ours"), [("Token", True), ("token", True), ("Bearer", False)])
def test_the_keyword_names_the_scheme_the_class_reads(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str], scheme: str, ours: bool
) -> None:
    """As with DRF's TokenAuthentication: a subclass may read another scheme."""
    request = Request(rf.get("/", HTTP_AUTHORIZATION=f"{scheme} {token[1]}"))

    result = TokenKeyword().authenticate(request)

    assert (result is not None and result[1].pk == token[0].pk) is ours
    # The scheme it reads is the one its 401s name; a value under it counts as
    # presented (RFC 6750's invalid_token, should a 401 follow).
    header = 'Token realm="api"' + (', error="invalid_token"' if ours else "")
    assert TokenKeyword().authenticate_header(request) == header


# --- 403: a valid token used where or how it may not be -----------------------


def test_restricted_token_from_inside_is_accepted(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(ip_restriction="192.0.2.0/24")

    response = client_for(secret, REMOTE_ADDR="192.0.2.50").get(LIST_URL)

    assert response.status_code == 200


def test_restricted_token_from_another_address_is_403_naming_it(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(ip_restriction="192.0.2.0/24")

    response = client_for(secret, REMOTE_ADDR=OUTSIDE).get(LIST_URL)

    assert response.status_code == 403
    body = response.json()
    assert body["status"] == 403
    assert body["message"] != GENERIC_MESSAGE
    assert OUTSIDE in body["message"]


@pytest.mark.parametrize(
    "refuse", [_revoked, _expired, _inactive_user], ids=["revoked", "expired", "inactive user"]
)
def test_dead_token_from_another_address_is_still_the_generic_401(
    user: User, make_token: MakeToken, client_for: ClientFor, refuse: Callable[..., str]
) -> None:
    # A 403 here would tell a finder that the leaked value was once real.
    token, secret = make_token(type="read_only", ip_restriction="192.0.2.0/24")
    raw = refuse(token, secret, user)

    response = client_for(raw, REMOTE_ADDR=OUTSIDE).post(LIST_URL, {"name": "x"}, format="json")

    assert response.status_code == 401
    assert response.json() == GENERIC_401


@pytest.mark.parametrize(
    ("restriction", "remote_addr", "status"),
    [
        ("2001:db8::/32", "2001:db8::5", 200),
        ("2001:db8::/32", "2001:db9::5", 403),
        ("2001:db8::1", "2001:db8::1", 200),
        ("192.0.2.7", "2001:db8::1", 403),
        ("192.0.2.7,2001:db8::1", "2001:db8::1", 200),
        ("192.0.2.7", "::ffff:192.0.2.7", 200),
        ("192.0.2.0/24", "::ffff:192.0.2.200", 200),
        ("192.0.2.7", "::ffff:192.0.2.8", 403),
    ],
)
def test_restriction_by_client_address(
    make_token: MakeToken, client_for: ClientFor, restriction: str, remote_addr: str, status: int
) -> None:
    _, secret = make_token(ip_restriction=restriction)

    response = client_for(secret, REMOTE_ADDR=remote_addr).get(LIST_URL)

    assert response.status_code == status


@pytest.mark.parametrize(
    "header",
    ["HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_CLIENT_IP", "HTTP_TRUE_CLIENT_IP"],
)
def test_forwarding_header_cannot_talk_around_a_restriction(
    make_token: MakeToken, client_for: ClientFor, header: str
) -> None:
    _, secret = make_token(ip_restriction="198.51.100.7")

    response = client_for(secret, REMOTE_ADDR=OUTSIDE, **{header: "198.51.100.7"}).get(LIST_URL)

    assert response.status_code == 403


@pytest.mark.parametrize(
    ("forwarded", "status"),
    [
        ("198.51.100.7", 200),
        ("198.51.100.7, 203.0.113.66", 403),
        ("203.0.113.66, 198.51.100.7", 200),
    ],
)
def test_restriction_behind_a_trusted_proxy(
    settings: Any, make_token: MakeToken, client_for: ClientFor, forwarded: str, status: int
) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": ["10.0.0.0/8"]}
    _, secret = make_token(ip_restriction="198.51.100.7")

    client = client_for(secret, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client.get(LIST_URL).status_code == status


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_read_only_token_may_read(
    make_token: MakeToken, client_for: ClientFor, method: str
) -> None:
    _, secret = make_token(type="read_only")

    response = getattr(client_for(secret), method)(LIST_URL)

    assert response.status_code == 200


def test_read_only_token_may_not_provision(make_token: MakeToken, client_for: ClientFor) -> None:
    _, secret = make_token(type="read_only", name="reader")

    response = client_for(secret).post(LIST_URL, {"name": "child"}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert body["status"] == 403
    assert "read_only" in body["message"]
    assert "POST" in body["message"]
    assert not PersonalAccessToken.objects.filter(name="child").exists()


def test_read_only_token_may_not_revoke(make_token: MakeToken, client_for: ClientFor) -> None:
    target, _ = make_token(name="target")
    _, secret = make_token(type="read_only", name="reader")

    response = client_for(secret).delete(detail_url(target.pk))

    assert response.status_code == 403
    assert "DELETE" in response.json()["message"]
    assert stored(target).revoked_at is None


@pytest.mark.parametrize("method", ["put", "patch"])
def test_read_only_token_is_refused_other_unsafe_methods(
    make_token: MakeToken, client_for: ClientFor, method: str
) -> None:
    target, secret = make_token(type="read_only")

    response = getattr(client_for(secret), method)(detail_url(target.pk), {}, format="json")

    assert response.status_code == 403


# --- lastUsedAt -------------------------------------------------------------------


def test_first_use_sets_last_used_at(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    assert token[0].last_used_at is None
    before = timezone.now()

    response = api.get(LIST_URL)

    last_used = stored(token[0]).last_used_at
    assert last_used is not None
    assert before <= last_used <= timezone.now()
    assert response.json()[0]["lastUsedAt"] is not None


def test_use_within_the_interval_writes_nothing(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    recent = timezone.now() - timedelta(seconds=30)
    set_fields(token[0], last_used_at=recent)

    assert api.get(LIST_URL).status_code == 200

    assert stored(token[0]).last_used_at == recent


def test_use_beyond_the_interval_updates_last_used_at(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    old = timezone.now() - timedelta(seconds=61)
    set_fields(token[0], last_used_at=old)
    before = timezone.now()

    assert api.get(LIST_URL).status_code == 200

    last_used = stored(token[0]).last_used_at
    assert last_used is not None
    assert before <= last_used <= timezone.now()


@pytest.mark.parametrize(("age_minutes", "updated"), [(5, False), (11, True)])
def test_update_interval_is_a_setting(
    settings: Any,
    token: tuple[PersonalAccessToken, str],
    api: APIClient,
    age_minutes: int,
    updated: bool,
) -> None:
    settings.DJANGO_PAT = {"LAST_USED_UPDATE_INTERVAL": timedelta(minutes=10)}
    old = timezone.now() - timedelta(minutes=age_minutes)
    set_fields(token[0], last_used_at=old)

    assert api.get(LIST_URL).status_code == 200

    assert (stored(token[0]).last_used_at != old) is updated


def _restricted(make_token: MakeToken) -> tuple[PersonalAccessToken, APIClient]:
    token, secret = make_token(ip_restriction="192.0.2.0/24")
    client = APIClient(REMOTE_ADDR=OUTSIDE)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return token, client


def _read_only_post(make_token: MakeToken) -> tuple[PersonalAccessToken, APIClient]:
    token, secret = make_token(type="read_only")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return token, client


@pytest.mark.parametrize(
    ("setup", "method", "status"),
    [(_restricted, "get", 403), (_read_only_post, "post", 403)],
    ids=["address not allowed", "method not allowed"],
)
def test_forbidden_use_never_sets_last_used_at(
    make_token: MakeToken, setup: Callable[..., Any], method: str, status: int
) -> None:
    token, client = setup(make_token)

    response = getattr(client, method)(LIST_URL, {"name": "x"}, format="json")

    assert response.status_code == status
    assert stored(token).last_used_at is None


@pytest.mark.parametrize(
    "refuse",
    [_revoked, _expired, _inactive_user],
    ids=["revoked", "expired", "inactive user"],
)
def test_unauthenticated_use_never_sets_last_used_at(
    user: User,
    token: tuple[PersonalAccessToken, str],
    client_for: ClientFor,
    refuse: Callable[..., str],
) -> None:
    raw = refuse(token[0], token[1], user)

    assert client_for(raw).get(LIST_URL).status_code == 401

    assert stored(token[0]).last_used_at is None


def test_refused_use_never_moves_an_old_last_used_at(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    token, secret = make_token(ip_restriction="192.0.2.0/24")
    old = timezone.now() - timedelta(days=3)
    set_fields(token, last_used_at=old)

    assert client_for(secret, REMOTE_ADDR=OUTSIDE).get(LIST_URL).status_code == 403

    assert stored(token).last_used_at == old


def test_last_used_update_is_one_conditional_update(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str]
) -> None:
    set_fields(token[0], last_used_at=timezone.now() - timedelta(hours=1))

    with CaptureQueriesContext(connection) as queries:
        verify(bearer_request(rf, token[1]), token[1])

    updates = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 1
    # The staleness test is in the UPDATE itself, so two racing requests write once.
    where = updates[0].upper().split("WHERE", 1)[1]
    assert "LAST_USED_AT" in where


# --- query counts -----------------------------------------------------------------


@pytest.mark.parametrize(
    "make_raw",
    [
        lambda secret: flip_last(secret),
        lambda secret: secret[:-1],
        lambda secret: secret + "0",
        lambda secret: "pat_" + "!" * 38,
    ],
    ids=["bad checksum", "too short", "too long", "bad characters"],
)
def test_malformed_token_costs_no_query(
    rf: RequestFactory,
    token: tuple[PersonalAccessToken, str],
    django_assert_num_queries: Any,
    make_raw: Callable[[str], str],
) -> None:
    raw = make_raw(token[1])

    with django_assert_num_queries(0), pytest.raises(exceptions.AuthenticationFailed):
        authenticate(rf, raw)


def test_malformed_token_costs_no_query_in_verification(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    raw = flip_last(token[1])

    with django_assert_num_queries(0), pytest.raises(TokenRejected):
        verify(bearer_request(rf, raw), raw)


def test_foreign_value_costs_no_query(
    rf: RequestFactory, db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        assert authenticate(rf, "eyJhbGciOiJub25lIn0.e30.") is None


def test_unknown_token_costs_one_query(
    rf: RequestFactory, db: None, django_assert_num_queries: Any
) -> None:
    raw = tokens.generate("pat")

    with django_assert_num_queries(1), pytest.raises(TokenRejected):
        verify(bearer_request(rf, raw), raw)


def test_authenticated_request_costs_one_query_with_its_user(
    rf: RequestFactory,
    user: User,
    token: tuple[PersonalAccessToken, str],
    django_assert_num_queries: Any,
) -> None:
    set_fields(token[0], last_used_at=timezone.now())

    with django_assert_num_queries(1):
        found = verify(bearer_request(rf, token[1]), token[1])
        assert found.user.username == user.username


def test_authentication_class_costs_one_query(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    set_fields(token[0], last_used_at=timezone.now())

    with django_assert_num_queries(1):
        result = authenticate(rf, token[1])
        assert result is not None
        assert result[0].is_active


def test_restricted_token_costs_one_query(
    rf: RequestFactory, make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    token, secret = make_token(ip_restriction="192.0.2.0/24,2001:db8::/32")
    set_fields(token, last_used_at=timezone.now())

    with django_assert_num_queries(1):
        verify(bearer_request(rf, secret, remote_addr="192.0.2.9"), secret)


@pytest.mark.parametrize(
    "last_used",
    [None, timedelta(seconds=61), timedelta(days=30)],
    ids=["never", "just stale", "long ago"],
)
def test_stale_last_used_at_costs_one_extra_update(
    rf: RequestFactory,
    token: tuple[PersonalAccessToken, str],
    django_assert_num_queries: Any,
    last_used: timedelta | None,
) -> None:
    set_fields(token[0], last_used_at=None if last_used is None else timezone.now() - last_used)

    with django_assert_num_queries(2) as queries:
        verify(bearer_request(rf, token[1]), token[1])

    assert queries.captured_queries[0]["sql"].lstrip().upper().startswith("SELECT")
    assert queries.captured_queries[1]["sql"].lstrip().upper().startswith("UPDATE")


def test_refused_token_costs_one_query_and_no_write(
    rf: RequestFactory, make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    _, secret = make_token(ip_restriction="192.0.2.0/24")

    with django_assert_num_queries(1), pytest.raises(TokenRejected):
        verify(bearer_request(rf, secret, remote_addr=OUTSIDE), secret)


# --- the authentication_failed signal ---------------------------------------------


def _assert_no_secret(signal: dict[str, Any], secret: str) -> None:
    random = secret[4:36]
    for name, value in signal.items():
        assert random not in repr(value), name
        assert random not in str(value), name


@pytest.mark.parametrize(
    ("refuse", "reason"),
    [(_bad_checksum, "malformed"), (_truncated, "malformed"), (_unknown, "unknown")],
    ids=["bad checksum", "truncated", "unknown"],
)
def test_signal_for_an_unmatched_value(
    user: User,
    token: tuple[PersonalAccessToken, str],
    client_for: ClientFor,
    failures: list[dict[str, Any]],
    refuse: Callable[..., str],
    reason: str,
) -> None:
    raw = refuse(token[0], token[1], user)

    client_for(raw, REMOTE_ADDR="192.0.2.44").get(LIST_URL)

    assert len(failures) == 1
    signal = failures[0]
    assert signal["sender"] is PersonalAccessToken
    assert signal["reason"] == reason
    assert signal["token_id"] is None
    assert signal["display_prefix"] is None
    assert signal["client_ip"] == ipaddress.ip_address("192.0.2.44")
    _assert_no_secret(signal, raw)
    _assert_no_secret(signal, token[1])


@pytest.mark.parametrize(
    ("refuse", "reason"),
    [(_revoked, "revoked"), (_expired, "expired"), (_inactive_user, "inactive_user")],
    ids=["revoked", "expired", "inactive user"],
)
def test_signal_for_a_refused_stored_token(
    user: User,
    token: tuple[PersonalAccessToken, str],
    client_for: ClientFor,
    failures: list[dict[str, Any]],
    refuse: Callable[..., str],
    reason: str,
) -> None:
    raw = refuse(token[0], token[1], user)

    client_for(raw, REMOTE_ADDR="192.0.2.44").get(LIST_URL)

    assert len(failures) == 1
    signal = failures[0]
    assert signal["reason"] == reason
    assert signal["token_id"] == token[0].pk
    assert signal["display_prefix"] == token[0].display_prefix
    assert token[1].startswith(signal["display_prefix"])
    assert signal["client_ip"] == ipaddress.ip_address("192.0.2.44")
    _assert_no_secret(signal, token[1])


def test_signal_for_an_address_not_allowed(
    make_token: MakeToken, client_for: ClientFor, failures: list[dict[str, Any]]
) -> None:
    token, secret = make_token(ip_restriction="192.0.2.0/24")

    client_for(secret, REMOTE_ADDR=OUTSIDE).get(LIST_URL)

    assert [f["reason"] for f in failures] == ["ip_not_allowed"]
    assert failures[0]["token_id"] == token.pk
    assert failures[0]["client_ip"] == ipaddress.ip_address(OUTSIDE)
    _assert_no_secret(failures[0], secret)


def test_signal_for_a_method_not_allowed(
    make_token: MakeToken, client_for: ClientFor, failures: list[dict[str, Any]]
) -> None:
    token, secret = make_token(type="read_only")

    client_for(secret, REMOTE_ADDR="2001:db8::7").post(LIST_URL, {"name": "x"}, format="json")

    assert [f["reason"] for f in failures] == ["method_not_allowed"]
    assert failures[0]["token_id"] == token.pk
    assert failures[0]["display_prefix"] == token.display_prefix
    assert failures[0]["client_ip"] == ipaddress.ip_address("2001:db8::7")
    _assert_no_secret(failures[0], secret)


def test_no_signal_for_a_successful_use(api: APIClient, failures: list[dict[str, Any]]) -> None:
    assert api.get(LIST_URL).status_code == 200

    assert failures == []


def test_no_signal_for_a_foreign_value(
    db: None, anon_client: APIClient, failures: list[dict[str, Any]]
) -> None:
    anon_client.get(LIST_URL, HTTP_AUTHORIZATION="Bearer eyJhbGciOiJub25lIn0.e30.")

    assert failures == []


# --- the secret stays secret ----------------------------------------------------


def test_secret_never_reaches_the_logs(
    caplog: pytest.LogCaptureFixture,
    user: User,
    make_token: MakeToken,
    client_for: ClientFor,
) -> None:
    caplog.set_level(logging.DEBUG)
    _, used_secret = make_token(name="used")
    _, restricted_secret = make_token(name="restricted", ip_restriction="192.0.2.0/24")
    _, reader_secret = make_token(name="reader", type="read_only")
    revoked, revoked_secret = make_token(name="revoked")
    revoked.revoke()

    client_for(used_secret).get(LIST_URL)
    child = client_for(used_secret).post(LIST_URL, {"name": "child"}, format="json").json()
    client_for(restricted_secret, REMOTE_ADDR=OUTSIDE).get(LIST_URL)
    client_for(reader_secret).post(LIST_URL, {"name": "nope"}, format="json")
    client_for(revoked_secret).get(LIST_URL)
    client_for(flip_last(used_secret)).get(LIST_URL)

    assert caplog.records, "nothing was logged: the check below would be vacuous"
    secrets = [used_secret, restricted_secret, reader_secret, revoked_secret, child["token"]]
    for secret in secrets:
        random = secret[4:36]
        assert random not in caplog.text
        for record in caplog.records:
            assert random not in record.getMessage()
            assert random not in repr(record.args)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("revoked", exceptions.AuthenticationFailed),
        ("restricted", exceptions.PermissionDenied),
        ("read_only", exceptions.PermissionDenied),
    ],
)
def test_secret_never_reaches_exception_messages(
    rf: RequestFactory, make_token: MakeToken, setup: str, expected: type[Exception]
) -> None:
    if setup == "revoked":
        token, secret = make_token()
        token.revoke()
    elif setup == "restricted":
        _, secret = make_token(ip_restriction="192.0.2.0/24")
    else:
        _, secret = make_token(type="read_only")

    with pytest.raises(expected) as raised:
        authenticate(rf, secret, method="post", remote_addr=OUTSIDE)

    random = secret[4:36]
    assert random not in str(raised.value)
    assert random not in repr(raised.value)
    assert random not in str(raised.value.__context__)
    assert random not in "".join(traceback.format_exception(raised.value))


def test_secret_never_reaches_the_database_queries(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        verify(bearer_request(rf, token[1]), token[1])

    sql = "\n".join(query["sql"] for query in queries)
    assert tokens.digest(token[1]) in sql
    assert token[1][4:36] not in sql


def test_token_whose_stored_restriction_no_longer_parses_allows_nobody(
    token: tuple[PersonalAccessToken, str], api: APIClient
) -> None:
    # Written around provision(), e.g. by a raw UPDATE: fail closed, not a 500.
    PersonalAccessToken.objects.filter(pk=token[0].pk).update(ip_restriction="not-an-ip")

    response = api.get(LIST_URL)

    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_secret_is_hidden_from_error_reports_of_the_authentication_path(
    token: tuple[PersonalAccessToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:

    import django_pat.verification as verification

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(verification, "_check", broken)
    request = RequestFactory().get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {token[1]}")
    try:
        verify(request, token[1])
    except RuntimeError:
        report = error_report(request, __file__)
    else:  # pragma: no cover
        pytest.fail("the patched check did not raise")

    assert "database went away" in report
    assert token[1] not in report


# --- a database that cannot be reached ------------------------------------------------


def refused(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    """A connection execute_wrapper: every query fails as a refused connection does."""
    raise OperationalError("connection to server failed: Connection refused")


class ProjectView(APIView):
    """A project's own DRF view, with DRF's own exception handler."""

    authentication_classes = [PersonalAccessTokenAuthentication, SessionAuthentication]

    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user)})


def test_a_database_that_fails_is_a_503_with_retry_after_on_any_drf_view(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str]
) -> None:
    request = bearer_request(rf, token[1])

    with connection.execute_wrapper(refused):
        response = ProjectView.as_view()(request)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert response.data == {"detail": UNAVAILABLE_MESSAGE}


def test_a_database_that_fails_authenticates_no_one(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str]
) -> None:
    request = Request(
        bearer_request(rf, token[1]),
        authenticators=[PersonalAccessTokenAuthentication(), SessionAuthentication()],
    )

    with connection.execute_wrapper(refused), pytest.raises(ServiceUnavailable):
        request.user  # noqa: B018 - runs the authentication classes

    # DRF's own answer to a failed authentication: no user, no token.
    assert request._user.is_anonymous
    assert request._auth is None
