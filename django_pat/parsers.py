"""A JSON parser that refuses, with a 4xx, whatever the standard one would crash on."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

__all__ = ["JSONParser", "RequestTooLarge"]

# A provisioning request is well under 5 KB; 64 KB leaves room and no more.
MAX_BODY_BYTES = 64 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"Request body is larger than {MAX_BODY_BYTES} bytes."
    default_code = "request_too_large"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


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
            raise ValueError(f"the key {key!r} appears more than once")
        result[key] = value
    return result


class JSONParser(BaseParser):
    """Strict JSON: UTF-8, no NaN or Infinity, bounded size and depth."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        body = stream.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise RequestTooLarge()
        try:
            data = json.loads(
                body.decode("utf-8"),
                parse_constant=_reject_constant,
                object_pairs_hook=_checked_object,
            )
        # A deeply nested document exhausts the parser's recursion limit.
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"Malformed JSON: {_describe(error)}") from None
        return data


def _describe(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply."
    if isinstance(error, UnicodeDecodeError):
        return "the body is not UTF-8."
    if isinstance(error, UnicodeEncodeError):
        return "a key contains an unpaired surrogate escape (\\ud800-\\udfff)."
    return f"{error}."
