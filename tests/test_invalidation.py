"""Cache mode's tombstones (django_pat/invalidation.py) against this machine's
Redis, and a Redis that refuses: no revocation is ever committed while a
cached entry could still let the token in.

"Refusing" is a cache pointed at a closed port, swapped in for the moment of
the change; swapping the real Redis back in is Redis coming back, with
whatever it held. Every test uses a key prefix of its own and deletes its keys
afterwards. The tests commit (transactional database): tombstones are written
before the change and again once it commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import RequestFactory, override_settings
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIClient

from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.exceptions import CacheUnavailable
from django_pat.models import PersonalAccessToken
from django_pat.signals import token_revoked
from tests.conftest import REDIS_URL, detail_url, rolled_back

pytestmark = pytest.mark.django_db(transaction=True)

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def prefix(redis_server: Any) -> Iterator[str]:
    prefix = f"django-pat-tests-{uuid.uuid4().hex}"
    yield prefix
    for key in redis_server.scan_iter(match=f"{prefix}:*"):
        redis_server.delete(key)


def caches_with(location: str, prefix: str) -> dict[str, Any]:
    return {
        "default": {"BACKEND": LOCMEM},
        "pat": {"BACKEND": REDIS_CACHE, "LOCATION": location, "KEY_PREFIX": prefix},
    }


@pytest.fixture(autouse=True)
def cache_mode(prefix: str) -> Iterator[None]:
    with override_settings(CACHES=caches_with(REDIS_URL, prefix), DJANGO_PAT={"CACHE": "pat"}):
        yield


@pytest.fixture
def redis_refuses(prefix: str) -> Callable[[], AbstractContextManager[None]]:
    """While in this block, the cache of cache mode refuses every call."""
    return lambda: override_settings(CACHES=caches_with(CLOSED_PORT, prefix))


def authenticates(secret: str) -> bool:
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    try:
        PersonalAccessTokenAuthentication().authenticate(Request(request))
    except exceptions.AuthenticationFailed:
        return False
    return True


def cached(make_token: MakeToken, name: str = "ci") -> tuple[PersonalAccessToken, str]:
    """A token whose entry is in Redis: the next request is a hit."""
    token, secret = make_token(name=name)
    assert authenticates(secret)  # fills the entry
    assert authenticates(secret)  # a hit
    return token, secret


def is_revoked(token: PersonalAccessToken) -> bool:
    return PersonalAccessToken.objects.get(pk=token.pk).revoked_at is not None


def test_a_revocation_through_the_endpoint_is_refused_with_503_while_redis_refuses(
    make_token: MakeToken,
    client_for: Callable[[str], APIClient],
    redis_refuses: Callable[[], AbstractContextManager[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    victim, secret = cached(make_token, "victim")
    _admin, admin_secret = make_token(name="admin")

    with redis_refuses(), caplog.at_level(logging.ERROR, logger="django_pat"):
        response = client_for(admin_secret).delete(detail_url(victim.pk))

    assert response.status_code == 503
    assert response.json() == {
        "message": "Service temporarily unavailable; try again later.",
        "status": 503,
    }
    assert response["Retry-After"] == "5"
    assert "Cache unavailable" in caplog.text
    assert not is_revoked(victim)
    # Redis is back, with the entry it held: it still agrees with the database.
    assert authenticates(secret)

    assert client_for(admin_secret).delete(detail_url(victim.pk)).status_code == 200
    assert is_revoked(victim)
    assert not authenticates(secret)


def test_revoke_raises_and_changes_nothing_while_redis_refuses(
    make_token: MakeToken, redis_refuses: Callable[[], AbstractContextManager[None]]
) -> None:
    token, secret = cached(make_token)
    sent: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(kwargs)

    token_revoked.connect(receiver, weak=False)
    try:
        with redis_refuses(), pytest.raises(CacheUnavailable):
            token.revoke()
    finally:
        token_revoked.disconnect(receiver)

    assert sent == []
    assert not is_revoked(token)
    assert token.revoked_at is None
    assert authenticates(secret)


def test_a_tombstone_written_before_the_commit_stands_when_redis_refuses_after_it(
    make_token: MakeToken,
    redis_refuses: Callable[[], AbstractContextManager[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis takes the tombstone before the UPDATE, then refuses the one after
    the commit: the revocation stands, is logged, and the next request is
    refused once Redis is back."""
    token, secret = cached(make_token)

    with (
        caplog.at_level(logging.ERROR, logger="django_pat"),
        ExitStack() as redis_down,
        transaction.atomic(),
    ):
        assert token.revoke()
        redis_down.enter_context(redis_refuses())

    assert is_revoked(token)
    assert "could not tombstone cache entries after a commit" in caplog.text
    assert not authenticates(secret)


def test_a_revocation_rolled_back_leaves_the_token_working(make_token: MakeToken) -> None:
    token, secret = cached(make_token)

    rolled_back(token.revoke)

    assert not is_revoked(PersonalAccessToken.objects.get(pk=token.pk))
    assert authenticates(secret)


def test_a_deactivation_is_not_saved_while_redis_refuses(
    make_token: MakeToken, user: User, redis_refuses: Callable[[], AbstractContextManager[None]]
) -> None:
    _token, secret = cached(make_token)

    user.is_active = False
    with redis_refuses(), pytest.raises(CacheUnavailable):
        user.save()

    assert User.objects.get(pk=user.pk).is_active
    assert authenticates(secret)
    user.save()
    assert not authenticates(secret)


@pytest.mark.parametrize("revoke_on_deactivation", [False, True])
def test_a_deactivation_in_a_transaction_refuses_the_next_request(
    make_token: MakeToken, user: User, settings: Any, revoke_on_deactivation: bool
) -> None:
    settings.DJANGO_PAT = {"CACHE": "pat", "REVOKE_ON_USER_DEACTIVATION": revoke_on_deactivation}
    _token, secret = cached(make_token)

    with transaction.atomic():
        user.is_active = False
        user.save()

    assert not authenticates(secret)


def test_a_deleted_user_is_refused_on_the_next_request(make_token: MakeToken, user: User) -> None:
    _token, secret = cached(make_token)

    user.delete()

    assert not authenticates(secret)
