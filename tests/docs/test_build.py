"""The docs site builds as ``nox -s docs`` builds it (strict: any warning
fails), every page is in it, and it loads nothing from another host."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.docs.examples import DOCS, ROOT

# As noxfile.py's SPHINX_ARGUMENTS.
SPHINX_ARGUMENTS = ["-W", "--keep-going", "-n", "-b", "html", "docs"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs_html")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "sphinx", *SPHINX_ARGUMENTS, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_noxfile_builds_with_these_arguments() -> None:
    assert (
        f"SPHINX_ARGUMENTS = {SPHINX_ARGUMENTS!r}".replace("'", '"')
        in (ROOT / "noxfile.py").read_text()
    )


def test_every_page_is_built(site: Path) -> None:
    pages = sorted(page.stem for page in DOCS.glob("*.md"))

    assert sorted(page.stem for page in site.glob("*.html") if page.stem in pages) == pages


class Resources(HTMLParser):
    """Every address a page makes the browser fetch: scripts, styles, fonts,
    images, frames (links a reader may follow are not fetched)."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        rel = set((found.get("rel") or "").split())
        if tag == "link" and rel & {"stylesheet", "preload", "modulepreload", "icon"}:
            self.fetched.append(found.get("href") or "")
        elif tag in {"script", "img", "iframe", "source", "audio", "video"}:
            self.fetched.append(found.get("src") or "")


def test_the_site_loads_nothing_from_another_host(site: Path) -> None:
    remote = []
    for page in site.rglob("*.html"):
        parser = Resources()
        parser.feed(page.read_text())
        remote += [
            f"{page.name}: {url}" for url in parser.fetched if re.match(r"(https?:)?//", url)
        ]
    for sheet in site.rglob("*.css"):
        imports = re.findall(
            r"(?:@import|url\()\s*['\"]?((?:https?:)?//[^'\")\s]+)", sheet.read_text()
        )
        remote += [f"{sheet.name}: {url}" for url in imports]

    assert remote == []


def test_readmes_install_steps_are_in_the_getting_started_page(site: Path) -> None:
    page = (site / "getting-started.html").read_text()

    assert "pat_create" in page
    assert "createsuperuser" in page
