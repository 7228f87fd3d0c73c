"""Browser fixtures: Debian's Chromium, driven by Playwright, against
pytest-django's live server (which serves the static files too).

On top of ``browser`` (tests/conftest.py): ``page`` (a fresh context on the
live server per test, failing the test on a JavaScript error or a static file
that does not load), ``log_in(page, user)`` (a session cookie, no form) and
``log_in_with_form(page, username, password)`` (the admin's login form);
``demo_tokens()`` makes a few users' tokens in every state, as pictured in
README.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from django_pat.models import PersonalAccessToken
from tests.conftest import TIMEOUT_MS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A page in a fresh browser context whose base URL is the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))

    def check_static(response: Any) -> None:
        if f"/{settings.STATIC_URL.strip('/')}/" in response.url and response.status >= 400:
            problems.append(f"static file {response.url} answered {response.status}")

    page.on("response", check_static)
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture
def log_in(live_server: LiveServer) -> Callable[[Page, User], None]:
    """Log ``user`` in by giving the page's context a session cookie."""

    def log_in(page: Page, user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return log_in


@pytest.fixture
def log_in_with_form() -> Callable[[Page, str, str], None]:
    """Log in through the admin's own login page, as a person would."""

    def log_in(page: Page, username: str, password: str) -> None:
        page.goto("/admin/login/?next=/admin/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/admin/")

    return log_in


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def demo_tokens() -> None:
    """A few users' tokens in every state, with realistic dates."""
    now = timezone.now()
    people = {
        name: User.objects.create_user(name, f"{name}@example.com")
        for name in ("alice", "bob", "carol", "ci-bot")
    }
    rows = [
        # owner, name, type, IP restriction, created days ago, last used, state
        ("alice", "laptop", "read_write", "", 2, timedelta(minutes=3), None),
        ("alice", "deploy from CI", "read_only", "10.0.0.0/8,2001:db8::/32", 20, HOUR, None),
        ("bob", "grafana dashboard", "read_only", "192.0.2.10", 86, 2 * DAY, None),
        ("bob", "old backup script", "read_write", "", 200, 120 * DAY, "revoked"),
        ("carol", "data export", "read_only", "", 120, 95 * DAY, "expired"),
        ("ci-bot", "release pipeline", "read_write", "198.51.100.0/24", 40, 6 * DAY, None),
        ("carol", "terraform", "read_write", "", 1, None, None),
    ]
    # Some restricted by scope, as a site's tokens would be.
    scopes = {
        "deploy from CI": ["tokens:read"],
        "release pipeline": ["tokens:read", "tokens:write"],
        "data export": [],
    }
    for owner, name, type_, ip, age, used, state in rows:
        token, _ = PersonalAccessToken.objects.provision(
            people[owner], name=name, type=type_, ip_restriction=ip, scopes=scopes.get(name)
        )
        created = now - timedelta(days=age, hours=age % 7)
        expire = created + timedelta(days=90)
        if state == "expired":
            expire = now - timedelta(days=30)
        PersonalAccessToken.objects.filter(pk=token.pk).update(
            created_at=created,
            expire_at=expire,
            last_used_at=now - used if used else None,
        )
        if state == "revoked":
            token.revoke()
    # Deactivated once its token exists: an inactive user cannot be given one.
    User.objects.filter(username="ci-bot").update(is_active=False)


def api_status(live_server: LiveServer, secret: str, method: str = "GET") -> int:
    """The API's answer to a request made with ``secret``, from outside the browser."""
    request = urllib.request.Request(  # noqa: S310 (the live server's http URL)
        f"{live_server.url}/api/personal-access-tokens",
        method=method,
        headers={"Authorization": f"Bearer {secret}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
