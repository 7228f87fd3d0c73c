"""Faults: the database failing or going away mid-request, and a token or its
user disappearing while a request with it runs.

What must hold: the client gets a prompt JSON error from our views (never a
hang, never an HTML page, never a success that did not happen), nothing is
half-done, a failed lookup never lets a request in, the secret is in no log
line, and a token revoked or deleted while a request runs cannot make a new
token. A request whose token was valid when it was looked up may finish
reading: authentication is decided by that one lookup, as if the request had
come just before the revoke.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken
from django_pat.verification import GENERIC_MESSAGE

from . import load
from .conftest import LIST_URL, detail_url

INTERNAL_ERROR = {"message": "Internal server error.", "status": 500}

Matcher = Callable[[str], bool]


def lookup(sql: str) -> bool:
    """The one query that finds a token by its digest."""
    return sql.startswith("SELECT") and '"digest" =' in sql


def listing(sql: str) -> bool:
    return sql.startswith("SELECT") and "ORDER BY" in sql and '"digest" =' not in sql


def insert(sql: str) -> bool:
    return sql.startswith('INSERT INTO "django_pat_personalaccesstoken"')


def revoke_update(sql: str) -> bool:
    return sql.startswith('UPDATE "django_pat_personalaccesstoken" SET "revoked_at"')


def user_lock(sql: str) -> bool:
    return sql.startswith("SELECT") and 'FROM "auth_user"' in sql and "django_pat" not in sql


@contextmanager
def on_query(matches: Matcher, action: Callable[[], None], *, before: bool) -> Iterator[list[str]]:
    """Run ``action`` once, just before or just after the first query that
    ``matches``; yields the SQL of every query that ran."""
    seen: list[str] = []
    fired = False

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        nonlocal fired
        seen.append(sql)
        hit = not fired and matches(sql)
        if hit:
            fired = True
            if before:
                action()
        result = execute(sql, params, many, context)
        if hit and not before:
            action()
        return result

    with connection.execute_wrapper(wrapper):
        yield seen
    assert fired, f"no query matched; ran: {seen}"


def fail_query(matches: Matcher) -> Any:
    """Make the first query that ``matches`` fail as a lost connection does."""

    def fail() -> None:
        raise OperationalError("server closed the connection unexpectedly")

    return on_query(matches, fail, before=True)


def quiet(client: APIClient) -> APIClient:
    """Let the test client return the 500 response instead of raising."""
    client.raise_request_exception = False
    return client


def body(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


# --- the database fails mid-request ----------------------------------------------


REQUESTS = {
    "list": ("get", lambda victim: LIST_URL, None),
    "retrieve": ("get", lambda victim: detail_url(victim.pk), None),
    "provision": ("post", lambda victim: LIST_URL, {"name": "new"}),
    "revoke": ("delete", lambda victim: detail_url(victim.pk), None),
}

FAILURES = [
    ("list", lookup),
    ("list", listing),
    ("retrieve", lookup),
    ("provision", lookup),
    ("provision", user_lock),
    ("provision", insert),
    ("revoke", lookup),
    ("revoke", revoke_update),
]


# Transactional: a failed query outside an atomic block would otherwise spoil
# the transaction the test runs in.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("endpoint", "failing"), FAILURES, ids=[f"{e}, {m.__name__}" for e, m in FAILURES]
)
def test_a_failing_query_is_a_json_500_and_changes_nothing(
    endpoint, failing, user, token, make_token, client_for, caplog
):
    _, secret = token
    victim, _ = make_token(name="victim")
    method, path, payload = REQUESTS[endpoint]
    before = set(PersonalAccessToken.objects.active().values_list("pk", flat=True))
    client = quiet(client_for(secret))

    with caplog.at_level(logging.ERROR, logger="django_pat"), fail_query(failing):
        response = getattr(client, method)(
            path(victim),
            json.dumps(payload) if payload else None,
            content_type="application/json",
        )

    assert response.status_code == 500
    assert body(response) == INTERNAL_ERROR
    assert set(PersonalAccessToken.objects.active().values_list("pk", flat=True)) == before
    assert "Unhandled error" in caplog.text
    assert secret not in caplog.text


def test_a_failed_lookup_does_not_fall_back_to_the_session(user, token, session_api):
    """A logged-in browser sending a Bearer token whose lookup fails gets the
    error, not the session's access."""
    _, secret = token
    session_api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    with fail_query(lookup):
        response = quiet(session_api).get(LIST_URL)

    assert response.status_code == 500


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_unreachable_database_is_a_prompt_json_500(token, client_for, closed_port):
    _, secret = token
    client = quiet(client_for(secret))
    settings_dict = connection.settings_dict
    saved = (settings_dict["HOST"], settings_dict["PORT"])
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", closed_port
    try:
        started = time.monotonic()
        response = client.get(LIST_URL)
        elapsed = time.monotonic() - started
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = saved

    assert response.status_code == 500
    assert body(response) == INTERNAL_ERROR
    assert elapsed < 5
    assert client.get(LIST_URL).status_code == 200


def terminate_own_backend() -> None:
    """Kill this connection's server process from another connection, as a
    database restart or an administrator would."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failing", [lookup, insert], ids=["at the lookup", "at the insert"])
def test_connection_terminated_mid_request_is_a_json_500(user, token, client_for, failing):
    _, secret = token
    client = quiet(client_for(secret))
    made_before = PersonalAccessToken.objects.count()

    with on_query(failing, terminate_own_backend, before=True):
        response = client.post(LIST_URL, {"name": "new"}, format="json")

    assert response.status_code == 500
    assert body(response) == INTERNAL_ERROR
    # What the end of every request does: drop a broken connection. The next
    # request connects afresh.
    close_old_connections()
    assert PersonalAccessToken.objects.count() == made_before
    assert client.post(LIST_URL, {"name": "new"}, format="json").status_code == 200


@pytest.mark.postgres
def test_example_site_carries_on_when_the_database_drops_its_connections(tmp_path):
    """The example site keeps connections open in a pool, which checks each one
    before lending it (CONN_HEALTH_CHECKS): after the database drops every
    connection (a restart, a failover), requests go on without a single error."""
    with load.scratch_database(os.environ["DATABASE_URL"], tmp_path, "faults") as url:
        (secret,) = load.prepare(url, 1, tmp_path)
        with load.serve(url, tmp_path, workers=2, threads=2) as site:
            client = load.Client(site)
            before = [client.request("GET", LIST_URL, secret).status for _ in range(10)]
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(url, autocommit=True) as other:
                dropped = other.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                ).fetchone()
            after = [client.request("GET", LIST_URL, secret).status for _ in range(20)]
            client.close()

    assert before == [200] * 10
    assert dropped is not None
    assert dropped[0] >= 1
    assert after == [200] * 20, site.log_tail()


# --- a token, or its user, disappears while a request with it runs ---------------


def test_a_deleted_token_is_a_401_on_the_next_request(token, api):
    token[0].delete()

    response = api.get(LIST_URL)

    assert response.status_code == 401
    assert body(response)["message"] == GENERIC_MESSAGE


def _revoke(token: PersonalAccessToken, user: User) -> None:
    PersonalAccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _delete(token: PersonalAccessToken, user: User) -> None:
    PersonalAccessToken.objects.filter(pk=token.pk).delete()


def _delete_user(token: PersonalAccessToken, user: User) -> None:
    User.objects.filter(pk=user.pk).delete()


def _deactivate_user(token: PersonalAccessToken, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


VANISHING = {
    "token revoked": _revoke,
    "token deleted": _delete,
    "user deleted": _delete_user,
    "user deactivated": _deactivate_user,
}


@pytest.mark.parametrize("vanish", VANISHING.values(), ids=VANISHING.keys())
def test_a_token_gone_after_its_lookup_cannot_provision(vanish, user, token, client_for):
    parent, secret = token

    with on_query(lookup, lambda: vanish(parent, user), before=False):
        response = client_for(secret).post(LIST_URL, {"name": "child"}, format="json")

    assert response.status_code == 401
    assert body(response)["message"] == GENERIC_MESSAGE
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not PersonalAccessToken.objects.filter(name="child").exists()


@pytest.mark.parametrize(
    "vanish", [_delete_user, _deactivate_user], ids=["user deleted", "user deactivated"]
)
def test_a_session_user_gone_mid_request_cannot_provision(vanish, user, session_api):
    csrf = get_random_string(32)
    session_api.cookies[settings.CSRF_COOKIE_NAME] = csrf

    with on_query(user_lock, lambda: vanish(None, user), before=True):  # type: ignore[arg-type]
        response = session_api.post(
            LIST_URL, {"name": "child"}, format="json", HTTP_X_CSRFTOKEN=csrf
        )

    assert response.status_code == 401
    assert not PersonalAccessToken.objects.filter(name="child").exists()


@pytest.mark.parametrize("vanish", [_revoke, _delete], ids=["revoked", "deleted"])
def test_a_token_gone_after_its_lookup_is_not_brought_back(vanish, user, token, client_for):
    """Reads that began with a valid token complete; recording the use does not
    undo the revoke or recreate the row."""
    parent, secret = token

    with on_query(lookup, lambda: vanish(parent, user), before=False):
        response = client_for(secret).get(LIST_URL)

    assert response.status_code == 200
    if vanish is _delete:
        assert not PersonalAccessToken.objects.filter(pk=parent.pk).exists()
    else:
        assert PersonalAccessToken.objects.get(pk=parent.pk).revoked_at is not None
    assert client_for(secret).get(LIST_URL).status_code == 401
