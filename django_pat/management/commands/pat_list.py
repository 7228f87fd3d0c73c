"""``manage.py pat_list [USERNAME]``: a table of tokens, never a secret."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import BaseCommand, CommandError

from django_pat.conf import pat_settings
from django_pat.models import PersonalAccessToken

from ._shared import describe_scopes, get_user, when

COLUMNS = (
    "ID",
    "USER",
    "NAME",
    "TYPE",
    "PREFIX",
    "STATUS",
    "CREATED",
    "EXPIRES",
    "LAST USED",
    "IP RESTRICTION",
    "SCOPES",
)


class Command(BaseCommand):
    help = (
        "List personal access tokens, of one user or of all, newest first: id, owner, name, "
        "type, display prefix, status, times, IP restriction and scopes. Secrets are never "
        "stored, so never shown."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", nargs="?", help="Only this user's tokens.")
        state = parser.add_mutually_exclusive_group()
        state.add_argument("--active", action="store_true", help="Only tokens that work.")
        state.add_argument(
            "--inactive", action="store_true", help="Only revoked or expired tokens."
        )
        parser.add_argument("--type", help="Only tokens of this type.")

    def handle(self, *args: Any, **options: Any) -> None:
        tokens = PersonalAccessToken.objects.select_related("user")
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

        rows = [
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
            for token in tokens
        ]
        if not rows:
            self.stderr.write("No tokens.")
            return
        widths = [max(len(row[i]) for row in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
        for row in [COLUMNS, *rows]:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
