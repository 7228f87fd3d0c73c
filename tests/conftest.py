"""Shared fixtures. Tests are plain functions; these give them users, tokens
and clients that speak to the endpoints as an API client would, and Debian's
Chromium driven by Playwright for the tests that need a browser.

Without Chromium the browser tests skip, saying how to install it; with
``DJANGO_PAT_REQUIRE_BROWSER=1`` (CI sets it) they fail instead, so that a CI
run never passes by skipping them. Likewise the tests that need Redis
(``TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``) skip without it,
and fail instead with ``DJANGO_PAT_REQUIRE_REDIS=1`` (CI sets it too).
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.db import transaction
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, Route

LIST_URL = "/api/personal-access-tokens"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_server() -> Any:
    """A client of this machine's Redis; tests must only touch keys of their own."""
    import redis

    server = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        server.ping()
    except redis.RedisError as error:
        reason = f"needs Redis at {REDIS_URL} (set TEST_REDIS_URL): {error}"
        if os.environ.get("DJANGO_PAT_REQUIRE_REDIS"):
            pytest.fail(f"{reason} (DJANGO_PAT_REQUIRE_REDIS is set)", pytrace=False)
        pytest.skip(reason)
    return server


def detail_url(token_id: object) -> str:
    return f"{LIST_URL}/{token_id}"


class _Rollback(Exception):
    pass


def rolled_back(work: Callable[[], object]) -> None:
    """Run ``work`` in a transaction, then roll the transaction back."""
    try:
        with transaction.atomic():
            work()
            raise _Rollback
    except _Rollback:
        pass


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


def error_report(request: Any, test_file: str) -> str:
    """Django's HTML error report of the exception being handled, from the
    frame that left ``test_file`` on: the test's own locals hold the secret,
    the library's must not."""
    import sys

    from django.views.debug import ExceptionReporter

    kind, error, tb = sys.exc_info()
    while tb is not None and tb.tb_frame.f_code.co_filename == test_file:
        tb = tb.tb_next
    assert tb is not None
    return ExceptionReporter(request, kind, error, tb).get_traceback_html()


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


@pytest.fixture
def make_staff(db: None) -> Callable[..., User]:
    """A staff user holding the given django_pat permissions, by codename
    (``"view_personalaccesstoken"``); password ``<username>-password``."""

    def make(username: str, *codenames: str, superuser: bool = False) -> User:
        staff = User.objects.create_user(
            username,
            f"{username}@example.com",
            f"{username}-password",
            is_staff=True,
            is_superuser=superuser,
        )
        if codenames:
            staff.user_permissions.set(
                Permission.objects.filter(
                    content_type__app_label="django_pat", codename__in=codenames
                )
            )
        return staff

    return make


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


@pytest.fixture(scope="module")
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
    # long as Playwright runs and no longer: one module (the async tests of
    # other modules must not run with the check off).
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


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def offline_page(browser: Browser) -> Iterator[Callable[[str], Page]]:
    """Open pages that may load from one site only: ``offline_page(base_url)``.

    Requests for any other host are refused and listed in ``page.elsewhere``,
    so a test can assert that a page works with no internet.
    """
    contexts = []

    def open_page(base_url: str) -> Page:
        own = urllib.parse.urlsplit(base_url).netloc
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        elsewhere: list[str] = []

        def only_own_host(route: Route) -> None:
            url = route.request.url
            if urllib.parse.urlsplit(url).netloc == own:
                route.continue_()
            else:
                elsewhere.append(url)
                route.abort()

        context.route("**/*", only_own_host)
        page = context.new_page()
        page.elsewhere = elsewhere  # type: ignore[attr-defined]
        return page

    yield open_page
    for context in contexts:
        context.close()
