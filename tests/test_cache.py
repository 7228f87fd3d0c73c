"""Cache mode (django_pat/cache.py), in one process: hits cost no query, and
every change that could refuse a token is seen by the very next request.

Two real processes sharing Redis are in test_cache_processes.py. These tests
commit (transactional database), because the cache is invalidated only when
a change commits.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import checks
from django.core.cache import caches
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIClient

from django_pat import cache as pat_cache
from django_pat import lookup, tokens
from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.models import PersonalAccessToken
from tests.conftest import LIST_URL, detail_url

pytestmark = pytest.mark.django_db(transaction=True)

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(autouse=True)
def cache_mode() -> Iterator[None]:
    """Cache mode on, with a cache of its own for each test."""
    with override_settings(
        CACHES={
            "default": {"BACKEND": LOCMEM, "LOCATION": "default"},
            "pat": {"BACKEND": LOCMEM, "LOCATION": f"pat-{uuid.uuid4()}"},
        },
        DJANGO_PAT={"CACHE": "pat"},
    ):
        yield


def authenticate(secret: str, method: str = "get") -> tuple[Any, PersonalAccessToken]:
    """Run the DRF class, as a request carrying ``secret`` would."""
    request = getattr(RequestFactory(), method)(
        "/", HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="192.0.2.10"
    )
    result = PersonalAccessTokenAuthentication().authenticate(Request(request))
    assert result is not None
    return result


def refused(secret: str) -> bool:
    try:
        authenticate(secret)
    except exceptions.AuthenticationFailed:
        return True
    return False


def cached_entries() -> dict[str, Any]:
    """Everything in the test's cache, unpickled (LocMemCache keeps pickles)."""
    store = caches["pat"]._cache  # type: ignore[attr-defined]
    return {key: pickle.loads(value) for key, value in store.items()}  # noqa: S301 - our own


# --- hits ---------------------------------------------------------------------------


def test_first_use_reads_the_database_then_hits_cost_no_query(
    token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):  # the lookup, and lastUsedAt's first write
        authenticate(token[1])
    for _ in range(3):
        with django_assert_num_queries(0):
            user, found = authenticate(token[1])
        assert user.username == "alice"
        assert found.pk == token[0].pk


def test_hit_through_the_endpoint_costs_only_the_views_queries(
    token: tuple[PersonalAccessToken, str], api: APIClient, django_assert_num_queries: Any
) -> None:
    api.get(LIST_URL)
    with django_assert_num_queries(1):  # the list itself
        response = api.get(LIST_URL)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [str(token[0].pk)]


def test_a_hit_carries_the_scopes_and_checking_them_costs_no_query(
    make_token: MakeToken, client_for: Callable[[str], APIClient], django_assert_num_queries: Any
) -> None:
    _, secret = make_token(scopes=["tokens:read"])
    client = client_for(secret)
    client.get(LIST_URL)

    with django_assert_num_queries(0):
        _, found = authenticate(secret)
    with django_assert_num_queries(0):  # refused from the cached entry alone
        refused = client.post(LIST_URL, {"name": "child"}, format="json")
    with django_assert_num_queries(1):  # the list itself
        listed = client.get(LIST_URL)

    assert found.scopes == ["tokens:read"]
    assert refused.status_code == 403
    assert listed.status_code == 200


def test_a_hit_gives_the_token_and_user_the_database_has(make_token: MakeToken, user: User) -> None:
    token, secret = make_token(ip_restriction="192.0.2.0/24", type="read_only")
    authenticate(secret)

    cached_user, cached = authenticate(secret)

    stored = PersonalAccessToken.objects.select_related("user").get(pk=token.pk)
    for field in PersonalAccessToken._meta.concrete_fields:
        assert getattr(cached, field.attname) == getattr(stored, field.attname), field.name
    for field in User._meta.concrete_fields:
        if field.attname != "password":
            assert getattr(cached_user, field.attname) == getattr(user, field.attname), field.name
    assert cached.user is cached_user
    assert cached._state.db == "default"
    assert not cached._state.adding


def test_every_request_gets_its_own_user_object(token: tuple[PersonalAccessToken, str]) -> None:
    authenticate(token[1])
    first, _ = authenticate(token[1])
    second, _ = authenticate(token[1])

    assert first == second
    assert first is not second


def test_unknown_tokens_are_not_cached(db: None, django_assert_num_queries: Any) -> None:
    head = "pat_" + "A" * tokens.RANDOM_LENGTH
    unknown = head + tokens.checksum(head)
    for _ in range(2):
        with django_assert_num_queries(1):
            assert refused(unknown)

    assert cached_entries() == {}


def test_malformed_tokens_cost_nothing(db: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert refused("pat_" + "A" * 38)

    assert cached_entries() == {}


def test_other_users_tokens_stay_cached_when_one_user_changes(
    make_token: MakeToken, user: User, other_user: User, django_assert_num_queries: Any
) -> None:
    _mine, mine = make_token()
    _theirs, theirs = make_token(other_user)
    authenticate(mine)
    authenticate(theirs)

    user.first_name = "Alice"
    user.save()

    with django_assert_num_queries(0):
        authenticate(theirs)


# --- what the cache holds -----------------------------------------------------------


def test_the_secret_and_the_password_hash_are_never_cached(
    token: tuple[PersonalAccessToken, str], user: User
) -> None:
    authenticate(token[1])
    authenticate(token[1])

    everything = repr(cached_entries())
    assert cached_entries(), "nothing was cached"
    assert token[1] not in everything
    assert token[1][len("pat_") :] not in everything
    assert user.password not in everything
    assert tokens.digest(token[1]) in everything  # keyed by digest


def test_cached_user_has_its_password_deferred_yet_usable(
    token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    authenticate(token[1])
    user, _ = authenticate(token[1])

    assert user.get_deferred_fields() == {"password"}
    with django_assert_num_queries(1):
        assert user.check_password("alice-password")


# --- invalidation: the very next request --------------------------------------------


def test_revoke_refuses_the_very_next_request(token: tuple[PersonalAccessToken, str]) -> None:
    authenticate(token[1])
    authenticate(token[1])

    token[0].revoke()

    assert refused(token[1])


def test_revoke_through_the_endpoint_refuses_the_very_next_request(
    make_token: MakeToken, client_for: Callable[[str], APIClient]
) -> None:
    victim, secret = make_token(name="victim")
    _admin, admin_secret = make_token(name="admin")
    client = client_for(secret)
    assert client.get(LIST_URL).status_code == 200
    assert client.get(LIST_URL).status_code == 200

    assert client_for(admin_secret).delete(detail_url(victim.pk)).status_code == 200

    assert client.get(LIST_URL).status_code == 401


def test_revoke_rolled_back_leaves_the_token_working(
    token: tuple[PersonalAccessToken, str],
) -> None:
    authenticate(token[1])

    def revoke_then_fail() -> None:
        with transaction.atomic():
            token[0].revoke()
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        revoke_then_fail()

    assert not refused(token[1])


def test_revoke_in_a_transaction_takes_effect_when_it_commits(
    token: tuple[PersonalAccessToken, str],
) -> None:
    authenticate(token[1])

    with transaction.atomic():
        PersonalAccessToken.objects.get(pk=token[0].pk).revoke()

    assert refused(token[1])


def test_deactivated_user_is_refused_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str], user: User
) -> None:
    authenticate(token[1])

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert refused(token[1])


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_user_flags_are_seen_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str], user: User, flag: str
) -> None:
    cached_user, _ = authenticate(token[1])
    assert getattr(cached_user, flag) is False

    setattr(user, flag, True)
    user.save()

    cached_user, _ = authenticate(token[1])
    assert getattr(cached_user, flag) is True


def test_user_permissions_are_seen_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str], user: User
) -> None:
    authenticate(token[1])
    cached_user, _ = authenticate(token[1])
    assert not cached_user.has_perm("auth.view_user")  # fills that object's permission cache

    user.user_permissions.add(Permission.objects.get(codename="view_user"))

    cached_user, _ = authenticate(token[1])
    assert cached_user.has_perm("auth.view_user")
    assert not hasattr(cached_user, "_perm_cache") or "auth.view_user" in cached_user._perm_cache


def test_group_permissions_are_seen_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str], user: User
) -> None:
    group = Group.objects.create(name="auditors")
    user.groups.add(group)
    authenticate(token[1])
    assert not authenticate(token[1])[0].has_perm("auth.view_group")

    group.permissions.add(Permission.objects.get(codename="view_group"))

    assert authenticate(token[1])[0].has_perm("auth.view_group")

    user.groups.remove(group)

    assert not authenticate(token[1])[0].has_perm("auth.view_group")


def test_deleted_user_is_refused_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str], user: User
) -> None:
    authenticate(token[1])

    user.delete()

    assert refused(token[1])


def test_saved_token_is_reread_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str],
) -> None:
    authenticate(token[1])

    stored = PersonalAccessToken.objects.get(pk=token[0].pk)
    stored.expire_at = timezone.now() - timedelta(seconds=1)
    stored.save()

    assert refused(token[1])


def test_deleted_token_is_refused_on_the_very_next_request(
    token: tuple[PersonalAccessToken, str],
) -> None:
    authenticate(token[1])

    PersonalAccessToken.objects.get(pk=token[0].pk).delete()

    assert refused(token[1])


def test_expiry_is_checked_against_the_cached_expiry(
    make_token: MakeToken, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    _token, secret = make_token(expire_at=timezone.now() + timedelta(hours=1))
    authenticate(secret)
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    with django_assert_num_queries(0):
        assert refused(secret)


# --- races --------------------------------------------------------------------------


def test_a_read_that_races_a_revocation_is_never_cached(
    token: tuple[PersonalAccessToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request reads the row, the token is revoked (committed, tombstoned),
    then the request fills the cache: the fill must lose."""
    real_fetch = lookup.fetch

    def fetch_then_revoke(digest: str) -> PersonalAccessToken | None:
        found = real_fetch(digest)
        PersonalAccessToken.objects.get(pk=token[0].pk).revoke()
        return found

    monkeypatch.setattr(lookup, "fetch", fetch_then_revoke)
    authenticate(token[1])  # the racing request itself read the token before the revocation
    monkeypatch.setattr(lookup, "fetch", real_fetch)

    assert refused(token[1])


def test_a_read_older_than_a_tombstone_can_live_is_not_cached(
    token: tuple[PersonalAccessToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = iter([0.0, pat_cache.TOMBSTONE_SECONDS])
    monkeypatch.setattr(pat_cache.time, "monotonic", lambda: next(ticks))

    authenticate(token[1])

    assert not any(key.endswith(f":token:{tokens.digest(token[1])}") for key in cached_entries())


def test_a_tombstone_keeps_the_token_out_of_the_cache_until_it_expires(
    token: tuple[PersonalAccessToken, str], user: User, django_assert_num_queries: Any
) -> None:
    authenticate(token[1])
    user.first_name = "Alice"
    user.save()

    for _ in range(2):
        with django_assert_num_queries(1):
            cached_user, _ = authenticate(token[1])
        assert cached_user.first_name == "Alice"


# --- lastUsedAt ---------------------------------------------------------------------


def test_hits_within_the_interval_write_nothing(
    token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    authenticate(token[1])
    first_use = PersonalAccessToken.objects.get(pk=token[0].pk).last_used_at
    assert first_use is not None

    with django_assert_num_queries(0):
        authenticate(token[1])

    assert PersonalAccessToken.objects.get(pk=token[0].pk).last_used_at == first_use


def test_hits_beyond_the_interval_write_one_conditional_update(
    token: tuple[PersonalAccessToken, str], settings: Any, django_assert_num_queries: Any
) -> None:
    settings.DJANGO_PAT = {"CACHE": "pat", "LAST_USED_UPDATE_INTERVAL": timedelta(0)}
    authenticate(token[1])
    before = PersonalAccessToken.objects.get(pk=token[0].pk).last_used_at
    assert before is not None

    with django_assert_num_queries(1) as queries:
        authenticate(token[1])

    assert queries.captured_queries[0]["sql"].startswith("UPDATE")
    after = PersonalAccessToken.objects.get(pk=token[0].pk).last_used_at
    assert after is not None
    assert after > before


def test_a_recorded_use_is_seen_by_requests_filled_before_it(
    token: tuple[PersonalAccessToken, str],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    """The entry keeps the lastUsedAt it was filled with; the separate 'used'
    record stops every later hit from writing again within the interval."""
    authenticate(token[1])
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)

    with django_assert_num_queries(1):  # the interval has passed: one UPDATE
        authenticate(token[1])
    with django_assert_num_queries(0):
        _user, cached = authenticate(token[1])

    assert cached.last_used_at == later


# --- failure and configuration ------------------------------------------------------


def test_an_unreachable_cache_falls_back_to_the_database(
    token: tuple[PersonalAccessToken, str], caplog: pytest.LogCaptureFixture
) -> None:
    with (
        override_settings(
            CACHES={
                "default": {"BACKEND": LOCMEM},
                "pat": {
                    "BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://127.0.0.1:1/0",
                },
            }
        ),
        caplog.at_level(logging.WARNING, logger="django_pat"),
    ):
        _user, found = authenticate(token[1])

    assert found.pk == token[0].pk
    assert "cache unavailable" in caplog.text
    assert token[1] not in caplog.text


def pat_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id.startswith("django_pat.")]


def test_an_unshared_cache_is_warned_about() -> None:
    messages = pat_messages()

    assert [m.id for m in messages] == ["django_pat.W001"]
    assert messages[0].level == checks.WARNING
    assert "'pat'" in messages[0].msg


@pytest.mark.parametrize(
    ("backend", "warned"),
    [
        ("django.core.cache.backends.redis.RedisCache", False),
        ("django.core.cache.backends.db.DatabaseCache", False),
        ("django.core.cache.backends.dummy.DummyCache", True),
        (LOCMEM, True),
    ],
)
def test_which_caches_are_warned_about(backend: str, warned: bool) -> None:
    with override_settings(CACHES={"default": {"BACKEND": LOCMEM}, "pat": {"BACKEND": backend}}):
        assert [m.id for m in pat_messages()] == (["django_pat.W001"] if warned else [])


def test_cache_mode_is_off_by_default(token: tuple[PersonalAccessToken, str]) -> None:
    with override_settings(DJANGO_PAT={}):
        authenticate(token[1])
        authenticate(token[1])

    assert cached_entries() == {}


def test_entries_use_the_cache_of_the_setting(token: tuple[PersonalAccessToken, str]) -> None:
    authenticate(token[1])

    assert caches["default"]._cache == {}  # type: ignore[attr-defined]
    assert cached_entries()


def test_recorded_uses_are_exact(token: tuple[PersonalAccessToken, str]) -> None:
    authenticate(token[1])
    stored = PersonalAccessToken.objects.get(pk=token[0].pk).last_used_at

    used = [v for k, v in cached_entries().items() if ":used:" in k]
    _user, cached = authenticate(token[1])

    assert len(used) == 1
    assert isinstance(used[0], int)  # stored as it is, not pickled
    assert cached.last_used_at == stored


@pytest.mark.parametrize(
    "garbage",
    [(), ("only", "three", "parts"), ((), (), ("username",), ()), (("id",), (), (), ())],
    ids=["empty", "short", "names without values", "token without values"],
)
def test_an_unreadable_entry_is_ignored(
    token: tuple[PersonalAccessToken, str],
    garbage: tuple[Any, ...],
    caplog: pytest.LogCaptureFixture,
    django_assert_num_queries: Any,
) -> None:
    authenticate(token[1])
    [key] = [k for k in cached_entries() if ":token:" in k]
    caches["pat"].set(key.split(":", 2)[2], garbage)

    with caplog.at_level(logging.WARNING, logger="django_pat"), django_assert_num_queries(1):
        _user, found = authenticate(token[1])

    assert found.pk == token[0].pk
    assert "unreadable cache entry" in caplog.text


@pytest.fixture
def cache_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the calls made to the cache of cache mode, in order."""
    calls: list[str] = []
    cache = caches["pat"]
    for name in ("get", "get_many", "set", "set_many", "add", "delete", "delete_many"):
        method = getattr(cache, name)

        def spy(*args: Any, _name: str = name, _method: Any = method, **kwargs: Any) -> Any:
            calls.append(_name)
            return _method(*args, **kwargs)

        monkeypatch.setattr(cache, name, spy)
    return calls


def test_a_hit_is_one_cache_read(
    token: tuple[PersonalAccessToken, str], cache_calls: list[str], django_assert_num_queries: Any
) -> None:
    authenticate(token[1])
    cache_calls.clear()

    with django_assert_num_queries(0):
        authenticate(token[1])

    assert cache_calls == ["get"]


def test_a_process_that_missed_a_recorded_use_reads_it_once(
    token: tuple[PersonalAccessToken, str], cache_calls: list[str], django_assert_num_queries: Any
) -> None:
    """Another process filled the entry before the first use was recorded: its
    first hit reads the shared record instead of writing again, then remembers."""
    authenticate(token[1])
    pat_cache._recent_uses.clear()  # as in a process that has seen no use yet
    cache_calls.clear()

    with django_assert_num_queries(0):
        _user, first = authenticate(token[1])
    assert cache_calls == ["get", "get"]
    cache_calls.clear()
    with django_assert_num_queries(0):
        _user, second = authenticate(token[1])

    assert cache_calls == ["get"]
    stored = PersonalAccessToken.objects.get(pk=token[0].pk).last_used_at
    assert first.last_used_at == second.last_used_at == stored


def test_a_miss_is_one_read_and_one_add(
    token: tuple[PersonalAccessToken, str], cache_calls: list[str]
) -> None:
    PersonalAccessToken.objects.filter(pk=token[0].pk).update(last_used_at=timezone.now())

    authenticate(token[1])

    assert cache_calls == ["get", "add"]


# --- the other doors: plain Django middleware, and revocation on deactivation ---


@pytest.mark.parametrize(("path", "is_async"), [("/whoami", False), ("/async-whoami", True)])
def test_the_middleware_uses_the_cache_and_sees_revocation(
    token: tuple[PersonalAccessToken, str],
    settings: Any,
    path: str,
    is_async: bool,
    django_assert_num_queries: Any,
) -> None:
    """The cache lives behind authenticate_request, so every door shares it."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient, Client

    settings.ROOT_URLCONF = "tests.plain_views"
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django_pat.middleware.PersonalAccessTokenMiddleware",
    ]
    headers = {"Authorization": f"Bearer {token[1]}"}

    def get() -> Any:
        if is_async:
            return async_to_sync(AsyncClient().get)(path, headers=headers)
        return Client().get(path, headers=headers)

    assert get().status_code == 200
    with django_assert_num_queries(0):
        assert get().status_code == 200

    token[0].revoke()

    assert get().status_code == 401


def test_revoke_on_deactivation_and_the_cache_agree(
    token: tuple[PersonalAccessToken, str], user: User, settings: Any
) -> None:
    settings.DJANGO_PAT = {"CACHE": "pat", "REVOKE_ON_USER_DEACTIVATION": True}
    authenticate(token[1])

    user.is_active = False
    user.save()
    user.is_active = True
    user.save()

    assert refused(token[1])
    assert PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at is not None


# --- dormancy --------------------------------------------------------------------


def test_a_cached_last_use_never_makes_a_token_in_use_dormant(
    make_token: MakeToken, settings: Any, django_assert_num_queries: Any
) -> None:
    """An entry keeps the lastUsedAt it was filled with; before a token that
    looks dormant in it is refused, the row says when it was last used."""
    settings.DJANGO_PAT = {"CACHE": "pat", "DORMANT_AFTER_DAYS": 30}
    token, secret = make_token()
    # The entry of a token last used 40 days ago, when it was filled ...
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - timedelta(days=40)
    )
    stale = PersonalAccessToken.objects.select_related("user").get(pk=token.pk)
    caches["pat"].set(pat_cache._entry_key(token.digest), pat_cache._to_entry(stale))
    # ... and a use recorded since, by another process.
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())

    with django_assert_num_queries(1):
        _, found = authenticate(secret)

    assert found.pk == token.pk


def test_a_token_dormant_in_the_database_is_refused_in_cache_mode(
    make_token: MakeToken, settings: Any
) -> None:
    settings.DJANGO_PAT = {"CACHE": "pat", "DORMANT_AFTER_DAYS": 30}
    token, secret = make_token()
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        last_used_at=timezone.now() - timedelta(days=31)
    )

    assert refused(secret)
    assert refused(secret)  # from the cache's entry now, read again from the row
