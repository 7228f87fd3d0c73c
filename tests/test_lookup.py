"""The compiled token query (django_pat/lookup.py): one query that gives the
token and its user exactly as the ORM would, whatever the digest holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_pat import lookup, tokens
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
