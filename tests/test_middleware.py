"""PersonalAccessTokenMiddleware with plain Django views, sync and async, and
next to DRF's SessionAuthentication (CSRF)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.utils import timezone

from django_pat import signals
from django_pat.exceptions import RETRY_AFTER, UNAVAILABLE_MESSAGE
from django_pat.middleware import PersonalAccessTokenMiddleware
from django_pat.models import PersonalAccessToken
from django_pat.verification import GENERIC_MESSAGE

MIDDLEWARE = "django_pat.middleware.PersonalAccessTokenMiddleware"


@pytest.fixture(autouse=True)
def plain_site(settings):
    settings.ROOT_URLCONF = "tests.plain_views"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


def bearer(secret: str) -> dict[str, dict[str, str]]:
    return {"headers": {"Authorization": f"Bearer {secret}"}}


def get(path: str, *, is_async: bool = False, headers: dict[str, str] | None = None):
    if is_async:
        return async_to_sync(AsyncClient().get)(path, headers=headers)
    return Client().get(path, headers=headers)


both = pytest.mark.parametrize(
    ("path", "is_async"), [("/whoami", False), ("/async-whoami", True), ("/async-whoami", False)]
)


@both
def test_token_sets_the_user(token, path, is_async):
    stored, secret = token

    response = get(path, is_async=is_async, **bearer(secret))

    assert response.status_code == 200
    assert response.json() == {"user": "alice", "token": str(stored.pk), "method": "GET"}


def test_async_stack_checks_the_token_off_the_event_loop(token, monkeypatch):
    import django_pat.middleware

    wrapped = []

    def recording_sync_to_async(function, *args, **kwargs):
        wrapped.append(function.__name__)
        return sync_to_async(function, *args, **kwargs)

    monkeypatch.setattr(django_pat.middleware, "sync_to_async", recording_sync_to_async)

    response = get("/async-whoami", is_async=True, **bearer(token[1]))

    assert response.json()["user"] == "alice"
    # The lookup, then (a first use) the UPDATE that records it once answered.
    assert wrapped == ["authenticate_request", "settle_use_after_answer"]


@both
def test_no_header_leaves_the_request_anonymous(db, path, is_async):
    response = get(path, is_async=is_async)

    assert response.json()["user"] is None


@both
def test_foreign_bearer_value_is_left_alone(db, path, is_async):
    response = get(
        path, is_async=is_async, headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"}
    )

    assert response.status_code == 200
    assert response.json()["user"] is None


def test_session_user_is_kept_without_a_token(user):
    client = Client()
    client.force_login(user)

    assert client.get("/whoami").json() == {"user": "alice", "token": None, "method": "GET"}


def test_token_wins_over_a_session(user, other_user, make_token):
    _, secret = make_token(other_user, name="bob's")
    client = Client()
    client.force_login(user)

    assert client.get("/whoami", **bearer(secret)).json()["user"] == "bob"


def test_login_required_view_accepts_a_token(token):
    assert get("/private", **bearer(token[1])).status_code == 200


def test_login_required_view_without_token_redirects(db):
    assert get("/private").status_code == 302


def refuse(token: PersonalAccessToken, how: str) -> None:
    if how == "revoked":
        token.revoke()
    elif how == "expired":
        PersonalAccessToken.objects.filter(pk=token.pk).update(expire_at=timezone.now())
    elif how == "inactive_user":
        token.user.is_active = False
        token.user.save()


@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize("how", ["revoked", "expired", "inactive_user", "mistyped", "unknown"])
def test_invalid_token_is_a_generic_401(token, how, is_async):
    stored, secret = token
    refuse(stored, how)
    if how == "mistyped":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    elif how == "unknown":
        secret = PersonalAccessToken.objects.provision(stored.user, name="other")[1]
        PersonalAccessToken.objects.filter(name="other").delete()

    response = get("/whoami", is_async=is_async, **bearer(secret))

    assert response.status_code == 401
    assert response.json() == {"message": GENERIC_MESSAGE, "status": 401}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("is_async", [False, True])
def test_token_from_outside_its_restriction_is_a_403_naming_it(make_token, is_async):
    _, secret = make_token(ip_restriction="10.0.0.0/8")

    response = get("/whoami", is_async=is_async, **bearer(secret))

    assert response.status_code == 403
    assert response.json()["status"] == 403
    assert "127.0.0.1" in response.json()["message"]
    assert "WWW-Authenticate" not in response


def test_token_from_inside_its_restriction_works(make_token):
    _, secret = make_token(ip_restriction="127.0.0.0/8")

    assert get("/whoami", **bearer(secret)).json()["user"] == "alice"


def test_read_only_token_may_not_post(make_token):
    _, secret = make_token(type="read_only")

    response = Client().post("/whoami", **bearer(secret))

    assert response.status_code == 403
    assert "read_only" in response.json()["message"]


def test_refusal_sends_the_failed_signal_without_the_secret(token):
    stored, secret = token
    stored.revoke()
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.authentication_failed.connect(receiver)
    try:
        get("/whoami", **bearer(secret))
    finally:
        signals.authentication_failed.disconnect(receiver)

    assert len(received) == 1
    assert received[0]["reason"] == "revoked"
    assert received[0]["token_id"] == stored.pk
    assert secret not in repr(received)


def test_one_query_and_last_used_recorded(token, django_assert_num_queries):
    stored, secret = token
    client = Client()

    with django_assert_num_queries(2):  # the token with its user; last_used_at
        client.get("/whoami", **bearer(secret))
    with django_assert_num_queries(1):
        client.get("/whoami", **bearer(secret))

    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_drf_view_reuses_the_middlewares_answer(token, django_assert_num_queries):
    _, secret = token
    client = Client()
    client.get("/whoami", **bearer(secret))  # last_used_at is fresh now

    # One query for the token, one for the list: none repeated by the DRF class.
    with django_assert_num_queries(2):
        response = client.get("/api/personal-access-tokens", **bearer(secret))

    assert response.status_code == 200


def test_middleware_is_async_capable():
    async def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    def get_response_sync(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert iscoroutinefunction(PersonalAccessTokenMiddleware(get_response))
    assert not iscoroutinefunction(PersonalAccessTokenMiddleware(get_response_sync))


# --- CSRF: tokens need none, sessions keep it ---------------------------------


def test_token_write_needs_no_csrf_token_on_a_plain_view(token):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/whoami", **bearer(token[1]))

    assert response.status_code == 200
    assert response.json()["method"] == "POST"


def test_session_write_without_csrf_token_is_refused_on_a_plain_view(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post("/whoami").status_code == 403


def test_session_write_without_csrf_token_is_refused_by_drf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(
        "/api/personal-access-tokens", {"name": "x"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
    assert not PersonalAccessToken.objects.exists()


def test_session_write_with_foreign_bearer_value_still_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/whoami", HTTP_AUTHORIZATION="Bearer not-ours")

    assert response.status_code == 403


def test_session_write_with_a_refused_token_is_refused(user, token):
    stored, secret = token
    stored.revoke()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post("/whoami", **bearer(secret)).status_code == 401


def test_token_write_to_drf_needs_no_csrf_token(token):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/personal-access-tokens",
        {"name": "made by a token"},
        content_type="application/json",
        **bearer(token[1]),
    )

    assert response.status_code == 200, response.content
    assert response.json()["token"]


def test_expired_token_after_first_use_is_refused_at_once(token):
    stored, secret = token
    client = Client()
    assert client.get("/whoami", **bearer(secret)).status_code == 200
    PersonalAccessToken.objects.filter(pk=stored.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )

    assert client.get("/whoami", **bearer(secret)).status_code == 401


# --- the system check on the middleware's place -------------------------------


def middleware_errors(settings, middleware):
    from django_pat.checks import check_middleware_order

    settings.MIDDLEWARE = middleware
    return [error.id for error in check_middleware_order()]


def test_check_accepts_the_middleware_after_authentication(settings):
    assert middleware_errors(settings, settings.MIDDLEWARE) == []


def test_check_refuses_the_middleware_before_authentication(settings):
    order = [MIDDLEWARE, *[m for m in settings.MIDDLEWARE if m != MIDDLEWARE]]

    assert middleware_errors(settings, order) == ["django_pat.E002"]


def test_check_ignores_entries_it_cannot_import(settings):
    assert middleware_errors(settings, ["no.such.Middleware", MIDDLEWARE]) == []


# --- DRF views behind the middleware alone -------------------------------------


def test_token_via_middleware_cannot_provision_beyond_itself(make_token):
    """With only SessionAuthentication in DRF, the middleware's token is still
    the parent: an omitted restriction and expiry are inherited, not widened."""
    parent, secret = make_token(
        ip_restriction="127.0.0.0/8", expire_at=timezone.now() + timedelta(days=2)
    )
    client = Client(enforce_csrf_checks=True)

    made = client.post(
        "/session-only/tokens", {"name": "child"}, content_type="application/json", **bearer(secret)
    )
    wider = client.post(
        "/session-only/tokens",
        {"name": "wider", "ipRestriction": None},
        content_type="application/json",
        **bearer(secret),
    )

    assert made.status_code == 200, made.content
    assert made.json()["ipRestriction"] == "127.0.0.0/8"
    assert made.json()["expireAt"] == parent.expire_at.isoformat().replace("+00:00", "Z")
    assert wider.status_code == 400
    assert "ipRestriction" in wider.json()["errors"]


def test_session_via_drf_alone_has_no_parent(user):
    client = Client()
    client.force_login(user)

    made = client.post("/session-only/tokens", {"name": "free"}, content_type="application/json")

    assert made.status_code == 200
    assert made.json()["ipRestriction"] is None


# --- a database that cannot be reached ------------------------------------------------


def refused(execute, sql, params, many, context):
    """A connection execute_wrapper: every query fails as a refused connection does."""
    raise OperationalError("connection to server failed: Connection refused")


@both
def test_a_database_that_fails_is_a_503_and_the_view_never_runs(
    token, path, is_async, caplog, user
):
    _, secret = token
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.authentication_failed.connect(receiver)
    try:
        with connection.execute_wrapper(refused), caplog.at_level("ERROR", logger="django_pat"):
            response = get(path, is_async=is_async, **bearer(secret))
    finally:
        signals.authentication_failed.disconnect(receiver)

    assert response.status_code == 503
    assert response.json() == {"message": UNAVAILABLE_MESSAGE, "status": 503}
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert "WWW-Authenticate" not in response
    (logged,) = [r for r in caplog.records if r.name == "django_pat"]
    assert isinstance(logged.exc_info[1], OperationalError)
    assert secret not in caplog.text
    assert received == []  # not the token's fault: no failed-authentication signal


def test_a_database_that_fails_does_not_fall_back_to_the_session(token, user):
    client = Client()
    client.force_login(user)

    with connection.execute_wrapper(refused):
        response = client.get("/whoami", **bearer(token[1]))

    assert response.status_code == 503
