"""The self-service token page in a real browser, as its user works it:
make a token, copy it, use it, see it used, revoke it; with the keyboard only
where it matters. The page talks to the REST endpoints with the session."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import override_settings
from django.utils.timezone import now as django_now

from django_pat.models import PersonalAccessToken
from tests.browser.conftest import api_status

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page
    from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser

PAGE = "/settings/tokens/"
SECRET_RE = re.compile(r"pat_[0-9A-Za-z]{38}")
DOCS = Path(__file__).resolve().parents[2] / "docs"

LogIn = Callable[["Page", User], None]
MakeToken = Callable[..., tuple[PersonalAccessToken, str]]


def row(page: Page, name: str) -> object:
    # By text anywhere in the row: give tokens names no random display
    # prefix can hold (a hyphen is no base62 character), not "ci".
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


def cell(page: Page, name: str, column: str) -> Locator:
    """A token's cell, found by its column's heading as the script labels it."""
    return page.locator("#pat-list tbody tr", has_text=name).locator(f'td[data-label="{column}"]')


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
    expect(cell(page, "laptop", "Last used")).to_have_text("Never")

    assert api_status(live_server, secret) == 200

    page.reload()
    expect(row(page, "laptop")).to_contain_text("Active")
    expect(cell(page, "laptop", "Last used").locator("time")).to_be_visible()
    assert secret not in page.content(), "the secret is shown once, then never again"

    row(page, "laptop").get_by_role("button", name="Revoke laptop").click()
    dialog = page.get_by_role("dialog", name="Revoke “laptop”?")
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
    now = django_now()
    day = timedelta(days=1)
    rows = [
        # name, type, IP restriction, created days ago, last used, state
        ("deploy from CI", "read_only", "10.0.0.0/8,2001:db8::/32", 20, timedelta(hours=1), ""),
        ("grafana dashboard", "read_only", "192.0.2.10", 86, 2 * day, ""),
        ("data export", "read_only", "", 120, 95 * day, "expired"),
        ("old backup script", "read_write", "", 200, 120 * day, "revoked"),
    ]
    scopes = {"deploy from CI": ["tokens:read", "tokens:write"], "grafana dashboard": []}
    for name, type_, ip, age, used, state in rows:
        token, _ = make_token(name=name, type=type_, ip_restriction=ip, scopes=scopes.get(name))
        created = now - timedelta(days=age, hours=age % 7)
        PersonalAccessToken.objects.filter(pk=token.pk).update(
            created_at=created,
            expire_at=now - 30 * day if state == "expired" else created + 365 * day,
            last_used_at=now - used,
            last_used_ip="10.0.4.17" if ip.startswith("10.") else ip or "198.51.100.23",
            description="The release job in GitHub Actions." if ip.startswith("10.") else "",
        )
        if state == "revoked":
            token.revoke()
    log_in(page, user)
    page.goto(PAGE)
    create(page, "laptop")
    expect(page.locator("#pat-secret")).to_be_visible()
    expect(page.locator("#pat-list-status")).to_have_text("Created “laptop”. 5 tokens.")
    for status in ("Active", "Expired", "Revoked"):
        expect(page.locator(".pat-status", has_text=status).first).to_be_visible()
    # The picture shows where the secret appears, not a secret: scanners
    # would rightly flag a token-shaped string in the repository.
    page.locator("#pat-secret-value").evaluate("box => { box.value = 'pat_' + '•'.repeat(38) }")

    folder = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    path = folder / "self-service-tokens.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")

    assert path.stat().st_size > 10_000


def test_revoke_dialog_says_exactly_what_it_does(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    token, _ = make_token(name="grafana dashboard")
    log_in(page, user)
    page.goto(PAGE)

    row(page, "grafana dashboard").get_by_role("button", name="Revoke grafana dashboard").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    question = "Revoke “grafana dashboard”?"
    consequence = (
        f"Requests using {token.display_prefix}… will be refused at once. This cannot be undone."
    )
    expect(dialog).to_have_accessible_name(question)
    expect(dialog).to_have_accessible_description(consequence)
    # Exactly: no whitespace before, after or between the pieces.
    assert dialog.evaluate("d => d.textContent") == f"{question}{consequence}CancelRevoke"
    assert dialog.inner_text() == f"{question}\n\n{consequence}\n\nCancel\nRevoke"


def test_dates_are_compact_in_the_readers_time_zone_and_exact_on_hover(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    dated, _ = make_token(name="dated")
    PersonalAccessToken.objects.filter(pk=dated.pk).update(
        created_at=datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc),
        expire_at=datetime(2099, 12, 3, 20, 15, 7, tzinfo=timezone.utc),
        last_used_at=django_now() - timedelta(hours=2, minutes=5),
    )
    forever, _ = make_token(name="forever")
    PersonalAccessToken.objects.filter(pk=forever.pk).update(expire_at=None)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setLocaleOverride", {"locale": "en-GB"})
    cdp.send("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    log_in(page, user)
    page.goto(PAGE)

    created = cell(page, "dated", "Created").locator("time")
    expect(created).to_have_text("15 Jan 2026")
    expect(created).to_have_attribute("datetime", "2026-01-15T09:30:00Z")
    # 20:15 UTC on the 3rd is 05:15 on the 4th in Tokyo.
    expires = cell(page, "dated", "Expires").locator("time")
    expect(expires).to_have_text("4 Dec 2099")
    expect(expires).to_have_attribute("datetime", "2099-12-03T20:15:07Z")
    expect(expires).to_have_attribute("title", re.compile(r"4 December 2099\D+05:15:07"))
    last_used = cell(page, "dated", "Last used").locator("time")
    expect(last_used).to_have_text("2 hr ago")
    expect(last_used).to_have_attribute("title", re.compile(r"\d{4}\D+\d\d:\d\d:\d\d"))
    expect(cell(page, "forever", "Expires")).to_have_text("Never")
    expect(cell(page, "forever", "Last used")).to_have_text("Never")


def test_a_phone_screen_needs_no_sideways_scrolling(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    make_token(name="deploy", ip_restriction="10.0.0.0/8,2001:db8:1234:5678::/64,198.51.100.0/24")
    make_token(name="x" * 100)
    log_in(page, user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(PAGE)
    create(page, "laptop")
    expect(page.locator("#pat-secret")).to_be_visible()
    expect(page.locator("#pat-list-status")).to_have_text("Created “laptop”. 3 tokens.")
    page.get_by_label("IP restriction (optional)").fill("203.0.113.7, 2001:db8:1234:5678::/64")

    width = page.evaluate("innerWidth")
    assert width == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    controls = page.locator(".pat input, .pat select, .pat button")
    assert controls.count() > 5
    for control in controls.all():
        if control.is_visible():
            box = control.bounding_box()
            assert box is not None
            html = control.evaluate("c => c.outerHTML")
            assert box["x"] >= 0, html
            assert box["x"] + box["width"] <= width, html

    # One card per token: its cells one under the other, each labelled with
    # its column's heading, the headings row itself out of sight.
    header = page.locator("#pat-list thead").bounding_box()
    assert header is not None
    assert header["height"] <= 1
    headings = page.locator("#pat-list thead th").all_text_contents()
    cells = row(page, "deploy").locator("td")
    assert cells.evaluate_all("cells => cells.map(c => c.dataset.label)") == headings
    labels = cells.evaluate_all("cs => cs.map(c => getComputedStyle(c, '::before').content)")
    shown = [label for label in labels if label != "none"]
    assert [label.split('"')[1] for label in shown] == [
        "Type",
        "Prefix",
        "Created",
        "Expires",
        "Last used",
        "IP restriction",
        "Scopes",
    ]
    tops = {}
    for column in headings:
        box = cell(page, "deploy", column).bounding_box()
        assert box is not None
        tops[column] = box["y"]
    assert abs(tops["Name"] - tops["Status"]) < 8, "the status sits beside the name"
    stacked = [tops["Name"]] + [tops[c] for c in headings if c not in ("Name", "Status")]
    assert stacked == sorted(set(stacked)), "the other cells one under the other"

    row(page, "deploy").get_by_role("button", name="Revoke deploy").click()
    dialog = page.get_by_role("dialog").bounding_box()
    assert dialog is not None
    assert dialog["x"] >= 0
    assert dialog["x"] + dialog["width"] <= width


# The WCAG contrast of each visible piece of text against what is behind it,
# and of each field's border; the failures.
CONTRAST = """(root) => {
  const parse = (text) => {
    if (!text.startsWith("rgb")) throw new Error(`unexpected colour ${text}`);
    const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
    return { r, g, b, a };
  };
  const channel = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  const behind = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const colour = parse(getComputedStyle(e).backgroundColor);
      if (colour.a === 1) return colour;
      if (colour.a > 0) throw new Error(`translucent background on ${e.outerHTML}`);
    }
    throw new Error("no background");
  };
  const shown = (e) =>
    e.checkVisibility({ opacityProperty: true, visibilityProperty: true }) &&
    e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().height > 1;
  const failures = [];
  let checked = 0;
  for (const e of root.querySelectorAll("*")) {
    if (!shown(e)) continue;
    const style = getComputedStyle(e);
    const isField = e.matches("input, select");
    const hasText = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (hasText || isField) {
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const value = ratio(parse(style.color), behind(e));
      checked += 1;
      if (value < (large ? 3 : 4.5)) failures.push([e.textContent.trim() || e.id, value]);
    }
    if (isField) {
      const value = ratio(parse(style.borderTopColor), behind(e.parentElement));
      if (value < 3) failures.push([`border of ${e.id}`, value]);
    }
  }
  return { checked, failures };
}"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast_in_either_colour_scheme(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, scheme: str, width: int
) -> None:
    make_token(name="grafana", ip_restriction="192.0.2.10")
    revoked, _ = make_token(name="old script")
    revoked.revoke()
    expired, _ = make_token(name="export")
    PersonalAccessToken.objects.filter(pk=expired.pk).update(
        expire_at=django_now() - timedelta(days=1), last_used_at=django_now()
    )
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, user)
    page.goto(PAGE)
    create(page, "laptop")  # the secret's panel
    expect(page.locator("#pat-secret")).to_be_visible()
    create(page, "office", ip="10.0.0.300")  # an error under its field
    expect(page.locator("#pat-ipRestriction-error")).to_be_visible()
    expect(row(page, "export")).to_contain_text("Expired")

    canvas = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (canvas == "rgb(13, 17, 23)") == (scheme == "dark"), canvas
    page_result = page.locator(".pat").evaluate(CONTRAST)
    assert page_result["checked"] > 40
    assert page_result["failures"] == []

    row(page, "grafana").get_by_role("button", name="Revoke grafana").click()
    dialog = page.get_by_role("dialog")
    dialog.evaluate("d => Promise.all(d.getAnimations().map((a) => a.finished))")
    dialog_result = dialog.evaluate(CONTRAST)
    assert dialog_result["checked"] >= 4
    assert dialog_result["failures"] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_focused_control_shows_a_focus_ring(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, scheme: str
) -> None:
    make_token(name="grafana")
    page.emulate_media(color_scheme=scheme)
    log_in(page, user)
    page.goto(PAGE)
    create(page, "laptop")
    secret = page.get_by_label(re.compile("^Token"))
    expect(secret).to_be_focused()
    # The list is drawn again after a token is made: tab once it is.
    expect(page.locator("#pat-list-status")).to_have_text("Created “laptop”. 2 tokens.")

    seen: list[str] = []
    for _ in range(20):
        focused = page.evaluate(
            """() => {
              const e = document.activeElement;
              const style = getComputedStyle(e);
              return {
                inside: Boolean(e.closest(".pat")),
                name: e.id || e.getAttribute("aria-label") || e.textContent,
                outline: [style.outlineStyle, parseFloat(style.outlineWidth)],
              };
            }"""
        )
        if not focused["inside"] or focused["name"] in seen:
            break
        seen.append(focused["name"])
        style, width = focused["outline"]
        assert style == "solid", focused
        assert width >= 2, focused
        page.keyboard.press("Tab")
    assert seen[:3] == ["pat-secret-value", "pat-copy", "pat-secret-done"]
    assert {"pat-name", "pat-ip", "pat-create", "Revoke grafana"} <= set(seen)


@pytest.mark.parametrize(("preference", "animated"), [("no-preference", True), ("reduce", False)])
def test_motion_follows_the_readers_preference(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, preference: str, animated: bool
) -> None:
    make_token(name="grafana")
    page.emulate_media(reduced_motion=preference)
    log_in(page, user)
    page.goto(PAGE)
    button = page.get_by_role("button", name="Revoke grafana")
    transition = button.evaluate("b => getComputedStyle(b).transitionDuration")
    button.click()
    animation = page.get_by_role("dialog").evaluate("d => getComputedStyle(d).animationName")

    assert (animation != "none") is animated
    assert (set(transition.split(", ")) != {"0s"}) is animated


def test_every_control_has_a_label(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    make_token(name="grafana")
    log_in(page, user)
    page.goto(PAGE)
    create(page, "laptop")
    # The form is reset when the answer arrives: choose only after that.
    expect(page.get_by_role("region", name="Your new token")).to_be_visible()
    page.get_by_label("Expires").select_option("custom")
    expect(page.get_by_label("Date")).to_be_visible()

    unlabelled = page.locator(".pat").evaluate(
        """(root) => [...root.querySelectorAll("input, select, button")]
          .filter((e) => e.checkVisibility())
          .filter((e) => !(e.labels && [...e.labels].some((l) => l.textContent.trim()))
                         && !(e.getAttribute("aria-label") || e.textContent.trim()))
          .map((e) => e.outerHTML)"""
    )
    assert unlabelled == []


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


PACKAGES = {"packages:read": "Download packages.", "packages:write": "Publish packages."}


@override_settings(DJANGO_PAT={"SCOPES": PACKAGES})
def test_scopes_are_ticked_with_their_descriptions_and_shown_in_the_list(
    page: Page, user: User, log_in: LogIn, live_server: LiveServer
) -> None:
    log_in(page, user)
    page.goto(PAGE)
    read = page.get_by_label("packages:read")
    expect(page.get_by_label(re.compile("^Not restricted"))).to_be_checked()
    expect(read).to_be_disabled()
    expect(read).to_have_accessible_description("Download packages.")

    page.get_by_label("Only the scopes ticked here").check()
    read.check()
    page.get_by_label("tokens:write").check()
    scoped = create_and_read_answer(page, "ci-job")
    page.get_by_role("button", name="I have copied it").click()
    # The form is ready for the next token as it first was.
    expect(read).to_be_disabled()
    expect(read).not_to_be_checked()
    unrestricted = create_and_read_answer(page, "laptop")
    page.get_by_role("button", name="I have copied it").click()
    page.get_by_label("Only the scopes ticked here").check()
    nothing = create_and_read_answer(page, "nothing")

    assert scoped["scopes"] == ["packages:read", "tokens:write"]
    assert unrestricted["scopes"] is None
    assert nothing["scopes"] == []
    expect(cell(page, "ci-job", "Scopes")).to_have_text("packages:read, tokens:write")
    expect(cell(page, "ci-job", "Scopes").locator(".pat-scope")).to_have_text(
        ["packages:read,", "tokens:write"]
    )
    expect(cell(page, "laptop", "Scopes")).to_have_text("Any scope")
    expect(cell(page, "nothing", "Scopes")).to_have_text("No scope")
    # What the API then lets each token do: listing needs tokens:read.
    assert api_status(live_server, scoped["token"]) == 403
    assert api_status(live_server, unrestricted["token"]) == 200


@override_settings(DJANGO_PAT={"SCOPES": PACKAGES, "DEFAULT_SCOPES": ["packages:read"]})
def test_the_form_starts_from_the_default_scopes(page: Page, user: User, log_in: LogIn) -> None:
    log_in(page, user)
    page.goto(PAGE)

    expect(page.get_by_label("Only the scopes ticked here")).to_be_checked()
    expect(page.get_by_label("packages:read")).to_be_checked()
    expect(page.get_by_label("packages:write")).not_to_be_checked()
    assert create_and_read_answer(page, "ci-job")["scopes"] == ["packages:read"]


def test_a_scope_the_api_refuses_is_reported_next_to_the_scopes(
    page: Page, user: User, log_in: LogIn
) -> None:
    with override_settings(DJANGO_PAT={"SCOPES": PACKAGES}):
        log_in(page, user)
        page.goto(PAGE)
        page.get_by_label("Only the scopes ticked here").check()
        page.get_by_label("packages:write").check()
    # The site no longer has the scope the page offered when it was loaded.
    answer = create_and_read_answer(page, "ci-job")

    assert answer["status"] == 400
    error = page.locator("#pat-scopes-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("'packages:write' is not a scope")
    expect(page.get_by_label("tokens:read")).to_be_focused()
    assert not PersonalAccessToken.objects.exists()


# --- the lifecycle: description, where it was used, rotation -------------------------


def test_rotating_on_the_page_shows_the_new_token_once_and_the_old_one_stops(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, live_server: LiveServer
) -> None:
    old, old_secret = make_token(name="deploy", description="Used by the release job.")
    log_in(page, user)
    page.goto(PAGE)
    expect(cell(page, "deploy", "Name")).to_contain_text("Used by the release job.")

    row(page, "deploy").get_by_role("button", name="Rotate deploy").click()
    dialog = page.get_by_role("dialog", name="Rotate “deploy”?")
    expect(dialog).to_contain_text(f"{old.display_prefix}…")
    with page.expect_response(lambda response: response.url.endswith("/rotate")) as answer:
        dialog.get_by_role("button", name="Rotate").click()

    new = answer.value.json()
    secret_box = page.get_by_label(re.compile("^Token"))
    expect(page.locator("#pat-secret")).to_be_visible()
    expect(page.locator("#pat-secret-replaces")).to_contain_text(f"{old.display_prefix}…")
    assert secret_box.input_value() == new["token"]
    expect(page.locator("#pat-list-status")).to_contain_text("Rotated “deploy”.")
    rows = page.locator("#pat-list tbody tr", has_text="deploy")
    expect(rows).to_have_count(2)
    expect(page.locator(f'tr[data-token-id="{old.pk}"]')).to_contain_text("Revoked")
    expect(page.locator(f'tr[data-token-id="{old.pk}"]')).to_contain_text("rotated")
    successor = page.locator(f'tr[data-token-id="{new["id"]}"]')
    expect(successor).to_contain_text("Active")
    expect(successor).to_contain_text(f"Replaces {old.display_prefix}…")
    expect(successor).to_contain_text("Used by the release job.")
    assert api_status(live_server, old_secret) == 401
    assert api_status(live_server, new["token"]) == 200

    page.get_by_role("button", name="I have copied it").click()
    page.reload()
    assert new["token"] not in page.content()


def test_cancelling_a_rotation_keeps_the_token(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, live_server: LiveServer
) -> None:
    _, secret = make_token(name="keep me")
    log_in(page, user)
    page.goto(PAGE)

    row(page, "keep me").get_by_role("button", name="Rotate keep me").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#pat-list tbody tr", has_text="keep me")).to_have_count(1)
    assert api_status(live_server, secret) == 200


def test_a_description_is_sent_and_shown_as_text(page: Page, user: User, log_in: LogIn) -> None:
    log_in(page, user)
    page.goto(PAGE)
    page.get_by_label("Description (optional)").fill('For <b>CI</b>\nAsk "ops".')

    answer = create_and_read_answer(page, "ci-job")

    assert answer["description"] == 'For <b>CI</b>\nAsk "ops".'
    expect(cell(page, "ci-job", "Name").locator(".pat-description")).to_have_text(
        'For <b>CI</b>\nAsk "ops".'
    )
    assert page.locator("#pat-list b").count() == 0


def test_a_too_long_description_is_an_error_next_to_the_field(
    page: Page, user: User, log_in: LogIn
) -> None:
    log_in(page, user)
    page.goto(PAGE)
    field = page.get_by_label("Description (optional)")
    # Past the field's own maxlength, as a script or an old browser could send it.
    field.evaluate("(element) => element.removeAttribute('maxlength')")
    field.fill("x" * 1001)

    create_and_read_answer(page, "long")

    expect(page.locator("#pat-description-error")).to_contain_text("at most 1000")
    expect(field).to_be_focused()
    assert not PersonalAccessToken.objects.exists()


def test_the_list_shows_where_a_token_was_last_used_and_why_it_was_revoked(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken, live_server: LiveServer
) -> None:
    _, secret = make_token(name="used")
    assert api_status(live_server, secret) == 200
    gone, _ = make_token(name="gone")
    gone.revoke("staff")
    log_in(page, user)
    page.goto(PAGE)

    expect(cell(page, "used", "Last used")).to_contain_text("from 127.0.0.1")
    expect(cell(page, "gone", "Status")).to_contain_text("Revoked")
    expect(cell(page, "gone", "Status")).to_contain_text("by staff")
    expect(row(page, "gone").get_by_role("button")).to_have_count(0)


def test_a_leaked_token_says_so_and_when(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    from django_pat.leaks import revoke_leaked

    leaked, secret = make_token(name="pasted")
    revoke_leaked([secret])
    leaked.refresh_from_db()
    log_in(page, user)
    page.goto(PAGE)

    status = cell(page, "pasted", "Status")
    expect(status).to_contain_text("Revoked")
    expect(status).to_contain_text("found in public")
    assert leaked.revoked_at is not None
    expect(status.locator("time")).to_have_attribute(
        "datetime", re.compile(rf"^{leaked.revoked_at:%Y-%m-%dT%H:%M}.*Z$")
    )
    expect(status.locator("time")).to_have_text("now")


@override_settings(DJANGO_PAT={"DORMANT_AFTER_DAYS": 30})
def test_a_dormant_token_reads_dormant_and_offers_nothing(
    page: Page, user: User, log_in: LogIn, make_token: MakeToken
) -> None:
    sleeper, _ = make_token(name="sleeper")
    PersonalAccessToken.objects.filter(pk=sleeper.pk).update(
        created_at=django_now() - timedelta(days=45)
    )
    log_in(page, user)
    page.goto(PAGE)

    expect(cell(page, "sleeper", "Status")).to_have_text("Dormant")
    expect(row(page, "sleeper").get_by_role("button")).to_have_count(0)
