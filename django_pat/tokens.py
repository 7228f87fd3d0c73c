"""The token text: generate, parse, checksum and digest.

Plain Python, no Django: the rules of the format live here alone.

A token reads ``<prefix>_<random><checksum>``:

* ``prefix``: 2 to 16 lower-case letters and digits, starting with a letter;
* ``random``: 32 base62 characters drawn from :mod:`secrets` (about 190 bits);
* ``checksum``: CRC32 of everything before it, as 6 base62 characters.

The checksum is not a secret and proves nothing about authenticity; it lets a
secret scanner, and the server before any database query, tell a real token
from a mistyped or made-up one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import zlib
from typing import NamedTuple

__all__ = [
    "ALPHABET",
    "CHECKSUM_LENGTH",
    "DISPLAY_LENGTH",
    "RANDOM_LENGTH",
    "ParsedToken",
    "TokenFormatError",
    "checksum",
    "digest",
    "display_prefix",
    "generate",
    "is_valid_prefix",
    "parse",
]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
# How many random characters the display prefix shows. Four of them leak 24 of
# the 190 random bits, leaving 166: still above the 160 the format promises.
DISPLAY_LENGTH = 4

_PREFIX_RE = re.compile(r"[a-z][a-z0-9]{1,15}")
_BODY_RE = re.compile(rf"[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")


class TokenFormatError(ValueError):
    """The text is not a well-formed token of the expected prefix."""


class ParsedToken(NamedTuple):
    prefix: str
    random: str
    checksum: str


def is_valid_prefix(prefix: str) -> bool:
    return _PREFIX_RE.fullmatch(prefix) is not None


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(text: str) -> str:
    """CRC32 of ``text`` in base62, most significant digit first, six characters."""
    return _base62(zlib.crc32(text.encode("ascii")), CHECKSUM_LENGTH)


def generate(prefix: str) -> str:
    """A new token with the given prefix."""
    if not is_valid_prefix(prefix):
        raise ValueError(f"{prefix!r} is not a valid token prefix")
    head = f"{prefix}_" + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return head + checksum(head)


def parse(text: str, prefix: str) -> ParsedToken:
    """Split ``text`` into its parts, checking shape and checksum.

    Raises :class:`TokenFormatError`, and nothing else, for any text that is
    not a token with this ``prefix``.
    """
    head, underscore, body = text.partition("_")
    if head != prefix or not underscore or _BODY_RE.fullmatch(body) is None:
        raise TokenFormatError("not a well-formed token")
    random, check = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    # Both sides are ASCII of fixed length; a timing difference here reveals
    # only the checksum, which anyone holding the token can compute anyway.
    if checksum(f"{prefix}_{random}") != check:
        raise TokenFormatError("checksum mismatch")
    return ParsedToken(prefix, random, check)


def digest(text: str) -> str:
    """The SHA-256 hex digest stored in place of the token."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def display_prefix(text: str) -> str:
    """The non-secret start of a token that lets a person recognise it."""
    head, _, body = text.partition("_")
    return f"{head}_{body[:DISPLAY_LENGTH]}"
