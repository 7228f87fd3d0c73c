"""``manage.py pat_list [USERNAME]``: the tokens, newest first, never a secret.

Printed as they are read, a few thousand rows at a time, so that listing a
million tokens takes no more memory than listing ten: the table's column
widths come from one aggregate query before the rows (or use ``--format
csv`` or ``jsonl``, which need none).
"""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError
from django.db.models import Count, Max, QuerySet
from django.db.models.functions import Length

from django_pat.conf import pat_settings
from django_pat.formats import rfc3339
from django_pat.models import PersonalAccessToken

from ._shared import describe_scopes, get_user, when

# Heading -> the key of that column in --format csv and jsonl.
COLUMNS = {
    "ID": "id",
    "USER": "user",
    "NAME": "name",
    "TYPE": "type",
    "PREFIX": "prefix",
    "STATUS": "status",
    "CREATED": "created",
    "EXPIRES": "expires",
    "LAST USED": "last_used",
    "IP RESTRICTION": "ip_restriction",
    "SCOPES": "scopes",
}
# Rows read from the database at a time.
CHUNK_SIZE = 2000
# Widths of the columns whose longest value is known without reading them.
_FIXED_WIDTHS = {
    "ID": 36,
    "STATUS": len("user inactive"),
    "CREATED": len("2000-01-01 00:00:00Z"),
    "EXPIRES": len("2000-01-01 00:00:00Z"),
    "LAST USED": len("2000-01-01 00:00:00Z"),
}


class Command(BaseCommand):
    help = (
        "List personal access tokens, of one user or of all, newest first: id, owner, name, "
        "type, display prefix, status, times, IP restriction and scopes, as a table, CSV or "
        "JSON lines. Rows are "
        "printed as they are read, in constant memory. Secrets are never stored, so never shown."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", nargs="?", help="Only this user's tokens.")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", action="store_true", help="Only tokens that work.")
        state.add_argument(
            "--inactive",
            action="store_true",
            help="Only tokens that do not work: revoked, expired, dormant or of an inactive user.",
        )
        parser.add_argument("--type", help="Only tokens of this type.")
        parser.add_argument(
            "--format",
            choices=("table", "csv", "jsonl"),
            default="table",
            help="A table for people (the default); CSV with a header row, or one JSON "
            "object a line, for programs. Times are UTC; in CSV and JSON, empty or null "
            "where there is none. Scopes: a list or null in JSON; in CSV as in the table.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tokens = PersonalAccessToken.objects.all()
        if options["username"] is not None:
            tokens = tokens.for_user(get_user(options["username"]))
        if options["active"]:
            tokens = tokens.active()
        elif options["inactive"]:
            tokens = tokens.inactive()
        token_type = options["type"]
        if token_type is not None:
            if token_type not in pat_settings.types:
                raise CommandError(
                    f"{token_type!r} is not a token type; choose one of "
                    f"{', '.join(pat_settings.types)}."
                )
            tokens = tokens.filter(type=token_type)

        if options["format"] == "table":
            self._table(tokens)
        else:
            self._records(tokens, options["format"])

    def _table(self, tokens: QuerySet[PersonalAccessToken]) -> None:
        username = "user__" + get_user_model().USERNAME_FIELD
        longest = tokens.order_by().aggregate(
            count=Count("pk"),
            USER=Max(Length(username)),
            NAME=Max(Length("name")),
            TYPE=Max(Length("type")),
            PREFIX=Max(Length("display_prefix")),
            IP_RESTRICTION=Max(Length("ip_restriction")),
        )
        longest["IP RESTRICTION"] = max(longest.pop("IP_RESTRICTION") or 0, len("any"))
        if not longest.pop("count"):
            self.stderr.write("No tokens.")
            return
        widths = [
            max(len(heading), _FIXED_WIDTHS.get(heading) or longest.get(heading) or 0)
            for heading in COLUMNS
        ]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(
                cell.ljust(width) for cell, width in zip(cells, widths, strict=True)
            ).rstrip()

        self.stdout.write(line(tuple(COLUMNS)))
        for token in _read(tokens):
            self.stdout.write(
                line(
                    (
                        str(token.pk),
                        token.user.get_username(),
                        token.name,
                        token.type,
                        token.display_prefix,
                        token.status.replace("_", " "),
                        when(token.created_at),
                        when(token.expire_at, "never"),
                        when(token.last_used_at, "never"),
                        token.ip_restriction or "any",
                        describe_scopes(token.scopes),
                    )
                )
            )

    def _records(self, tokens: QuerySet[PersonalAccessToken], format: str) -> None:
        keys = list(COLUMNS.values())
        writer = csv.writer(self.stdout, lineterminator="\n")
        if format == "csv":
            writer.writerow(keys)
        for token in _read(tokens):
            values = (
                str(token.pk),
                token.user.get_username(),
                token.name,
                token.type,
                token.display_prefix,
                token.status,
                _iso(token.created_at),
                _iso(token.expire_at),
                _iso(token.last_used_at),
                token.ip_restriction or None,
                token.scopes,
            )
            if format == "csv":
                # Scopes as in the table: names with commas, "any" (not
                # restricted by scope) or "none" (no scope at all).
                cells = (*values[:-1], describe_scopes(token.scopes))
                writer.writerow(["" if value is None else value for value in cells])
            else:
                record = dict(zip(keys, values, strict=True))
                self.stdout.write(json.dumps(record, ensure_ascii=False))


def _read(tokens: QuerySet[PersonalAccessToken]) -> Iterator[PersonalAccessToken]:
    """The tokens, newest first, a chunk at a time, with what the columns need."""
    user_model = get_user_model()
    user_fields = ["user__" + user_model.USERNAME_FIELD]
    if any(field.name == "is_active" for field in user_model._meta.concrete_fields):
        user_fields.append("user__is_active")  # the status reads it
    return (
        tokens.select_related("user")
        .only(
            "id",
            "name",
            "type",
            "display_prefix",
            "ip_restriction",
            "created_at",
            "expire_at",
            "last_used_at",
            "revoked_at",
            "scopes",
            *user_fields,
        )
        .order_by("-created_at", "-id")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def _iso(value: datetime | None) -> str | None:
    """A time as the API writes it (RFC 3339, UTC), for programs."""
    return rfc3339(value) if value is not None else None
