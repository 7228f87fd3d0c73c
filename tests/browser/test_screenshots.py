"""The README's picture of the token list, taken as staff would see it.

``UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/browser -k screenshot`` writes
``docs/admin-changelist.png``; otherwise the picture goes to a temporary
folder, and the test still checks what the page shows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User

from tests.browser.conftest import demo_tokens

if TYPE_CHECKING:
    from playwright.sync_api import Page

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_token_list_as_pictured_in_the_readme(
    page: Page,
    make_staff: Callable[..., User],
    log_in: Callable[[Page, User], None],
    tmp_path: Path,
) -> None:
    demo_tokens()
    log_in(page, make_staff("admin", superuser=True))
    page.set_viewport_size({"width": 1280, "height": 880})
    page.goto("/admin/django_pat/personalaccesstoken/")

    expect(page.locator("#result_list tbody tr")).to_have_count(7)
    for status in ("active", "revoked", "expired", "user inactive"):
        expect(page.locator(".pat-status", has_text=status).first).to_be_visible()

    target = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(exist_ok=True)
    picture = target / "admin-changelist.png"
    page.screenshot(path=picture)
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
