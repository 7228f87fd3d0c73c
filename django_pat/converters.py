"""The path converter of token ids: ``<pat_token_id:token_id>``.

Django's ``uuid`` converter (the hyphenated form the API hands out, given to
the view as a ``uuid.UUID``), taking upper-case hex digits as well: a UUID
is the same whatever the case of its digits. Anything else, hex without
hyphens, braces or ``urn:uuid:`` included, does not match the route, and the
JSON 404 of ``django_pat.urls`` answers it.

Registered on import: this module is imported by ``django_pat.urls`` and
when the app is ready, so a project's own routes can use the converter
(README, "Extending").
"""

from __future__ import annotations

from django.urls import register_converter
from django.urls.converters import UUIDConverter, get_converters

__all__ = ["NAME", "TokenIdConverter"]

NAME = "pat_token_id"


class TokenIdConverter(UUIDConverter):
    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


if NAME not in get_converters():
    register_converter(TokenIdConverter, NAME)
