"""The compiled token query (django_pat/lookup.py): one query that gives the
token and its user exactly as the ORM would, whatever the digest holds."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import OperationalError, connection, connections
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request

from django_pat import lookup, tokens
from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.models import PersonalAccessToken

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]


def field_values(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"ip_restriction": "10.0.0.0/8, 2001:db8::1", "type": "read_only"},
        {"expire_at": None},
    ],
    ids=["defaults", "restricted read-only", "never expires"],
)
def test_fetch_gives_what_the_orm_gives(
    make_token: MakeToken, settings: Any, options: dict[str, Any]
) -> None:
    if options.get("expire_at", 1) is None:
        settings.DJANGO_PAT = {"MAX_LIFETIME": None}
    token, secret = make_token(**options)
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    expected = PersonalAccessToken.objects.select_related("user").get(pk=token.pk)

    found = lookup.fetch(tokens.digest(secret))

    assert found is not None
    assert field_values(found) == field_values(expected)
    assert field_values(found.user) == field_values(expected.user)
    assert found._state.db == "default"
    assert not found._state.adding
    assert found.get_deferred_fields() == set()
    assert found.user.get_deferred_fields() == set()
    assert found.expire_at is None or timezone.is_aware(found.expire_at)


def test_fetch_is_one_query_and_loads_the_user_with_it(
    token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        found = lookup.fetch(tokens.digest(token[1]))
        assert found is not None
        assert found.user.username == "alice"


def test_fetch_unknown_digest_is_none(db: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        assert lookup.fetch("0" * 64) is None


def test_fetch_returns_refused_tokens_too(make_token: MakeToken, user: User) -> None:
    """The rules are checked on what fetch returns, not by the query."""
    token, secret = make_token()
    token.revoke()
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        expire_at=timezone.now() - timedelta(days=1)
    )
    User.objects.filter(pk=user.pk).update(is_active=False)

    found = lookup.fetch(tokens.digest(secret))

    assert found is not None
    assert found.revoked_at is not None
    assert found.is_expired()
    assert not found.user.is_active


@pytest.mark.parametrize(
    "digest",
    ["' OR '1'='1", "%s", "<django_pat digest>", "", "a" * 1000],
    ids=["quote", "placeholder", "the compile marker", "empty", "long"],
)
def test_fetch_binds_the_digest_as_a_parameter(
    token: tuple[PersonalAccessToken, str], digest: str
) -> None:
    assert lookup.fetch(digest) is None


def test_fetch_sends_the_digest_never_the_secret(token: tuple[PersonalAccessToken, str]) -> None:
    with CaptureQueriesContext(connection) as queries:
        lookup.fetch(tokens.digest(token[1]))

    assert token[1] not in repr(queries.captured_queries)


def test_fetch_finds_each_token_of_many(make_token: MakeToken, other_user: User) -> None:
    made = [make_token() for _ in range(3)] + [make_token(other_user) for _ in range(3)]

    for token, secret in made:
        found = lookup.fetch(tokens.digest(secret))
        assert found is not None
        assert found.pk == token.pk
        assert found.user.pk == token.user_id


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize("setting", ["AUTH_USER_MODEL", "DATABASES", "DATABASE_ROUTERS"])
def test_changed_settings_recompile_the_query(
    token: tuple[PersonalAccessToken, str], setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str] = []
    real_compile = lookup._compile

    def spy(alias: str) -> Any:
        compiled.append(alias)
        return real_compile(alias)

    monkeypatch.setattr(lookup, "_compile", spy)
    digest = tokens.digest(token[1])
    lookup.fetch(digest)
    lookup.fetch(digest)
    before = len(compiled)

    setting_changed.send(sender=None, setting=setting, value=None, enter=True)

    assert lookup.fetch(digest) is not None
    assert len(compiled) == before + 1


def test_each_thread_compiles_its_own_query(token: tuple[PersonalAccessToken, str]) -> None:
    """Converters belong to the connection that compiled them, one per thread."""
    digest = tokens.digest(token[1])
    lookup.fetch(digest)
    mine = lookup._for("default")
    theirs: list[Any] = []

    def other_thread() -> None:
        theirs.append(lookup._for("default"))
        connections.close_all()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()

    assert theirs[0] is not mine
    assert theirs[0].sql == mine.sql


# --- a Django whose compiler internals changed -------------------------------------


@pytest.fixture
def uncompilable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Compiling the token query fails, as it might on a future Django whose
    compiler internals changed; yields the aliases compiling was tried for."""
    tried: list[str] = []

    def broken(alias: str) -> Any:
        tried.append(alias)
        raise AttributeError("'SQLCompiler' object has no attribute 'get_converters'")

    monkeypatch.setattr(lookup, "_compile", broken)
    lookup._forget(setting="DATABASES")  # every thread compiles again
    yield tried
    monkeypatch.undo()
    lookup._forget(setting="DATABASES")


def authenticate(secret: str) -> Any:
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    result = PersonalAccessTokenAuthentication().authenticate(Request(request))
    assert result is not None
    return result


def test_a_query_that_does_not_compile_falls_back_to_the_orm_logging_once(
    uncompilable: list[str],
    token: tuple[PersonalAccessToken, str],
    caplog: pytest.LogCaptureFixture,
    django_assert_num_queries: Any,
) -> None:
    with caplog.at_level(logging.WARNING, logger="django_pat"):
        user, found = authenticate(token[1])  # the lookup and lastUsedAt's first write
        for _ in range(3):
            with django_assert_num_queries(1):
                user, found = authenticate(token[1])

    assert found.pk == token[0].pk
    assert user.username == "alice"
    assert uncompilable == ["default"]  # tried once, not on every request
    [warning] = [r for r in caplog.records if r.name == "django_pat"]
    assert "could not compile the token query" in warning.getMessage()
    assert warning.exc_info is not None
    assert token[1] not in caplog.text


def test_the_fallback_gives_what_the_compiled_query_gives(
    make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    token, secret = make_token(ip_restriction="10.0.0.0/8", type="read_only")
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    compiled = lookup.fetch(tokens.digest(secret))
    assert compiled is not None

    lookup._forget(setting="DATABASES")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lookup, "_compile", lambda alias: 1 / 0)
        with django_assert_num_queries(1):
            fallback = lookup.fetch(tokens.digest(secret))
        with django_assert_num_queries(1):
            assert lookup.fetch("0" * 64) is None
    lookup._forget(setting="DATABASES")

    assert fallback is not None
    assert field_values(fallback) == field_values(compiled)
    assert field_values(fallback.user) == field_values(compiled.user)
    assert fallback._state.db == compiled._state.db


def test_a_failed_compile_is_not_tried_or_logged_again_in_another_thread(
    uncompilable: list[str],
    token: tuple[PersonalAccessToken, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    digest = tokens.digest(token[1])
    with caplog.at_level(logging.WARNING, logger="django_pat"):
        assert lookup.fetch(digest) is not None
        thread = threading.Thread(target=lambda: lookup._for("default"))
        thread.start()
        thread.join()

    assert uncompilable == ["default"]
    assert len([r for r in caplog.records if r.name == "django_pat"]) == 1


def test_a_database_error_while_compiling_is_not_taken_for_a_broken_compiler(
    token: tuple[PersonalAccessToken, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Compiling may connect (to learn the server's version): a database that
    does not answer is the 503 of authentication, and compiling is tried
    again on the next request."""
    real_compile = lookup._compile
    calls = iter([OperationalError("connection refused")])

    def down_once(alias: str) -> Any:
        error = next(calls, None)
        if error is not None:
            raise error
        return real_compile(alias)

    monkeypatch.setattr(lookup, "_compile", down_once)
    lookup._forget(setting="DATABASES")
    digest = tokens.digest(token[1])

    with caplog.at_level(logging.WARNING, logger="django_pat"):
        with pytest.raises(OperationalError):
            lookup.fetch(digest)
        assert lookup.fetch(digest) is not None

    assert lookup._for("default") is not None
    assert caplog.records == []


def test_the_compiled_query_with_a_custom_user_model() -> None:
    """tests/custom_user/checks.py, in a process whose user model has a UUID
    primary key, a JSONField and a parent table: the compiled query, its ORM
    fallback, cache entries and the endpoints give what the ORM gives."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds=tests.custom_user.settings",
            "tests/custom_user/checks.py",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b6 passed\b", result.stdout), result.stdout


# --- a project that reads from a replica --------------------------------------------


class ReadsFromReplica:
    """Routes reads to "replica" and writes to "default", as a project with a
    read replica does."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "replica"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return True


@pytest.fixture
def lagging_replica(token: tuple[PersonalAccessToken, str], settings: Any) -> PersonalAccessToken:
    """``token`` copied to the replica, which then stops catching up; reads
    routed there from now on. Returns the token as the primary has it."""
    stored, _ = token
    for row in (User.objects.get(pk=stored.user_id), PersonalAccessToken.objects.get(pk=stored.pk)):
        row.save(using="replica", force_insert=True)
    settings.DATABASE_ROUTERS = [f"{__name__}.ReadsFromReplica"]
    return PersonalAccessToken.objects.using("default").get(pk=stored.pk)


def still_active_on_the_replica(token: PersonalAccessToken) -> bool:
    return PersonalAccessToken.objects.using("replica").active().filter(pk=token.pk).exists()


REPLICA = pytest.mark.django_db(databases=["default", "replica"])


@REPLICA
def test_fetch_reads_the_database_that_writes_tokens(lagging_replica: PersonalAccessToken) -> None:
    PersonalAccessToken.objects.using("default").filter(pk=lagging_replica.pk).update(
        name="renamed on the primary"
    )

    found = lookup.fetch(lagging_replica.digest)

    assert found is not None
    assert found.name == "renamed on the primary"
    assert found._state.db == "default"


@REPLICA
@pytest.mark.parametrize("change", ["revoked", "user deactivated"])
def test_revocation_on_the_primary_refuses_the_next_request_while_the_replica_lags(
    lagging_replica: PersonalAccessToken,
    token: tuple[PersonalAccessToken, str],
    client_for: Callable[[str], Any],
    change: str,
) -> None:
    if change == "revoked":
        lagging_replica.revoke()
    else:
        User.objects.using("default").filter(pk=lagging_replica.user_id).update(is_active=False)
    assert still_active_on_the_replica(lagging_replica)
    assert User.objects.using("replica").get(pk=lagging_replica.user_id).is_active

    response = client_for(token[1]).get("/api/personal-access-tokens")

    assert response.status_code == 401


@REPLICA
def test_cache_mode_fills_from_the_database_that_writes_tokens(
    lagging_replica: PersonalAccessToken,
    token: tuple[PersonalAccessToken, str],
    client_for: Callable[[str], Any],
    settings: Any,
) -> None:
    """Once a revocation's tombstone has expired, a miss fills the cache from
    the primary, not with the replica's stale row."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pat": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "replica"},
    }
    settings.DJANGO_PAT = {"CACHE": "pat"}
    lagging_replica.revoke()
    caches["pat"].clear()  # the tombstone has expired
    assert still_active_on_the_replica(lagging_replica)

    responses = [client_for(token[1]).get("/api/personal-access-tokens") for _ in range(2)]

    assert [response.status_code for response in responses] == [401, 401]
