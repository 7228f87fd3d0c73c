"""The self-service token page, as served (its behaviour in a browser is
tested in tests/browser/)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

PAGE = "/settings/tokens/"
ASSETS = ("tokens.js", "tokens.css", "favicon.svg")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@pytest.fixture
def page_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_log_in(db: None) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "next=/settings/tokens/" in response["Location"]


def test_page_points_its_script_at_the_api_and_carries_a_csrf_token(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()
    assert 'data-api-url="/api/personal-access-tokens"' in html
    token = re.search(r'data-csrf-token="([^"]+)"', html)
    assert token is not None
    assert len(token.group(1)) >= 32


def test_page_offers_the_configured_types_with_the_default_selected(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()
    options = re.findall(r'<option value="(\w+)" data-max-days="(\d*)"( selected)?>', html)
    assert [(name, selected) for name, _, selected in options] == [
        ("read_only", ""),
        ("read_write", " selected"),
    ]
    assert {days for _, days, _ in options} == {"365"}


@override_settings(
    DJANGO_PAT={
        "TYPES": {"ci": {"methods": ["GET"], "max_lifetime": timedelta(days=30)}},
        "DEFAULT_TYPE": "ci",
        "DEFAULT_LIFETIME": timedelta(days=7),
    }
)
def test_expiry_choices_stop_at_the_longest_lifetime_allowed(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()
    assert re.findall(r'data-days="(\d+)"', html) == ["7", "30"]
    assert "Default (7 days)" in html


def test_page_and_its_assets_reference_no_other_host(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()
    assets = [finders.find(f"django_pat/{name}") for name in ASSETS]
    assert all(assets), "the page's script, style sheet and icon are packaged"
    texts = [html, *(Path(str(asset)).read_text() for asset in assets)]
    for text in texts:
        # The SVG namespace is a name, never fetched.
        text = text.replace(f'xmlns="{SVG_NAMESPACE}"', "")
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        assert "http://" not in text.replace("http://testserver", "")
        assert "https://" not in text


def test_page_has_a_favicon_of_its_own(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()
    assert '<link rel="icon" href="/static/django_pat/favicon.svg" type="image/svg+xml">' in html
    svg = Path(str(finders.find("django_pat/favicon.svg"))).read_text()
    icon = ElementTree.fromstring(svg)  # noqa: S314 (our own file)
    assert icon.tag == f"{{{SVG_NAMESPACE}}}svg"
    assert icon.get("viewBox") == "0 0 32 32"


def test_script_never_writes_api_data_as_html() -> None:
    script = Path(str(finders.find("django_pat/tokens.js"))).read_text()
    assert "innerHTML" not in script
    assert "insertAdjacentHTML" not in script
    assert "document.write" not in script


def test_templates_can_be_overridden_the_django_way(page_client: Client, tmp_path: Path) -> None:
    override = tmp_path / "django_pat" / "base.html"
    override.parent.mkdir()
    override.write_text(
        "<!doctype html><title>Ours</title>"
        "<div id='project-chrome'>{% block content %}{% endblock %}</div>"
    )
    from django.conf import settings

    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    with override_settings(TEMPLATES=templates):
        html = page_client.get(PAGE).content.decode()
    assert "id='project-chrome'" in html
    assert 'id="pat-app"' in html


def scope_boxes(html: str) -> list[tuple[str, bool]]:
    """Each scope's checkbox on the page: its value, and whether it is ticked."""
    found = re.findall(
        r'<input id="pat-scope-\d+" name="scopes" type="checkbox" value="([^"]+)"( checked)?', html
    )
    return [(name, bool(checked)) for name, checked in found]


def test_page_offers_every_scope_with_its_description(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()

    assert scope_boxes(html) == [
        ("tokens:read", False),
        ("tokens:write", False),
        ("tokens:rotate", False),
    ]
    assert "List your personal access tokens and look one up." in html
    assert re.search(
        r'id="pat-scopes-all" name="scopes_mode" type="radio" value="all" checked', html
    )
    assert ">Scopes</th>" in html


@override_settings(
    DJANGO_PAT={
        "SCOPES": {"packages:read": "Download <packages>."},
        "DEFAULT_SCOPES": ["packages:read"],
    }
)
def test_page_starts_from_the_default_scopes(page_client: Client) -> None:
    html = page_client.get(PAGE).content.decode()

    assert ("packages:read", True) in scope_boxes(html)
    assert ("tokens:read", False) in scope_boxes(html)
    assert "Download &lt;packages&gt;." in html
    assert re.search(
        r'id="pat-scopes-some" name="scopes_mode" type="radio" value="some" checked', html
    )
