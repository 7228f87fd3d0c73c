"""DRF's JSON parser, with what it lacks where input decides who may do what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.utils.translation import gettext
from rest_framework import exceptions, parsers
from rest_framework.utils import json

from .exceptions import MAX_BODY_BYTES, RequestTooLarge

__all__ = ["MAX_BODY_BYTES", "JSONParser", "LargeJSONParser", "RequestTooLarge", "parse_json"]


def _checked_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        # JSON may spell lone surrogates (\ud800) that no encoding carries; a
        # key is echoed in error messages, so it must be text. (Values are
        # checked by the fields that read them.)
        key.encode("utf-8")
        # With duplicates the last value would silently win: a body could
        # name one restriction and quietly replace it with none.
        if key in result:
            raise ValueError(gettext("the key %(key)s appears more than once") % {"key": repr(key)})
        result[key] = value
    return result


class _StrictJSON:
    """The parse of both parsers: :func:`parse_json` up to ``max_bytes``."""

    # A subclass may take more (POST credentials/revoke's thousand values).
    max_bytes = MAX_BODY_BYTES

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return parse_json(stream, self.max_bytes)


class JSONParser(_StrictJSON, parsers.JSONParser):
    """DRF's ``JSONParser``, plus: a body over ``max_bytes`` (:data:`MAX_BODY_BYTES`) is a
    413, a key that appears twice and a document nested too deeply are 400s.
    UTF-8 only (RFC 8259), and NaN and Infinity are refused whatever the
    project's ``STRICT_JSON``.

    DRF reads a JSON request's whole body before parsing it, within Django's
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB unless the project changes it);
    a body over that is a 413 too (:func:`django_pat.exceptions.exception_handler`).
    """

    strict = True
    max_bytes = MAX_BODY_BYTES


class LargeJSONParser(_StrictJSON, parsers.BaseParser):
    """:class:`JSONParser`'s rules for a body that may be larger than
    Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``, up to its own ``max_bytes``.

    Not a ``JSONParser`` subclass on purpose: DRF reads the body of those
    through ``request.body``, within Django's limit; this one reads the
    stream itself, never more than ``max_bytes`` + 1.
    """

    media_type = "application/json"


def parse_json(stream: IO[Any], max_bytes: int) -> Any:
    """Strict JSON from ``stream``; a 413 past ``max_bytes``, a 400 for the rest."""
    body = stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise RequestTooLarge(
            gettext("Request body is larger than {size} bytes.").format(size=max_bytes)
        )
    try:
        # DRF's json.loads refuses NaN and Infinity.
        return json.loads(body.decode("utf-8"), object_pairs_hook=_checked_object)
    # A deeply nested document exhausts the parser's recursion limit.
    except (ValueError, RecursionError) as error:
        raise exceptions.ParseError(
            gettext("Malformed JSON: %(reason)s") % {"reason": _describe(error)}
        ) from None


def _describe(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return gettext("nested too deeply.")
    if isinstance(error, UnicodeDecodeError):
        return gettext("the body is not UTF-8.")
    if isinstance(error, UnicodeEncodeError):
        return gettext("a key contains an unpaired surrogate escape (\\ud800-\\udfff).")
    return f"{error}."
