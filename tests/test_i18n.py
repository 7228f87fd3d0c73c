"""Translations: the admin, the token page and the API in German, with no
English left where the app's own words are, and a shipped catalogue that
holds every marked string, translated, and compiled from the catalogue as it
is (docs/translations.md).

The catalogue's own checks run GNU gettext's tools (``xgettext``, ``msgfmt``,
as Django's ``makemessages`` and ``compilemessages`` do); without them they
skip, saying how to install them, and with ``DJANGO_PAT_REQUIRE_GETTEXT=1``
(CI sets it) they fail instead.
"""

from __future__ import annotations

import functools
import gettext
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import django
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

import django_pat
from django_pat.models import PersonalAccessToken
from tests.docs.examples import DOCS, examples

PACKAGE = Path(django_pat.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
DOMAINS = ("django", "djangojs")
CHANGELIST = reverse("admin:django_pat_personalaccesstoken_changelist")
ADD = reverse("admin:django_pat_personalaccesstoken_add")
PAGE = reverse("django_pat_ui:tokens")
CATALOG = reverse("django_pat_ui:jsi18n")
LIST_URL = "/api/personal-access-tokens"

# Words that German writes as English does: a segment of these alone may be
# the same in both renders.
SAME_IN_GERMAN = {"Token", "Name", "Status", "Tokens", "ID", "Filter", "Rotation"}


@pytest.fixture(autouse=True)
def locale_middleware(settings: Any) -> Iterator[None]:
    """The project's side: LocaleMiddleware picks the language from
    Accept-Language, among LANGUAGES (Django's default list has German).
    It leaves the last request's language active in this thread: the next
    test starts from the default again."""
    middleware = list(settings.MIDDLEWARE)
    session = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    middleware.insert(session + 1, "django.middleware.locale.LocaleMiddleware")
    settings.MIDDLEWARE = middleware
    yield
    translation.deactivate()


class _Text(HTMLParser):
    """What a reader sees of a page: its text and the attributes shown as text
    (titles, placeholders, buttons' values, confirmations), each trimmed."""

    SHOWN = {
        "title",
        "alt",
        "placeholder",
        "aria-label",
        "data-pat-confirm",
        "data-pat-copied",
        "data-pat-selected",
    }

    def __init__(self) -> None:
        super().__init__()
        self.segments: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            shown = name in self.SHOWN or (
                name == "value" and dict(attrs).get("type") in ("submit", "button")
            )
            if shown and value:
                self._add(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._add(data)

    def _add(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            self.segments.append(text)


def segments(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.segments


def _render(client: Client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response
    assert response.headers["Content-Language"] == language
    return response.content.decode()


@functools.cache
def djangos_own_words() -> frozenset[str]:
    """Django's messages (core and admin), which its own catalogue translates
    or, in a new release, not yet ("- Select an option -" in Django 6.0):
    not words of ours."""
    root = Path(django.__file__).parent
    catalogues = [
        root / "conf" / "locale" / "en" / "LC_MESSAGES" / "django.po",
        root / "contrib" / "admin" / "locale" / "en" / "LC_MESSAGES" / "django.po",
    ]
    found: set[str] = set()
    for catalogue in catalogues:
        found |= set(re.findall(r'^msgid "(.+)"$', catalogue.read_text(), flags=re.MULTILINE))
    return frozenset(found)


def english_left(client: Client, url: str, data: set[str]) -> list[str]:
    """The segments that read the same in the German render as in the English
    one, but for ``data`` (names, usernames, prefixes: not words of ours),
    Django's own messages, and what has no letters or reads the same in German."""
    english = set(segments(_render(client, url, "en")))
    german = segments(_render(client, url, "de"))
    left = []
    for segment in german:
        if segment not in english or segment in djangos_own_words():
            continue
        words = segment
        for value in sorted(data, key=len, reverse=True):
            words = words.replace(value, " ")
        if set(re.findall(r"[^\W\d_]{2,}", words)) - SAME_IN_GERMAN:
            left.append(segment)
    return left


def data_of(*tokens: PersonalAccessToken) -> set[str]:
    """What the pages show of these tokens that is data, not our words."""
    shown = {"read_only", "read_write", "tokens", "read", "write", "rotate", "Bearer"}
    shown |= {"Authorization: Bearer <token>", "tokens:read", "tokens:write", "tokens:rotate"}
    for token in tokens:
        shown |= {token.name, token.display_prefix, str(token.pk), token.user.get_username()}
        shown |= {token.description} if token.description else set()
    return shown


@pytest.fixture
def staff_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def tokens(user: User, make_token: Any) -> list[PersonalAccessToken]:
    """A token of each kind the list and the pages word differently."""
    restricted, _ = make_token(
        name="deploy", ip_restriction="10.0.0.0/8", scopes=["tokens:read"], description="CI"
    )
    revoked, _ = make_token(name="old", type="read_only")
    revoked.revoke("staff")
    plain, _ = make_token(name="everything")
    return [restricted, revoked, plain]


def test_the_token_list_in_german(staff_client: Client, tokens: list[PersonalAccessToken]) -> None:
    data = data_of(*tokens) | {"root"}
    assert english_left(staff_client, CHANGELIST, data) == []
    html = _render(staff_client, CHANGELIST, "de")
    assert "Persönliche Zugriffstokens" in html
    assert "Token anhand seines Werts finden" in html
    # With a filter, the count and the filters' choices too.
    assert english_left(staff_client, f"{CHANGELIST}?status=revoked", data) == []


def test_the_provisioning_form_in_german(staff_client: Client, user: User) -> None:
    data = {"root", "read_only", "read_write", "alice"}
    assert english_left(staff_client, ADD, data) == []
    # Its errors too: provision()'s own, naming the entry.
    response = staff_client.post(
        ADD,
        {"user": user.pk, "name": "ci", "type": "read_write", "ip_restriction": "10.0.0.300"},
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert "„10.0.0.300“ ist keine gültige IP-Adresse und kein gültiges Netz" in (
        response.content.decode()
    )


def test_a_tokens_page_in_german(staff_client: Client, tokens: list[PersonalAccessToken]) -> None:
    for token in tokens:
        url = reverse("admin:django_pat_personalaccesstoken_change", args=[token.pk])
        assert english_left(staff_client, url, data_of(*tokens) | {"root"}) == []


def test_the_token_page_in_german(user: User) -> None:
    client = Client()
    client.force_login(user)
    assert english_left(client, PAGE, data_of() | {"alice"}) == []
    html = _render(client, PAGE, "de")
    assert '<html lang="de">' in html
    # Its script takes its words from the catalogue, which the page loads first.
    assert html.index(CATALOG) < html.index("django_pat/tokens.js")


def _script_strings() -> set[str]:
    script = (PACKAGE / "static" / "django_pat" / "tokens.js").read_text()
    return set(re.findall(r'gettext\(\s*"((?:[^"\\]|\\.)*)"', script))


def test_the_token_pages_script_has_every_word_in_german(db: None) -> None:
    german = APIClient().get(CATALOG, HTTP_ACCEPT_LANGUAGE="de")
    assert german.status_code == 200
    # The catalogue is JSON inside the script Django's JavaScriptCatalog serves.
    found = re.search(r"const newcatalog = (\{.*?\});", german.content.decode(), re.S)
    assert found is not None
    catalog = json.loads(found[1])
    strings = _script_strings()
    assert len(strings) > 20, strings
    for text in strings:
        assert text in catalog, f"{text!r} is not in the German catalogue of the script"
        translated = catalog[text]
        assert translated, text
        assert translated != text or text in SAME_IN_GERMAN, text


def test_api_errors_in_german(db: None, user: User, token: Any) -> None:
    # The one 401, in German for a client that asks for German...
    refused = APIClient().get(
        LIST_URL, HTTP_AUTHORIZATION="Bearer pat_" + "0" * 38, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert refused.status_code == 401
    assert refused.json()["message"] == "Ungültiges, abgelaufenes oder widerrufenes Token."
    # ... and as the contract words it for every other client.
    english = APIClient().get(LIST_URL, HTTP_AUTHORIZATION="Bearer pat_" + "0" * 38)
    assert english.json()["message"] == "Invalid, expired or revoked token."
    # A validation error names the entry, in German.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token[1]}")
    response = client.post(
        LIST_URL,
        {"name": "ci2", "ipRestriction": "10.0.0.300"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "ipRestriction": ["„10.0.0.300“ ist keine gültige IP-Adresse und kein gültiges Netz"]
    }


def test_an_expiry_notice_in_german(
    db: None, user: User, make_token: Any, mailoutbox: Any, settings: Any
) -> None:
    """In the site's language (LANGUAGE_CODE), whatever language is active."""
    from django.utils import timezone

    from django_pat.notices import DueNotice, send_expiry_notice

    settings.LANGUAGE_CODE = "de"
    token, _ = make_token(name="deploy", expire_at=timezone.now() + timedelta(days=6, hours=1))
    with translation.override("en"):
        assert send_expiry_notice(DueNotice(token, 7))
    (email,) = mailoutbox
    assert email.subject == "Ihr persönliches Zugriffstoken „deploy“ läuft bald ab (noch 6 Tage)"
    assert email.body.startswith("Hallo alice,\n")
    html = email.alternatives[0][0]
    assert '<html lang="de">' in html
    assert "Tokens selbst werden nie per E-Mail verschickt." in html


# -- the catalogue ---------------------------------------------------------------


def _gettext_tools() -> None:
    missing = [tool for tool in ("xgettext", "msgfmt", "msgmerge") if shutil.which(tool) is None]
    if missing:
        reason = f"needs GNU gettext ({', '.join(missing)}): apt-get install gettext"
        if os.environ.get("DJANGO_PAT_REQUIRE_GETTEXT"):
            pytest.fail(f"{reason} (DJANGO_PAT_REQUIRE_GETTEXT is set)", pytrace=False)
        pytest.skip(reason)


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path is not None, name
    return path


def _django_admin(cwd: Path, *args: str) -> str:
    # Run as a program, as a contributor does (docs/translations.md), from the
    # package's directory: makemessages reads the files under it.
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def _statistics(po: Path) -> str:
    done = subprocess.run(  # noqa: S603
        [_tool("msgfmt"), "--check", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.strip()


def documented_commands(name: str) -> list[list[str]]:
    """The ``django-admin <name>`` lines of docs/translations.md's commands."""
    (block,) = [e.code for e in examples(DOCS / "translations.md") if e.kind == "run by"]
    assert "tests/test_i18n.py" in (DOCS / "translations.md").read_text()
    commands = [shlex.split(line.removeprefix("$ ")) for line in block.splitlines()]
    found = [command[1:] for command in commands if command[:2] == ["django-admin", name]]
    assert found, f"docs/translations.md gives no django-admin {name}"
    return found


def languages() -> list[str]:
    return sorted(path.name for path in LOCALE.iterdir() if path.is_dir())


def test_german_is_shipped() -> None:
    assert "de" in languages()
    for domain in DOMAINS:
        assert (LOCALE / "de" / "LC_MESSAGES" / f"{domain}.po").is_file()
        assert (LOCALE / "de" / "LC_MESSAGES" / f"{domain}.mo").is_file()


@pytest.mark.parametrize("language", languages())
def test_every_marked_string_is_in_the_catalogue_and_translated(
    language: str, tmp_path: Path
) -> None:
    """makemessages, run over a copy of the package with its catalogue,
    finds nothing to add (untranslated), nothing changed (fuzzy) and nothing
    gone (obsolete, #~): the catalogue is the code's, whole."""
    _gettext_tools()
    copy = tmp_path / "django_pat"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    # The commands docs/translations.md gives contributors, for this language.
    for command in documented_commands("makemessages"):
        _django_admin(copy, *[language if arg == "de" else arg for arg in command])
    for domain in DOMAINS:
        merged = copy / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
        statistics = _statistics(merged)
        assert re.fullmatch(r"\d+ translated messages?\.", statistics), (
            f"{language}/{domain}.po after makemessages: {statistics}; run the commands "
            "of docs/translations.md and translate what they add"
        )
        obsolete = re.findall(r"^#~ msgid (.*)$", merged.read_text(), re.M)
        assert not obsolete, f"{language}/{domain}.po holds messages no code uses: {obsolete}"
        shipped = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
        assert _statistics(shipped) == statistics


def _compiled(mo: Path) -> dict[Any, str]:
    with mo.open("rb") as file:
        return dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", languages())
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_is_the_catalogue(
    language: str, domain: str, tmp_path: Path
) -> None:
    """The shipped .mo holds exactly what compiling the shipped .po gives."""
    _gettext_tools()
    po = LOCALE / language / "LC_MESSAGES" / f"{domain}.po"
    copy = tmp_path / "django_pat"
    shutil.copytree(LOCALE, copy / "locale", ignore=shutil.ignore_patterns("*.mo"))
    for command in documented_commands("compilemessages"):
        _django_admin(copy, *command)
    fresh = copy / "locale" / language / "LC_MESSAGES" / f"{domain}.mo"
    assert _compiled(po.with_suffix(".mo")) == _compiled(fresh), (
        f"{language}/{domain}.mo is out of date: run compilemessages (docs/translations.md)"
    )
