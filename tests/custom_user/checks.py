"""The compiled token query with ``custom_user.Member`` as the user model (a
UUID primary key, a JSONField, multi-table inheritance): it gives exactly what
the ORM's ``select_related("user").get()`` gives, in one query, and so do the
ORM fallback, cache mode's entries and the endpoints.

Not collected by the main suite (whose user model is ``auth.User``);
tests/test_lookup.py runs this file in a process of its own, with
``--ds=tests.custom_user.settings``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory, override_settings
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIClient

from django_pat import cache, lookup, tokens
from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

PREFERENCES = {"theme": "dark", "langs": ["en", "fr"], "nested": {"n": 1, "none": None}}


def field_values(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def token() -> tuple[PersonalAccessToken, str]:
    member = get_user_model()._default_manager.create_user(  # type: ignore[attr-defined]
        "ada@example.com", "password", display_name="Ada", preferences=PREFERENCES
    )
    token, secret = PersonalAccessToken.objects.provision(
        member, name="ci", ip_restriction="10.0.0.0/8"
    )
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token, secret


def expected(token: PersonalAccessToken) -> PersonalAccessToken:
    return PersonalAccessToken.objects.select_related("user").get(pk=token.pk)


def assert_same(found: PersonalAccessToken | None, want: PersonalAccessToken) -> None:
    assert found is not None
    assert field_values(found) == field_values(want)
    assert field_values(found.user) == field_values(want.user)
    assert found.user.preferences == PREFERENCES
    assert found.user.display_name == "Ada"  # from the parent table
    assert found.user.pk == want.user_id
    assert found._state.db == "default"
    assert not found.user._state.adding


def test_the_user_model_is_the_custom_one() -> None:
    model = get_user_model()
    assert model._meta.label == "custom_user.Member"
    assert model._meta.pk.get_internal_type() == "OneToOneField"  # to the parent's UUID
    assert model._meta.parents


def test_the_compiled_query_gives_what_the_orm_gives(
    token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    want = expected(token[0])

    with django_assert_num_queries(1):
        found = lookup.fetch(tokens.digest(token[1]))
        assert found is not None
        assert found.user.preferences == PREFERENCES  # loaded with the token

    assert_same(found, want)
    assert found.user.get_deferred_fields() == set()


def test_the_orm_fallback_gives_the_same(
    token: tuple[PersonalAccessToken, str],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    monkeypatch.setattr(lookup, "_compile", lambda alias: 1 / 0)
    lookup._forget(setting="DATABASES")
    try:
        with django_assert_num_queries(1):
            found = lookup.fetch(tokens.digest(token[1]))
    finally:
        monkeypatch.undo()
        lookup._forget(setting="DATABASES")

    assert_same(found, expected(token[0]))


def test_a_cache_entry_gives_the_same(token: tuple[PersonalAccessToken, str]) -> None:
    with override_settings(DJANGO_PAT={"CACHE": "pat"}):
        cache.find(tokens.digest(token[1]))  # fills the entry
        found = cache.find(tokens.digest(token[1]))

    want = expected(token[0])
    assert found is not None
    assert field_values(found) == field_values(want)
    for name, value in field_values(want.user).items():
        if name != "password":  # never cached: deferred
            assert getattr(found.user, name) == value, name


def test_the_endpoints_work(token: tuple[PersonalAccessToken, str]) -> None:
    client = APIClient(REMOTE_ADDR="10.1.2.3")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[1]}")

    listed = client.get("/api/personal-access-tokens")

    assert listed.status_code == 200, listed.content
    [item] = listed.json()
    assert item["subject"] == str(token[0].user_id)
    assert client.delete(f"/api/personal-access-tokens/{token[0].pk}").status_code == 200
    assert client.get("/api/personal-access-tokens").status_code == 401


def test_the_drf_class_authenticates_the_member(token: tuple[PersonalAccessToken, str]) -> None:
    request = RequestFactory().get(
        "/", HTTP_AUTHORIZATION=f"Bearer {token[1]}", REMOTE_ADDR="10.0.0.1"
    )

    result = PersonalAccessTokenAuthentication().authenticate(Request(request))

    assert result is not None
    assert result[0].email == "ada@example.com"
    assert result[1].pk == token[0].pk
