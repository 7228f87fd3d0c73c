"""docs/leaks.md: the regular expression and checksum rule it gives secret
scanners find every token this app makes and nothing that only looks like
one; the bodies it shows are the ones the endpoints take and give."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from django_pat import tokens
from tests.docs.examples import DOCS, Example, examples

PAGE = DOCS / "leaks.md"


def blocks(language: str) -> list[Example]:
    return [e for e in examples(PAGE) if e.language == language and e.kind == "run by"]


@pytest.fixture(scope="module")
def pattern() -> re.Pattern[str]:
    [block] = blocks("text")
    return re.compile(block.code.strip())


@pytest.fixture(scope="module")
def is_token() -> Callable[[str], bool]:
    [block] = blocks("python")
    namespace: dict[str, Any] = {}
    exec(compile(block.code, block.where, "exec"), namespace)  # noqa: S102 (our docs)
    return namespace["is_token"]  # type: ignore[no-any-return]


GENERATED = [tokens.generate("pat") for _ in range(500)]


def test_the_pattern_finds_every_token_in_text(pattern: re.Pattern[str]) -> None:
    for secret in GENERATED:
        for text in (secret, f"TOKEN={secret}\n", f'"{secret}"', f"x {secret}.", f"({secret})"):
            assert pattern.findall(text) == [secret], text


@pytest.mark.parametrize(
    "text",
    [
        "pat_" + "a" * 37,  # one short
        "pat_" + "a" * 39,  # one long
        "pat-" + "a" * 38,
        "PAT_" + "a" * 38,
        "xpat_" + "a" * 38,
        "pat_" + "a" * 37 + "-",  # a character outside base 62...
        "pat_" + "a" * 20 + "+" + "a" * 17,
        "ghp_" + "a" * 36,
    ],
)
def test_the_pattern_misses_near_misses(pattern: re.Pattern[str], text: str) -> None:
    assert pattern.findall(text) == []


def test_the_checksum_rule_accepts_every_token(is_token: Callable[[str], bool]) -> None:
    assert all(is_token(secret) for secret in GENERATED)
    assert is_token(tokens.generate("acme"), prefix="acme")  # type: ignore[call-arg]


def test_the_checksum_rule_refuses_what_the_server_refuses(
    is_token: Callable[[str], bool], pattern: re.Pattern[str]
) -> None:
    for secret in GENERATED[:100]:
        for index in range(4, len(secret)):
            changed = "B" if secret[index] == "A" else "A"
            near = secret[:index] + changed + secret[index + 1 :]
            assert pattern.fullmatch(near)  # still looks like one...
            assert not is_token(near), near  # ...but is not
            with pytest.raises(tokens.TokenFormatError):
                tokens.parse(near, "pat")


def test_the_bodies_shown_are_the_endpoints_shapes() -> None:
    report, feedback = (json.loads(block.code) for block in blocks("json"))

    assert list(report) == ["credentials"]
    assert all(value.startswith("pat_") for value in report["credentials"])
    [entry] = feedback
    assert set(entry) == {"token_hash", "token_type", "label"}
