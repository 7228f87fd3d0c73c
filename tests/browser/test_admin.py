"""The token admin in a real browser, as staff use it: log in, find the
token behind a leaked value, revoke it, provision one for a user."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import User

from django_pat.models import PersonalAccessToken
from tests.browser.conftest import api_status, demo_tokens

# Collected only where Playwright is installed (the dev extra); the fixtures
# skip, saying how to install Chromium, where the browser is missing.
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
PlaywrightError = playwright_api.Error

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser

CHANGELIST = "/admin/django_pat/personalaccesstoken/"
SECRET_RE = re.compile(r"pat_[0-9A-Za-z]{38}")

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
MakeStaff = Callable[..., User]
LogIn = Callable[["Page", User], None]


def token_row(page: Page, token: PersonalAccessToken) -> object:
    return page.locator("#result_list tbody tr", has_text=token.display_prefix)


@pytest.mark.parametrize(
    "ordering",
    [
        pytest.param("", id="newest first"),
        # Each sorted column's heading makes room for its sort buttons.
        pytest.param("?o=-5.1.6", id="sorted by three columns"),
    ],
)
def test_the_list_fits_a_1280_pixel_window_with_the_navigation_open(
    page: Page, make_staff: MakeStaff, log_in: LogIn, ordering: str
) -> None:
    demo_tokens()
    long_owner = User.objects.create_user("margaret.hamilton@example.com")
    PersonalAccessToken.objects.provision(
        long_owner,
        name="nightly backup of the billing database",
        ip_restriction="2001:db8:1234:5678::/64,198.51.100.0/24,203.0.113.0/24",
        scopes=["tokens:read", "tokens:rotate", "tokens:write"],
    )
    log_in(page, make_staff("root", superuser=True))

    page.goto(CHANGELIST + ordering)

    assert page.viewport_size == {"width": 1280, "height": 900}
    expect(page.locator("#nav-sidebar")).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_have_count(8)
    table, results, document = page.evaluate(
        """() => [
            document.querySelector('#result_list').scrollWidth,
            document.querySelector('#changelist-form .results').clientWidth,
            document.documentElement.scrollWidth,
        ]"""
    )
    assert table <= results, f"the table is {table} px wide in {results} px: it scrolls"
    assert document <= 1280


def test_staff_logs_in_and_sees_the_token_but_never_its_secret(
    page: Page,
    make_staff: MakeStaff,
    token: tuple[PersonalAccessToken, str],
    log_in_with_form: Callable[[Page, str, str], None],
) -> None:
    token_obj, secret = token
    make_staff("root", superuser=True)
    log_in_with_form(page, "root", "root-password")

    index_row = page.locator("#content-main #django_pat-personalaccesstoken")
    index_row.get_by_role("link", name="Personal access tokens").click()
    page.wait_for_url(f"**{CHANGELIST}")
    row = token_row(page, token_obj)
    expect(row).to_contain_text("alice")
    expect(row).to_contain_text("ci")
    expect(row.locator(".pat-status-active")).to_have_text("active")
    html = page.content()
    assert secret not in html
    assert token_obj.digest not in html


def test_a_leaked_token_is_found_by_post_and_never_put_in_a_url(
    page: Page, make_staff: MakeStaff, token: tuple[PersonalAccessToken, str], log_in: LogIn
) -> None:
    token_obj, secret = token
    log_in(page, make_staff("root", superuser=True))
    sent: list[tuple[str, str, str | None]] = []
    page.on(
        "request", lambda request: sent.append((request.method, request.url, request.post_data))
    )

    page.goto(CHANGELIST)
    page.get_by_role("link", name="Find a token by its value").click()
    page.get_by_label("Token").fill(secret)
    page.get_by_role("button", name="Find").click()

    page.wait_for_url(f"**{CHANGELIST}{token_obj.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text(
        f"the token 'ci' ({token_obj.display_prefix}) of alice"
    )
    expect(page.locator(".field-status_badge")).to_contain_text("active")
    assert secret not in page.content()
    assert not [url for _, url, _ in sent if secret in url]
    assert [method for method, _, body in sent if body and secret in body] == ["POST"]


def test_a_value_that_is_no_token_here_is_told_so_and_not_shown_back(
    page: Page, make_staff: MakeStaff, token: tuple[PersonalAccessToken, str], log_in: LogIn
) -> None:
    from django_pat import tokens

    log_in(page, make_staff("root", superuser=True))
    unknown = tokens.generate("pat")
    page.goto(f"{CHANGELIST}find/")
    page.get_by_label("Token").fill(unknown)
    page.get_by_role("button", name="Find").click()

    expect(page.locator(".errorlist")).to_contain_text("No token with this value exists here")
    expect(page.get_by_label("Token")).to_have_value("")
    assert unknown not in page.content()
    assert "/find/" in page.url
    assert unknown not in page.url


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("{}", id="whole token"),
        pytest.param("Authorization: BEARER {}.", id="within a header line"),
        pytest.param("Bearer%20{}", id="percent-encoded"),
    ],
)
def test_a_token_typed_into_the_search_box_goes_by_post_to_find(
    page: Page,
    make_staff: MakeStaff,
    token: tuple[PersonalAccessToken, str],
    log_in: LogIn,
    template: str,
) -> None:
    token_obj, secret = token
    log_in(page, make_staff("root", superuser=True))
    sent: list[tuple[str, str, str | None]] = []
    page.on(
        "request", lambda request: sent.append((request.method, request.url, request.post_data))
    )

    page.goto(CHANGELIST)
    page.locator("#searchbar").fill(template.format(secret))
    page.locator("#searchbar").press("Enter")

    # The script finds the token in what was typed and sends just that.
    page.wait_for_url(f"**{CHANGELIST}{token_obj.pk}/change/")
    assert not [url for _, url, _ in sent if secret in url]
    assert [method for method, _, body in sent if body and secret in body] == ["POST"]
    assert secret not in page.content()


def test_revoking_with_the_action_asks_first_and_the_api_then_refuses_the_token(
    page: Page,
    live_server: LiveServer,
    make_staff: MakeStaff,
    make_token: MakeToken,
    log_in: LogIn,
) -> None:
    doomed, secret = make_token(name="leaked")
    kept, kept_secret = make_token(name="kept")
    log_in(page, make_staff("revoker", "view_personalaccesstoken", "revoke_personalaccesstoken"))
    assert api_status(live_server, secret) == 200

    page.goto(CHANGELIST)
    token_row(page, doomed).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label="Revoke selected tokens")
    # The admin's own button: "Go" up to Django 5.2, "Run" from 6.0.
    page.locator(".actions button[type=submit]").click()

    confirmation = page.locator("#pat-to-revoke")
    expect(confirmation).to_contain_text("leaked")
    expect(confirmation).not_to_contain_text("kept")
    assert api_status(live_server, secret) == 200, "nothing is revoked before confirming"
    page.get_by_role("button", name="Yes, revoke it").click()

    expect(page.locator(".messagelist")).to_contain_text("Revoked 1 token")
    expect(token_row(page, doomed).locator(".pat-status")).to_have_text("revoked")
    expect(token_row(page, kept).locator(".pat-status")).to_have_text("active")
    assert api_status(live_server, secret) == 401
    assert api_status(live_server, kept_secret) == 200


def test_revoking_from_the_token_page_takes_effect_on_the_next_request(
    page: Page,
    live_server: LiveServer,
    make_staff: MakeStaff,
    token: tuple[PersonalAccessToken, str],
    log_in: LogIn,
) -> None:
    token_obj, secret = token
    log_in(page, make_staff("root", superuser=True))
    page.goto(f"{CHANGELIST}{token_obj.pk}/change/")

    dialogs: list[str] = []

    def accept(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.once("dialog", accept)
    page.get_by_role("button", name="Revoke this token").click()

    expect(page.locator(".messagelist")).to_contain_text("Revoked 1 token")
    assert dialogs
    assert "cannot be undone" in dialogs[0]
    expect(page.locator(".field-status_badge")).to_contain_text("revoked")
    expect(page.get_by_role("button", name="Revoke this token")).to_have_count(0)
    assert api_status(live_server, secret) == 401


def test_dismissing_the_question_on_the_token_page_revokes_nothing(
    page: Page,
    live_server: LiveServer,
    make_staff: MakeStaff,
    token: tuple[PersonalAccessToken, str],
    log_in: LogIn,
) -> None:
    token_obj, secret = token
    log_in(page, make_staff("root", superuser=True))
    page.goto(f"{CHANGELIST}{token_obj.pk}/change/")
    posts: list[str] = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke this token").click()

    # A form sent would have started its request before this round trip ends.
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")
    assert posts == []
    assert page.url.endswith(f"{token_obj.pk}/change/")
    assert api_status(live_server, secret) == 200


def test_view_only_staff_see_tokens_but_cannot_revoke_them(
    page: Page,
    live_server: LiveServer,
    make_staff: MakeStaff,
    token: tuple[PersonalAccessToken, str],
    log_in: LogIn,
) -> None:
    token_obj, secret = token
    log_in(page, make_staff("viewer", "view_personalaccesstoken"))

    page.goto(CHANGELIST)
    expect(token_row(page, token_obj)).to_contain_text("alice")
    expect(page.locator("input.action-select")).to_have_count(0)
    expect(page.locator("select[name=action]")).to_have_count(0)
    expect(page.get_by_role("link", name="Provision a token")).to_have_count(0)

    token_row(page, token_obj).get_by_role("link", name="ci").click()
    expect(page.locator(".field-display_prefix")).to_contain_text(token_obj.display_prefix)
    expect(page.get_by_role("button", name="Revoke this token")).to_have_count(0)

    response = page.goto(f"{CHANGELIST}{token_obj.pk}/revoke/")
    assert response is not None
    assert response.status == 403
    assert api_status(live_server, secret) == 200


def test_provisioning_for_a_user_shows_the_secret_once_and_it_works(
    page: Page,
    live_server: LiveServer,
    make_staff: MakeStaff,
    user: User,
    log_in: LogIn,
) -> None:
    log_in(page, make_staff("root", superuser=True))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(CHANGELIST)
    page.get_by_role("link", name="Provision a token").click()

    # Pick the owner in the autocomplete box, as a person would.
    page.locator(".field-user .select2-selection").click()
    page.locator(".select2-search__field").fill("ali")
    page.locator(".select2-results__option", has_text="alice").click()
    page.get_by_label("Name").fill("deploy from CI")
    page.get_by_label("Type").select_option("read_only")
    page.get_by_label("IP restriction").fill("999.0.0.1")
    page.get_by_role("button", name="Provision token").click()

    # The model's own rule, on the form, with the other values kept.
    expect(page.locator(".field-ip_restriction .errorlist")).to_contain_text("'999.0.0.1'")
    expect(page.get_by_label("Name")).to_have_value("deploy from CI")
    page.get_by_label("IP restriction").fill("127.0.0.0/8, ::1")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Provision token").click()

    assert "no-store" in answer.value.headers["cache-control"]
    expect(page.locator(".pat-warning")).to_contain_text("You will not see it again")
    secret = page.locator("#pat-secret").input_value()
    assert SECRET_RE.fullmatch(secret)
    assert page.content().count(secret[len("pat_") :]) == 1

    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#pat-copy-status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret

    token_obj = PersonalAccessToken.objects.get(name="deploy from CI")
    assert token_obj.user == user
    assert token_obj.type == "read_only"
    assert token_obj.ip_restriction == "127.0.0.0/8,::1"
    assert api_status(live_server, secret) == 200
    assert api_status(live_server, secret, method="POST") == 403  # read_only

    # Shown once: not on the token's page, and going back does not bring it
    # back from the browser's cache (no-store), it only offers to re-send.
    page.get_by_role("link", name="Go to the token").click()
    expect(page.locator(".field-name")).to_contain_text("deploy from CI")
    assert secret not in page.content()
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    page.wait_for_url(re.compile("^chrome-error:"))
    assert secret not in page.locator("html").inner_html()
    page.goto(CHANGELIST)
    assert secret not in page.content()


def test_provisioning_with_scopes_chosen_by_their_descriptions(
    page: Page,
    live_server: LiveServer,
    make_staff: MakeStaff,
    user: User,
    log_in: LogIn,
) -> None:
    log_in(page, make_staff("root", superuser=True))
    page.goto(CHANGELIST + "add/")
    page.locator(".field-user .select2-selection").click()
    page.locator(".select2-search__field").fill("ali")
    page.locator(".select2-results__option", has_text="alice").click()
    page.get_by_label("Name").fill("lists tokens")

    # Ticking a scope without "Limit to scopes" would make a token wider
    # than what was ticked: the form says so instead.
    read = page.get_by_label("tokens:read: List your personal access tokens and look one up.")
    read.check()
    page.get_by_role("button", name="Provision token").click()
    expect(page.locator(".field-limit_scopes .errorlist")).to_contain_text("Tick 'Limit to scopes'")
    assert not PersonalAccessToken.objects.exists()
    expect(read).to_be_checked()
    page.get_by_label("Limit to scopes").check()
    page.get_by_role("button", name="Provision token").click()

    secret = page.locator("#pat-secret").input_value()
    token_obj = PersonalAccessToken.objects.get(name="lists tokens")
    assert token_obj.scopes == ["tokens:read"]
    assert api_status(live_server, secret) == 200
    assert api_status(live_server, secret, method="POST") == 403  # needs tokens:write

    page.get_by_role("link", name="Go to the token").click()
    expect(page.locator(".field-scopes_display")).to_contain_text("tokens:read")
    page.goto(CHANGELIST + "?scope=tokens:read")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(token_row(page, token_obj).locator(".field-access .pat-scopes")).to_have_text(
        "tokens:read"
    )
