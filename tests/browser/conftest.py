"""Browser fixtures: Debian's Chromium, driven by Playwright, against
pytest-django's live server (which serves the static files too).

Reusable by any browser test: ``browser`` (package-wide), ``page`` (a fresh
context per test, failing the test on a JavaScript error or a static file
that does not load), ``log_in(page, user)`` (a session cookie, no form) and
``log_in_with_form(page, username, password)`` (the admin's login form).

Without Chromium the tests skip, saying how to install it; with
``DJANGO_PAT_REQUIRE_BROWSER=1`` (CI sets it) they fail instead, so that a
CI run never passes by skipping them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.test import Client

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from playwright.sync_api import Browser, Page, Playwright
    from pytest_django.live_server_helper import LiveServer

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless, and quiet: this machine's network is closed, and Chromium's
# background connections would only fail (many at a time).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
INSTALL_HINT = (
    f"browser tests need Chromium at {CHROMIUM} (or set CHROMIUM_PATH): "
    "on Debian or Ubuntu, `apt-get install -y chromium` (as root); "
    "never `playwright install`, which downloads a browser of its own"
)
TIMEOUT_MS = 20_000


def _unavailable(reason: str) -> None:
    if os.environ.get("DJANGO_PAT_REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (DJANGO_PAT_REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(INSTALL_HINT)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("browser tests need Playwright: pip install -e '.[dev]'")
    # Playwright's synchronous API keeps an asyncio loop running in this
    # thread, and Django refuses database access from a thread with a running
    # loop. The tests' own ORM calls are synchronous, so allow them, for as
    # long as Playwright runs and no longer.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


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
