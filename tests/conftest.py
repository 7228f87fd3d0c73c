"""Shared fixtures. Tests are plain functions; these give them users, tokens
and clients that speak to the endpoints as an API client would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken

LIST_URL = "/api/personal-access-tokens"


def detail_url(token_id: object) -> str:
    return f"{LIST_URL}/{token_id}"


_FIGURES: list[str] = []


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Note a measured figure (a race's outcome, say); printed after the run."""
    return lambda text: _FIGURES.append(f"{request.node.name}: {text}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings.USING_POSTGRES:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test "
        "(nox runs it in the session tests(database='postgres'))"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("alice", "alice@example.com", "alice-password")


@pytest.fixture
def other_user(db: None) -> User:
    return User.objects.create_user("bob", "bob@example.com", "bob-password")


@pytest.fixture
def make_token(user: User) -> Callable[..., tuple[PersonalAccessToken, str]]:
    """Provision through the Python API; defaults to ``user`` and a fresh name."""
    counter = iter(range(1, 10_000))

    def make(owner: User | None = None, **kwargs: Any) -> tuple[PersonalAccessToken, str]:
        kwargs.setdefault("name", f"token {next(counter)}")
        return PersonalAccessToken.objects.provision(owner or user, **kwargs)

    return make


@pytest.fixture
def token(
    make_token: Callable[..., tuple[PersonalAccessToken, str]],
) -> tuple[PersonalAccessToken, str]:
    """A read_write token of ``user`` and its secret."""
    return make_token(name="ci")


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[str], APIClient]:
    """An API client that sends ``Authorization: Bearer <secret>``."""

    def make(secret: str, **extra: str) -> APIClient:
        client = APIClient(**extra)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make


@pytest.fixture
def api(
    token: tuple[PersonalAccessToken, str], client_for: Callable[[str], APIClient]
) -> APIClient:
    """A client authenticated as ``user`` with the read_write ``token``."""
    return client_for(token[1])


@pytest.fixture
def session_api(user: User) -> APIClient:
    """A client logged in as ``user`` with a session (CSRF checks on)."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client
