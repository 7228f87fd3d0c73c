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
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import django
import psycopg
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db import OperationalError, ProgrammingError, close_old_connections, connection
from django.test import AsyncClient, Client, RequestFactory
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from django_pat.exceptions import RETRY_AFTER, UNAVAILABLE_MESSAGE
from django_pat.models import PersonalAccessToken
from django_pat.verification import GENERIC_MESSAGE

from . import load
from .conftest import LIST_URL, detail_url

MIDDLEWARE = "django_pat.middleware.PersonalAccessTokenMiddleware"
INTERNAL_ERROR = {"message": "Internal server error.", "status": 500}
UNAVAILABLE = {"message": UNAVAILABLE_MESSAGE, "status": 503}

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


def connection_lost() -> Exception:
    return OperationalError("server closed the connection unexpectedly")


def wrong_query() -> Exception:
    return ProgrammingError('column "nope" does not exist')


def fail_query(matches: Matcher, error: Callable[[], Exception] = connection_lost) -> Any:
    """Make the first query that ``matches`` fail with a new ``error()``, by
    default as a lost connection does."""

    def fail() -> None:
        raise error()

    return on_query(matches, fail, before=True)


def quiet(client: Any) -> Any:
    """Let the test client return the 500 response instead of raising."""
    client.raise_request_exception = False
    return client


def body(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def pat_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django_pat" and r.levelno >= logging.ERROR]


def assert_unavailable(response: Any) -> None:
    """The 503 of a database that cannot be reached."""
    assert response.status_code == 503
    assert body(response) == UNAVAILABLE
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert "WWW-Authenticate" not in response


# A database that failed (a lost connection) is a 503 the client may retry; a
# query that is wrong stays a 500.
ERRORS = {"connection lost": (connection_lost, 503), "wrong query": (wrong_query, 500)}


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
@pytest.mark.parametrize("error", ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize(
    ("endpoint", "failing"), FAILURES, ids=[f"{e}, {m.__name__}" for e, m in FAILURES]
)
def test_a_failing_query_is_a_json_error_and_changes_nothing(
    endpoint, failing, error, user, token, make_token, client_for, caplog
):
    make_error, status = error
    _, secret = token
    victim, _ = make_token(name="victim")
    method, path, payload = REQUESTS[endpoint]
    before = set(PersonalAccessToken.objects.active().values_list("pk", flat=True))
    client = quiet(client_for(secret))

    with caplog.at_level(logging.ERROR, logger="django_pat"), fail_query(failing, make_error):
        response = getattr(client, method)(
            path(victim),
            json.dumps(payload) if payload else None,
            content_type="application/json",
        )

    if status == 503:
        assert_unavailable(response)
    else:
        assert response.status_code == 500
        assert body(response) == INTERNAL_ERROR
    assert set(PersonalAccessToken.objects.active().values_list("pk", flat=True)) == before
    # One line, with the traceback, and never the secret.
    (logged,) = pat_errors(caplog)
    assert logged.exc_info is not None
    assert type(logged.exc_info[1]) is type(make_error())
    assert secret not in caplog.text


def use_update(sql: str) -> bool:
    return sql.startswith('UPDATE "django_pat_personalaccesstoken" SET "last_used_at"')


@pytest.mark.django_db(transaction=True)
def test_a_use_that_cannot_be_recorded_is_a_503_and_nothing_is_made(token, client_for, caplog):
    """Through DRF the use is written once the permissions pass, before the
    handler: a database that fails then is a 503 and no work done."""
    _, secret = token
    client = quiet(client_for(secret))

    with caplog.at_level(logging.ERROR, logger="django_pat"), fail_query(use_update):
        response = client.post(LIST_URL, {"name": "never made"}, format="json")

    assert_unavailable(response)
    assert not PersonalAccessToken.objects.filter(name="never made").exists()
    assert secret not in caplog.text


@pytest.mark.parametrize("error", ERRORS.values(), ids=ERRORS.keys())
def test_a_failed_lookup_does_not_fall_back_to_the_session(user, token, session_api, error):
    """A logged-in browser sending a Bearer token whose lookup fails gets the
    error, not the session's access."""
    make_error, status = error
    _, secret = token
    session_api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    with fail_query(lookup, make_error):
        response = quiet(session_api).get(LIST_URL)

    assert response.status_code == status


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin_connection() -> psycopg.Connection[Any]:
    """A connection of its own to the test database, outside Django's."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture(params=["connection refused", "too many connections"])
def refusing(request, closed_port) -> Iterator[Callable[[], Any]]:
    """How PostgreSQL refuses a connection: nothing listens on the port, or
    the server says it has too many (its own error, SQLSTATE 53300, from a
    role whose connection limit is reached). Yields a context manager that
    points Django's connection there for as long as it runs."""
    if request.param == "connection refused":
        changes: dict[str, Any] = {"HOST": "127.0.0.1", "PORT": closed_port}
        role = None
    else:
        role = f"{connection.settings_dict['NAME']}_full"
        with admin_connection() as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
            admin.execute(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0')
        changes = {"USER": role}

    @contextmanager
    def refused() -> Iterator[None]:
        settings_dict = connection.settings_dict
        saved = {key: settings_dict[key] for key in changes}
        connection.close()
        settings_dict.update(changes)
        try:
            yield
        finally:
            connection.close()
            settings_dict.update(saved)

    yield refused
    if role is not None:
        with admin_connection() as admin:
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def assert_logged_once(caplog: pytest.LogCaptureFixture, secret: str) -> None:
    """One error line from django_pat, with PostgreSQL's own refusal in its
    traceback, and never the secret."""
    (logged,) = pat_errors(caplog)
    assert logged.exc_info is not None
    assert isinstance(logged.exc_info[1], OperationalError)
    assert any(
        words in caplog.text for words in ("Connection refused", "too many connections for role")
    ), caplog.text
    assert secret not in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_refusing_database_is_a_503_on_the_endpoints(token, client_for, refusing, method, caplog):
    _, secret = token
    client = quiet(client_for(secret))

    with refusing(), caplog.at_level(logging.ERROR, logger="django_pat"):
        response = getattr(client, method)(LIST_URL, {"name": "new"}, format="json")

    assert_unavailable(response)
    assert_logged_once(caplog, secret)
    assert getattr(client, method)(LIST_URL, {"name": "new"}, format="json").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refusing_database_is_a_503_for_a_session_too(session_api, refusing, caplog):
    """Not a 500, and not anonymous: the session cannot be read either."""
    with refusing(), caplog.at_level(logging.ERROR, logger="django_pat"):
        response = quiet(session_api).get(LIST_URL)

    assert_unavailable(response)
    assert len(pat_errors(caplog)) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/whoami", "/async-whoami"])
def test_a_refusing_database_is_a_503_from_the_middleware(token, refusing, path, settings, caplog):
    settings.ROOT_URLCONF = "tests.plain_views"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    _, secret = token
    headers = {"Authorization": f"Bearer {secret}"}

    with refusing(), caplog.at_level(logging.ERROR, logger="django_pat"):
        if path.startswith("/async"):
            response = async_to_sync(AsyncClient().get)(path, headers=headers)
        else:
            response = Client().get(path, headers=headers)

    # The middleware's answer: the view (which would show "user") never ran.
    assert_unavailable(response)
    assert_logged_once(caplog, secret)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refusing_database_authenticates_no_one_through_the_backend(
    token, refusing, settings, caplog
):
    settings.AUTHENTICATION_BACKENDS = ["django_pat.backends.PersonalAccessTokenBackend"]
    _, secret = token
    request = RequestFactory().get("/anything")

    with refusing(), caplog.at_level(logging.ERROR, logger="django_pat"):
        user = authenticate(request, token=secret)

    assert user is None
    assert not hasattr(request, "personal_access_token")
    assert_logged_once(caplog, secret)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cache_mode_with_cache_and_database_down_is_a_503(
    token, client_for, refusing, closed_port, settings, caplog
):
    """With the cache unreachable, cache mode reads the database; with that
    refusing too, the answer is the same 503."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pat": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        },
    }
    settings.DJANGO_PAT = {"CACHE": "pat"}
    _, secret = token

    with refusing(), caplog.at_level(logging.WARNING, logger="django_pat"):
        response = quiet(client_for(secret)).get(LIST_URL)

    assert_unavailable(response)
    assert_logged_once(caplog, secret)


SILENT_SITE_REQUEST = """
import django
django.setup()
from django.test import Client
from django_pat import tokens
response = Client().get(
    "/api/personal-access-tokens",
    HTTP_AUTHORIZATION=f"Bearer {tokens.generate('pat')}",
    HTTP_HOST="127.0.0.1",
)
print(response.status_code, response["Retry-After"], response.content.decode())
"""


def test_example_site_gives_up_on_a_silent_database_with_a_503(tmp_path):
    """A PostgreSQL address that accepts the connection and never answers (a
    hung server, a black-holed network): the example site's connect_timeout
    ends the wait, and the request is a 503, not a request that hangs."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the handshake completes; nothing ever answers
        port = silent.getsockname()[1]
        environment = load.site_environment(f"postgres://postgres@127.0.0.1:{port}/silent")
        result = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-c", SILENT_SITE_REQUEST],
            env=environment,
            cwd=load.ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert result.returncode == 0, result.stderr
    status, retry_after, content = result.stdout.strip().split(" ", 2)
    assert (status, retry_after) == ("503", str(RETRY_AFTER))
    assert json.loads(content) == UNAVAILABLE


def terminate_own_backend() -> None:
    """Kill this connection's server process from another connection, as a
    database restart or an administrator would."""
    pid = connection.connection.info.backend_pid
    with admin_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failing", [lookup, insert], ids=["at the lookup", "at the insert"])
def test_connection_terminated_mid_request_is_a_json_503(user, token, client_for, failing):
    _, secret = token
    client = quiet(client_for(secret))
    made_before = PersonalAccessToken.objects.count()

    with on_query(failing, terminate_own_backend, before=True):
        response = client.post(LIST_URL, {"name": "new"}, format="json")

    assert_unavailable(response)
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


# --- the secret in error reports ----------------------------------------------------


@pytest.fixture
def mailed(settings, mailoutbox) -> Iterator[list[Any]]:
    """Every error report mailed to the admins, as AdminEmailHandler mails it,
    with its HTML part (the one that shows each frame's variables) and
    whatever DEBUG is."""
    settings.ADMINS = (
        ["admin@example.com"] if django.VERSION >= (6,) else [("Admin", "admin@example.com")]
    )
    handler = AdminEmailHandler(include_html=True)
    loggers = [logging.getLogger("django"), logging.getLogger("django_pat")]
    for logger in loggers:
        logger.addHandler(handler)
    yield mailoutbox
    for logger in loggers:
        logger.removeHandler(handler)


def drf_class(secret: str) -> Any:
    return quiet(APIClient()).get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {secret}")


def middleware(secret: str) -> Any:
    return Client(raise_request_exception=False).get(
        "/whoami", headers={"Authorization": f"Bearer {secret}"}
    )


def middleware_async(secret: str) -> Any:
    client = AsyncClient(raise_request_exception=False)
    return async_to_sync(client.get)("/async-whoami", headers={"Authorization": f"Bearer {secret}"})


def backend(secret: str) -> Any:
    return Client(raise_request_exception=False).get(
        "/backend-whoami", headers={"Authorization": f"Bearer {secret}"}
    )


PATHS = [drf_class, middleware, middleware_async, backend]


def reports(response: Any, outbox: list[Any]) -> list[str]:
    """Every error report of the request: Django's technical 500 page (DEBUG
    on), the report of the exception the handler saw, rendered as the debug
    page and as the email do, and every email sent."""
    found = []
    if response["Content-Type"].startswith("text/html"):
        found.append(response.content.decode())
    if response.exc_info is not None:
        request = getattr(response, "wsgi_request", None) or response.asgi_request
        for is_email in (False, True):
            reporter = ExceptionReporter(request, *response.exc_info, is_email=is_email)
            found += [reporter.get_traceback_html(), reporter.get_traceback_text()]
    for message in outbox:
        found.append(message.body)
        found += [content for content, _ in getattr(message, "alternatives", [])]
    return found


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
@pytest.mark.parametrize("error", ERRORS.values(), ids=ERRORS.keys())
@pytest.mark.parametrize("path", PATHS, ids=[p.__name__ for p in PATHS])
def test_the_secret_is_in_no_error_report(token, mailed, settings, path, error, debug):
    """A database error during the lookup, on every path that authenticates:
    neither the debug page nor the emailed report shows the secret in any
    frame (Django hides variables marked sensitive only with DEBUG off)."""
    settings.DEBUG = debug
    settings.ROOT_URLCONF = "tests.plain_views"
    settings.MIDDLEWARE = (
        [*settings.MIDDLEWARE, MIDDLEWARE] if "middleware" in path.__name__ else settings.MIDDLEWARE
    )
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "django_pat.backends.PersonalAccessTokenBackend",
    ]
    make_error, status = error
    _, secret = token

    with fail_query(lookup, make_error):
        response = path(secret)

    assert response.status_code == (401 if path is backend and status == 503 else status)
    found = reports(response, mailed)
    assert found, "no error report was made"
    # Reports of the frames that ran the lookup, with their variables.
    assert any("_find" in report and "digest" in report for report in found)
    for report in found:
        assert secret[4:36] not in report
