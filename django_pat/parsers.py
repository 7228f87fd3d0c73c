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
            return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        # A deeply nested document exhausts the parser's recursion limit.
        except (ValueError, RecursionError) as error:
            raise exceptions.ParseError(f"Malformed JSON: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply."
    if isinstance(error, UnicodeDecodeError):
        return "the body is not UTF-8."
    return f"{error}."
