"""docs/settings.md documents every key of ``DJANGO_PAT``, no other, each
with its true default."""

from __future__ import annotations

import re
from datetime import timedelta

from django_pat.conf import DEFAULTS
from tests.docs.examples import DOCS

SETTINGS_PAGE = DOCS / "settings.md"
# "## `NAME`", then a table whose first row is the default and the meaning.
SECTION = re.compile(
    r"^## `(?P<name>[A-Z_]+)`\n\n"
    r"\| default \| meaning \|\n\|---\|---\|\n"
    r"\| `(?P<default>[^`]*)` \|",
    re.MULTILINE,
)


def documented() -> dict[str, str]:
    return {m["name"]: m["default"] for m in SECTION.finditer(SETTINGS_PAGE.read_text())}


def test_every_setting_is_documented_and_no_other() -> None:
    names = documented()

    assert sorted(set(DEFAULTS) - set(names)) == [], "settings missing from docs/settings.md"
    assert sorted(set(names) - set(DEFAULTS)) == [], "docs/settings.md documents unknown settings"


def test_every_section_has_the_table() -> None:
    """A "## `NAME`" heading the pattern above did not match (a table
    reshaped, say) would be a setting the other tests cannot see."""
    headings = re.findall(r"^## `([A-Z_]+)`", SETTINGS_PAGE.read_text(), re.MULTILINE)

    assert sorted(headings) == sorted(documented())


def test_documented_defaults_are_the_defaults() -> None:
    wrong = {
        name: default
        for name, default in documented().items()
        if eval(default, {"timedelta": timedelta}) != DEFAULTS.get(name)  # noqa: S307 (our docs)
    }

    assert wrong == {}
