"""The code blocks of README.md and docs/*.md, what each one is, and how a
console example's documented output is compared with what a command printed.

Every fenced code block is an example, classified by an HTML comment on the
line before it (invisible on GitHub, on PyPI and in the built site) or, for
two languages, by default:

* ``python`` (default ``project``): run in order, in one namespace per page,
  in the test suite's configured project (its settings, its database);
* ``console`` (default ``site``): each ``$`` command run with bash against the
  example site, started for the page on a database of its own, with
  ``$TOKEN`` set to its demo user's token; the output shown is compared
  with what the command printed (JSON structurally; see :func:`compare`);
* ``<!-- example: settings -->``: a settings snippet, added to a project made
  by ``django-admin startproject`` and README's install steps, whose
  ``manage.py check`` must then pass without a warning;
* ``<!-- example: run by tests/some_test.py -->``: run by that test module,
  which reads it from this page (the test checks that it names the page);
* ``<!-- example: skip: <reason> -->``: not run, for the reason given, which
  a reader must accept (an install from PyPI, a command that serves forever).

A block with no marker in any other language fails ``test_every_block_is_classified``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
DEFAULT_KIND = {"python": "project", "console": "site"}
MARKER = re.compile(r"\A<!--\s*example:\s*(?P<kind>.*?)\s*-->\s*\Z", re.S)
# Where the docs say the example site is, and where a test's site really is.
DOCUMENTED_BASE = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Example:
    page: Path
    line: int  # 1-based, of the opening fence
    language: str
    code: str
    kind: str  # project, site, settings, skip, run by, or "" when unclassified
    detail: str  # the reason for skip, the test module for "run by"

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def examples(page: Path) -> list[Example]:
    """The page's fenced code blocks, in order (MyST directives excluded)."""
    tokens = MarkdownIt("commonmark").parse(page.read_text())
    found = []
    previous = None
    for token in tokens:
        if token.type == "fence" and not token.info.startswith("{"):
            language = token.info.split()[0] if token.info.strip() else ""
            kind, detail = DEFAULT_KIND.get(language, ""), ""
            marker = MARKER.match(previous.content) if previous is not None else None
            if marker:
                kind, _, detail = marker.group("kind").partition(":")
                if kind.startswith("run by "):
                    kind, detail = "run by", kind.removeprefix("run by ").split(",")[0]
                kind, detail = kind.strip(), detail.strip()
            assert token.map is not None
            found.append(Example(page, token.map[0] + 1, language, token.content, kind, detail))
        if token.type in {"fence", "html_block", "inline"}:
            previous = token if token.type == "html_block" else None
    return found


def all_examples(kind: str | None = None) -> list[Example]:
    return [e for page in PAGES for e in examples(page) if kind is None or e.kind == kind]


def pages_with(kind: str) -> list[Path]:
    return [page for page in PAGES if any(e.kind == kind for e in examples(page))]


# --- console examples -------------------------------------------------------


@dataclass(frozen=True)
class Step:
    command: str
    expected: str


def steps(code: str) -> list[Step]:
    """A console block's ``$`` commands (with their ``\\`` continuation lines)
    and the output shown after each."""
    found: list[Step] = []
    command: list[str] = []
    output: list[str] = []
    continued = False
    for line in code.splitlines():
        if continued:
            command.append(line)
            continued = line.endswith("\\")
        elif line.startswith("$ "):
            if command:
                found.append(Step("\n".join(command), "\n".join(output)))
            command, output = [line[2:]], []
            continued = line.endswith("\\")
        else:
            assert command, f"output before any command: {line!r}"
            output.append(line)
    if command:
        found.append(Step("\n".join(command), "\n".join(output)))
    return found


# JSON keys whose documented values are examples of a shape (an id, a time, a
# secret): the value printed must have the same shape, not the same text.
SHAPED_KEYS = {
    "id",
    "createdAt",
    "expireAt",
    "lastUsedAt",
    "token",
    "displayPrefix",
    "revokedAt",
    "previousId",
}
# Values that stand for ones the reader's run makes: the documented literal is
# bound to the one printed, and later commands on the page use that.
BINDABLE = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _shape(text: str) -> str:
    return re.sub(r"[0-9A-Za-z]", "x", text)


def _wildcard(expected: str) -> re.Pattern[str]:
    """``…`` in documented text stands for anything."""
    return re.compile(".+?".join(re.escape(part) for part in expected.split("…")), re.S)


class Mismatch(AssertionError):
    pass


def _compare_json(expected: object, actual: object, bindings: dict[str, str], at: str) -> None:
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or set(expected) != set(actual):
            raise Mismatch(f"{at}: keys {sorted(expected)} documented, got {actual!r}")
        for key, value in expected.items():
            if key in SHAPED_KEYS and isinstance(value, str):
                got = actual[key]
                if not isinstance(got, str) or not _wildcard(_shape(value)).fullmatch(_shape(got)):
                    raise Mismatch(f"{at}.{key}: documented like {value!r}, got {got!r}")
                if BINDABLE.match(value) and bindings.setdefault(value, got) != got:
                    raise Mismatch(f"{at}.{key}: {value!r} stands for {bindings[value]!r}")
            else:
                _compare_json(value, actual[key], bindings, f"{at}.{key}")
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            raise Mismatch(f"{at}: {len(expected)} items documented, got {actual!r}")
        for index, (value, got) in enumerate(zip(expected, actual, strict=True)):
            _compare_json(value, got, bindings, f"{at}[{index}]")
    elif isinstance(expected, str) and isinstance(actual, str):
        if not _wildcard(bind(expected, bindings)).fullmatch(actual):
            raise Mismatch(f"{at}: documented {expected!r}, got {actual!r}")
    elif expected != actual or type(expected) is not type(actual):
        raise Mismatch(f"{at}: documented {expected!r}, got {actual!r}")


def bind(text: str, bindings: dict[str, str]) -> str:
    for documented, actual in bindings.items():
        text = text.replace(documented, actual)
    return text


def _compare_body(expected: str, actual: str, bindings: dict[str, str]) -> None:
    try:
        documented = json.loads(expected)
    except ValueError:
        if not _wildcard(bind(expected.strip(), bindings)).fullmatch(actual.strip()):
            raise Mismatch(f"documented:\n{expected}\nprinted:\n{actual}") from None
        return
    try:
        printed = json.loads(actual)
    except ValueError:
        raise Mismatch(f"documented JSON, printed:\n{actual}") from None
    _compare_json(documented, printed, bindings, "body")


def compare(expected: str, actual: str, bindings: dict[str, str]) -> None:
    """Raise :class:`Mismatch` unless ``actual`` is what ``expected`` shows.

    Nothing shown: anything goes. ``HTTP/…`` (``curl -i``): the status line
    exactly, each header shown present with its value, and the body. JSON:
    the same keys and values everywhere, except that ids, times, secrets and
    display prefixes need only the shape shown, and an id shown stands for
    the one printed from then on. Text: equal, ``…`` matching anything.
    """
    if not expected.strip():
        return
    if expected.startswith("HTTP/"):
        head, _, body = expected.partition("\n\n")
        actual = actual.replace("\r\n", "\n")
        actual_head, _, actual_body = actual.partition("\n\n")
        status, *headers = head.splitlines()
        actual_status, *actual_headers = actual_head.splitlines()
        if status.strip() != actual_status.strip():
            raise Mismatch(f"status: documented {status!r}, got {actual_status!r}")
        received = {}
        for line in actual_headers:
            name, _, value = line.partition(":")
            received[name.strip().lower()] = value.strip()
        for line in headers:
            name, _, value = line.partition(":")
            got = received.get(name.strip().lower())
            if got is None or not _wildcard(bind(value.strip(), bindings)).fullmatch(got):
                raise Mismatch(f"header {name}: documented {value.strip()!r}, got {got!r}")
        _compare_body(body, actual_body, bindings)
        return
    _compare_body(expected, actual, bindings)
