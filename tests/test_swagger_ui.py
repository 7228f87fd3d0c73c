"""Swagger UI at /api/docs/ in a real browser with no internet: it renders from
the site's own files, "Authorize" takes a token, and "Try it out" calls the
API with it.

Debian's Chromium is driven by Playwright (fixtures in tests/conftest.py);
every request for another host is blocked and recorded, so the page must work
offline.
"""

from __future__ import annotations

import pytest

from tests.test_example_project import (  # noqa: F401 (fixtures)
    DEMO_TOKEN_NAME,
    demo,
    environment,
    server,
    site_dir,
)

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_offline(offline_page, server):  # noqa: F811
    page = offline_page(server)

    page.goto(f"{server}api/docs/")

    page.get_by_text("Provision a personal access token").wait_for()
    assert page.get_by_text("List personal access tokens for your account").is_visible()
    assert page.get_by_text("Revoke a personal access token").is_visible()
    assert page.elsewhere == []


def test_authorize_takes_a_token_and_try_it_out_uses_it(offline_page, server, demo):  # noqa: F811
    page = offline_page(server)
    page.goto(f"{server}api/docs/")

    page.locator("button.authorize").first.click()
    # The first box is the token's: pasting a token there must work.
    scheme = page.locator(".auth-container").first
    assert "personalAccessToken" in scheme.inner_text()
    scheme.locator("input").first.fill(demo.token)
    scheme.locator("button.authorize").click()
    scheme.locator("button", has_text="Logout").wait_for()  # accepted
    # persistAuthorization is off: the token is nowhere another script could read it.
    stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
    kept = demo.token in stored  # a plain boolean, so that a failure does not print it
    assert not kept, "Swagger UI kept the token in browser storage"
    scheme.locator("button.btn-done").click()

    operation = page.locator("#operations-personal-access-tokens-list_personal_access_tokens")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert DEMO_TOKEN_NAME in operation.locator(".live-responses-table").inner_text()
    # The curl line Swagger UI shows carries the header it sent.
    assert "Authorization: Bearer" in operation.locator(".curl-command").inner_text()
    assert page.elsewhere == []
