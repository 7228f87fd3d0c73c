"""The README's picture of the token list, taken as staff would see it.

``UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/browser -k screenshot`` writes
``docs/admin-changelist.png``; otherwise the picture goes to a temporary
folder, and the test still checks what the page shows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from django_pat.models import PersonalAccessToken

if TYPE_CHECKING:
    from playwright.sync_api import Page

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
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
    for owner, name, type_, ip, age, used, state in rows:
        token, _ = PersonalAccessToken.objects.provision(
            people[owner], name=name, type=type_, ip_restriction=ip
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


def test_the_token_list_as_pictured_in_the_readme(
    page: Page,
    make_staff: Callable[..., User],
    log_in: Callable[[Page, User], None],
    tmp_path: Path,
) -> None:
    demo_tokens()
    log_in(page, make_staff("admin", superuser=True))
    page.set_viewport_size({"width": 1600, "height": 760})
    page.goto("/admin/django_pat/personalaccesstoken/")

    expect(page.locator("#result_list tbody tr")).to_have_count(7)
    for status in ("active", "revoked", "expired", "user inactive"):
        expect(page.locator(".pat-status", has_text=status).first).to_be_visible()

    target = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    target.mkdir(exist_ok=True)
    picture = target / "admin-changelist.png"
    page.screenshot(path=picture)
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
