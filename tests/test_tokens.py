"""The token text (django_pat/tokens.py): generate, parse, checksum, digest.

Every expectation here is computed independently of the module under test
(zlib, hashlib and a base62 encoder written below), so a mistake in the
module cannot hide behind the same mistake in the test.
"""

from __future__ import annotations

import hashlib
import math
import string
import zlib
from collections.abc import Callable

import pytest

from django_pat import tokens

PREFIX = "pat"
# The contract's alphabet, spelled out independently of tokens.ALPHABET.
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def base62_crc32(text: str) -> str:
    """CRC32 of ``text`` as six base62 digits, most significant first."""
    value = zlib.crc32(text.encode("ascii"))
    digits = [BASE62[(value // 62**power) % 62] for power in reversed(range(6))]
    return "".join(digits)


def with_checksum(head: str) -> str:
    """``head`` completed with its correct checksum."""
    return head + base62_crc32(head)


def split(token: str) -> tuple[str, str, str]:
    prefix, _, body = token.partition("_")
    return prefix, body[:32], body[32:]


# --- generate ---------------------------------------------------------------


def test_generate_has_prefix_underscore_and_38_base62_characters() -> None:
    token = tokens.generate(PREFIX)

    prefix, random, check = split(token)
    assert token.startswith("pat_")
    assert prefix == PREFIX
    assert len(random) == 32
    assert len(check) == 6
    assert set(random + check) <= set(BASE62)
    assert len(token) == len("pat_") + 38


def test_generate_ends_with_crc32_of_everything_before_it() -> None:
    token = tokens.generate(PREFIX)

    assert token[-6:] == base62_crc32(token[:-6])


@pytest.mark.parametrize("prefix", ["ab", "ghp", "a1", "acme2024", "abcdefghijklmnop"])
def test_generate_uses_any_valid_prefix(prefix: str) -> None:
    token = tokens.generate(prefix)

    assert token.startswith(f"{prefix}_")
    assert len(token) == len(prefix) + 1 + 38
    assert tokens.parse(token, prefix).prefix == prefix


@pytest.mark.parametrize(
    "prefix",
    [
        "",
        "p",  # too short
        "abcdefghijklmnopq",  # 17 characters
        "PAT",  # upper case
        "Pat",
        "1pat",  # starts with a digit
        "pat_",  # the separator itself
        "pa_t",
        "pa-t",
        "pa t",
        " pat",
        "pat\n",
        "pät",  # non-ASCII letter
        "\u0440\u0430t",  # Cyrillic look-alikes of "pa"
    ],
)
def test_generate_rejects_invalid_prefix(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        tokens.generate(prefix)


@pytest.mark.parametrize(
    ("prefix", "valid"),
    [("pat", True), ("ab", True), ("a" * 16, True), ("a", False), ("a" * 17, False), ("Ab", False)],
)
def test_is_valid_prefix(prefix: str, valid: bool) -> None:
    assert tokens.is_valid_prefix(prefix) is valid


def test_generated_tokens_are_distinct() -> None:
    generated = [tokens.generate(PREFIX) for _ in range(2000)]

    assert len(set(generated)) == len(generated)
    assert len({split(token)[1] for token in generated}) == len(generated)


def test_generated_random_parts_use_the_whole_alphabet() -> None:
    # 64,000 draws: the chance that a fair draw misses one of 62 characters
    # is about 62 * (61/62) ** 64000, that is, zero.
    drawn = "".join(split(tokens.generate(PREFIX))[1] for _ in range(2000))

    assert set(drawn) == set(BASE62)


def test_generated_random_part_carries_at_least_160_bits() -> None:
    random = split(tokens.generate(PREFIX))[1]

    assert len(random) * math.log2(len(BASE62)) >= 160


# --- checksum ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["pat_" + "0" * 32, "pat_" + "z" * 32, "pat_" + BASE62[:32], "ghp_" + BASE62[30:]],
)
def test_checksum_is_crc32_in_base62(text: str) -> None:
    assert tokens.checksum(text) == base62_crc32(text)


def test_checksum_is_left_padded_with_zeros() -> None:
    # Find a known input whose CRC32 needs at most four base62 digits.
    head = next(
        candidate
        for candidate in (f"pat_{n:032d}" for n in range(100_000))
        if zlib.crc32(candidate.encode()) < 62**4
    )

    result = tokens.checksum(head)

    assert len(result) == 6
    assert result.startswith("00")
    assert result == base62_crc32(head)


def test_checksum_puts_most_significant_digit_first() -> None:
    # An input whose CRC32 has a non-zero leading digit and differs when reversed.
    head = next(
        candidate
        for candidate in (f"pat_{n:032d}" for n in range(100_000))
        if zlib.crc32(candidate.encode()) >= 62**5
        and base62_crc32(candidate) != base62_crc32(candidate)[::-1]
    )

    assert tokens.checksum(head) == base62_crc32(head)
    assert tokens.checksum(head) != base62_crc32(head)[::-1]


# --- parse ------------------------------------------------------------------


def test_parse_accepts_generated_tokens() -> None:
    for _ in range(200):
        token = tokens.generate(PREFIX)

        parsed = tokens.parse(token, PREFIX)

        assert parsed == (PREFIX, token[4:36], token[36:])


def test_parse_accepts_an_independently_built_token() -> None:
    token = with_checksum("pat_" + "A1b2" * 8)

    assert tokens.parse(token, PREFIX).random == "A1b2" * 8


def _flip(token: str, index: int) -> str:
    """``token`` with the character at ``index`` replaced by another base62 one."""
    old = token[index]
    new = BASE62[(BASE62.index(old) + 1) % 62]
    return token[:index] + new + token[index + 1 :]


def _bad_values() -> list[tuple[str, Callable[[str], str]]]:
    """(id, builder) pairs: each builder turns a valid token into an invalid one."""
    return [
        ("empty", lambda t: ""),
        ("prefix only", lambda t: "pat_"),
        ("no separator", lambda t: t.replace("_", "", 1)),
        ("other prefix, own checksum", lambda t: with_checksum("ghp_" + t[4:36])),
        ("upper-case prefix", lambda t: "PAT_" + t[4:]),
        ("prefix glued to a longer one", lambda t: with_checksum("patx_" + t[4:36])),
        ("one random character short", lambda t: with_checksum(t[:35])),
        ("one random character extra", lambda t: with_checksum(t[:36] + "a")),
        ("checksum one short", lambda t: t[:-1]),
        ("checksum one extra", lambda t: t + "0"),
        ("double separator", lambda t: "pat__" + t[4:]),
        ("hyphen in random", lambda t: with_checksum(t[:10] + "-" + t[11:36])),
        ("underscore in random", lambda t: with_checksum(t[:10] + "_" + t[11:36])),
        ("slash in random", lambda t: with_checksum(t[:10] + "/" + t[11:36])),
        ("plus in random", lambda t: with_checksum(t[:10] + "+" + t[11:36])),
        ("space in random", lambda t: with_checksum(t[:10] + " " + t[11:36])),
        ("flipped random character", lambda t: _flip(t, 10)),
        ("flipped first random character", lambda t: _flip(t, 4)),
        ("flipped checksum character", lambda t: _flip(t, len(t) - 1)),
        ("checksum of another token", lambda t: t[:36] + base62_crc32(_flip(t, 35)[:36])),
        ("leading space", lambda t: " " + t),
        ("trailing space", lambda t: t + " "),
        ("trailing newline", lambda t: t + "\n"),
        ("NUL inside", lambda t: t[:20] + "\x00" + t[21:]),
        ("Cyrillic a in prefix", lambda t: "p\u0430t_" + t[4:]),
        ("fullwidth digit", lambda t: t[:10] + "\uff10" + t[11:]),
        ("Arabic-Indic digit", lambda t: t[:10] + "\u0663" + t[11:]),
        ("Cyrillic A in random", lambda t: t[:10] + "\u0410" + t[11:]),
        ("Greek omicron in random", lambda t: t[:10] + "\u03bf" + t[11:]),
        ("superscript two", lambda t: t[:10] + "\u00b2" + t[11:]),
        ("lone surrogate", lambda t: t[:10] + "\ud800" + t[11:]),
        ("emoji", lambda t: t[:10] + "\U0001f511" + t[11:]),
        ("Bearer included", lambda t: "Bearer " + t),
        ("twice", lambda t: t + t),
    ]


BAD_VALUES = _bad_values()


@pytest.mark.parametrize("build", [b for _, b in BAD_VALUES], ids=[i for i, _ in BAD_VALUES])
def test_parse_rejects_with_token_format_error_only(build: Callable[[str], str]) -> None:
    valid = tokens.generate(PREFIX)
    bad = build(valid)
    assert bad != valid

    with pytest.raises(tokens.TokenFormatError):
        tokens.parse(bad, PREFIX)


def test_parse_rejects_a_valid_token_of_another_prefix() -> None:
    other = tokens.generate("ghp")

    with pytest.raises(tokens.TokenFormatError):
        tokens.parse(other, PREFIX)


def test_parse_rejects_every_single_character_change() -> None:
    token = tokens.generate(PREFIX)

    for index in range(len("pat_"), len(token)):
        with pytest.raises(tokens.TokenFormatError):
            tokens.parse(_flip(token, index), PREFIX)


def test_token_format_error_is_a_value_error() -> None:
    assert issubclass(tokens.TokenFormatError, ValueError)


def test_parse_error_does_not_echo_the_value() -> None:
    bad = _flip(tokens.generate(PREFIX), 20)

    with pytest.raises(tokens.TokenFormatError) as raised:
        tokens.parse(bad, PREFIX)

    assert bad[4:36] not in str(raised.value)
    assert bad[4:36] not in repr(raised.value)


# --- digest and display prefix ----------------------------------------------


def test_digest_is_sha256_hex_of_the_token() -> None:
    token = tokens.generate(PREFIX)

    result = tokens.digest(token)

    assert result == hashlib.sha256(token.encode()).hexdigest()
    assert len(result) == 64
    assert set(result) <= set("0123456789abcdef")
    assert token[4:] not in result


def test_digests_of_different_tokens_differ() -> None:
    first, second = tokens.generate(PREFIX), tokens.generate(PREFIX)

    assert tokens.digest(first) != tokens.digest(second)


def test_display_prefix_is_the_prefix_and_four_random_characters() -> None:
    token = tokens.generate(PREFIX)

    shown = tokens.display_prefix(token)

    assert shown == token[: len("pat_") + 4]
    assert token.startswith(shown)


def test_display_prefix_follows_the_token_prefix() -> None:
    token = tokens.generate("acme")

    assert tokens.display_prefix(token) == token[: len("acme_") + 4]


def test_display_prefix_leaves_at_least_160_secret_bits() -> None:
    token = tokens.generate(PREFIX)
    hidden = len(split(token)[1]) - (len(tokens.display_prefix(token)) - len("pat_"))

    assert hidden * math.log2(62) >= 160
