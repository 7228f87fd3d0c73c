"""The self-service token page in a real browser, as its user works it:
make a token, copy it, use it, see it used, revoke it; with the keyboard only
where it matters. The page talks to the REST endpoints with the session."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import override_settings

from django_pat.models import PersonalAccessToken
from tests.browser.conftest import api_status

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser

PAGE = "/settings/tokens/"
SECRET_RE = re.compile(r"pat_[0-9A-Za-z]{38}")
DOCS = Path(__file__).resolve().parents[2] / "docs"

LogIn = Callable[["Page", User], None]
MakeToken = Callable[..., tuple[PersonalAccessToken, str]]


def row(page: Page, name: str) -> object:
    return page.locator("#pat-list tbody tr", has_text=name)


def create(page: Page, name: str, **fields: str) -> None:
    page.get_by_label("Name").fill(name)
    if "type" in fields:
        page.get_by_label("Type").select_option(fields["type"])
    if "ip" in fields:
        page.get_by_label("IP restriction (optional)").fill(fields["ip"])
    page.get_by_role("button", name="Create token").click()


def create_and_read_answer(page: Page, name: str, **fields: str) -> dict[str, Any]:
    """Submit the form; the JSON body the API answered with."""
    with page.expect_response(
        lambda response: response.request.method == "POST" and "/api/" in response.url
    ) as answer:
        create(page, name, **fields)
    body: dict[str, Any] = answer.value.json()
    return body


def test_whole_cycle_make_copy_use_see_used_revoke(
    page: Page, user: User, log_in: LogIn, live_server: LiveServer
) -> None:
    log_in(page, user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(PAGE)
    expect(page.locator("#pat-list-status")).to_have_text("You have no tokens yet.")

    create(page, "laptop", type="read_only")

    secret_box = page.get_by_label(re.compile("^Token"))
    expect(page.locator("#pat-secret")).to_be_visible()
    expect(page.get_by_text("you will not see it again")).to_be_visible()
    secret = secret_box.input_value()
    assert SECRET_RE.fullmatch(secret)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#pat-copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    expect(row(page, "laptop")).to_contain_text("Never used")

    assert api_status(live_server, secret) == 200

    page.reload()
    expect(row(page, "laptop")).to_contain_text("Active")
    expect(row(page, "laptop").locator("td").nth(6).locator("time")).to_be_visible()
    assert secret not in page.content(), "the secret is shown once, then never again"

    row(page, "laptop").get_by_role("button", name="Revoke laptop").click()
    dialog = page.get_by_role("dialog", name="Revoke token?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Revoke").click()
    expect(row(page, "laptop")).to_contain_text("Revoked")
    expect(page.locator("#pat-list-status")).to_contain_text("Revoked “laptop”.")

    assert api_status(live_server, secret) == 401


def test_cancelling_the_confirmation_keeps_the_token(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, live_server: LiveServer
) -> None:
    _, secret = make_token(name="keep me")
    log_in(page, user)
    page.goto(PAGE)

    row(page, "keep me").get_by_role("button", name="Revoke keep me").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(row(page, "keep me")).to_contain_text("Active")
    assert api_status(live_server, secret) == 200


def test_validation_error_is_shown_next_to_its_field(page: Page, user: User, log_in: LogIn) -> None:
    log_in(page, user)
    page.goto(PAGE)

    answer = create_and_read_answer(page, "office", ip="10.0.0.300")

    # The API's words, and only those: the page adds no wording of its own.
    assert answer["errors"] == {
        "ipRestriction": ["'10.0.0.300' is not a valid IP address or network"]
    }
    error = page.locator("#pat-ipRestriction-error")
    expect(error).to_be_visible()
    assert error.text_content() == "'10.0.0.300' is not a valid IP address or network"
    expect(page.locator("#pat-form-error")).to_be_hidden()
    field = page.get_by_label("IP restriction (optional)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(page.locator("#pat-secret")).to_be_hidden()
    assert not PersonalAccessToken.objects.exists()


def test_duplicate_name_error_names_the_token(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    make_token(name="ci")
    log_in(page, user)
    page.goto(PAGE)

    answer = create_and_read_answer(page, "ci")

    expect(page.locator("#pat-name-error")).to_contain_text("already have an active token named")
    assert page.locator("#pat-name-error").text_content() == " ".join(answer["errors"]["name"])
    expect(page.locator("#pat-form-error")).to_be_hidden()
    expect(page.get_by_label("Name")).to_be_focused()


def test_throttling_is_reported_on_the_form(page: Page, user: User, log_in: LogIn) -> None:
    cache.clear()
    rates = {"DEFAULT_THROTTLE_RATES": {"personal_access_tokens": "1/min"}}
    with override_settings(REST_FRAMEWORK={**_rest_framework(), **rates}):
        log_in(page, user)
        page.goto(PAGE)  # its list request uses up the one allowed
        expect(page.locator("#pat-list-status")).to_have_text("You have no tokens yet.")

        answer = create_and_read_answer(page, "too soon")

        assert answer["status"] == 429
        alert = page.locator("#pat-form-error")
        expect(alert).to_be_visible()
        # The API's message as it is: no second wording of the page's own.
        assert alert.text_content() == answer["message"]
    cache.clear()


def _rest_framework() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_another_user_never_sees_these_tokens(
    page: Page, user: User, other_user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    make_token(name="alice's laptop")
    make_token(other_user, name="bob's laptop")

    log_in(page, other_user)
    page.goto(PAGE)

    expect(row(page, "bob's laptop")).to_be_visible()
    expect(row(page, "alice's laptop")).to_have_count(0)
    assert "alice" not in page.locator("#pat-list").inner_text()


def test_token_names_are_shown_as_text_never_as_html(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    make_token(name='<img src=x onerror="window.owned=1">')
    log_in(page, user)
    page.goto(PAGE)

    expect(row(page, "<img src=x")).to_be_visible()
    assert page.evaluate("window.owned") is None
    assert page.locator("#pat-list img").count() == 0


def test_keyboard_only_make_and_revoke(
    page: Page, user: User, log_in: LogIn, live_server: LiveServer
) -> None:
    log_in(page, user)
    page.goto(PAGE)
    expect(page.locator("#pat-list-status")).to_have_text("You have no tokens yet.")

    page.get_by_label("Name").focus()
    page.keyboard.type("from the keyboard")
    page.keyboard.press("Enter")
    secret_box = page.get_by_label(re.compile("^Token"))
    expect(secret_box).to_be_focused()
    secret = secret_box.input_value()
    assert api_status(live_server, secret) == 200

    revoke = row(page, "from the keyboard").get_by_role("button", name="Revoke from the keyboard")
    revoke.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Revoke", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    expect(row(page, "from the keyboard")).to_contain_text("Revoked")
    assert api_status(live_server, secret) == 401


def test_escape_closes_the_confirmation_without_revoking(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    make_token(name="stays")
    log_in(page, user)
    page.goto(PAGE)

    row(page, "stays").get_by_role("button", name="Revoke stays").click()
    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(row(page, "stays").get_by_role("button", name="Revoke stays")).to_be_focused()
    assert PersonalAccessToken.objects.active().filter(name="stays").exists()


def test_screenshot_of_the_page(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, tmp_path: Path
) -> None:
    """``UPDATE_SCREENSHOTS=1`` writes docs/self-service-tokens.png for README."""
    make_token(name="grafana dashboard", type="read_only", ip_restriction="192.0.2.10")
    revoked, _ = make_token(name="old backup script")
    revoked.revoke()
    log_in(page, user)
    page.goto(PAGE)
    create(page, "laptop")
    expect(page.locator("#pat-secret")).to_be_visible()
    expect(row(page, "grafana dashboard")).to_be_visible()
    # The picture shows where the secret appears, not a secret: scanners
    # would rightly flag a token-shaped string in the repository.
    page.locator("#pat-secret-value").evaluate("box => { box.value = 'pat_' + '•'.repeat(38) }")

    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    path = folder / "self-service-tokens.png"
    page.screenshot(path=str(path), full_page=True)

    assert path.stat().st_size > 10_000


def test_the_page_has_an_icon_that_loads(page: Page, user: User, log_in: LogIn) -> None:
    log_in(page, user)
    page.goto(PAGE)

    size = page.evaluate(
        """async () => {
          const image = new Image();
          image.src = document.querySelector('link[rel="icon"]').href;
          await image.decode();
          return [image.naturalWidth, image.naturalHeight];
        }"""
    )
    assert size == [32, 32]
