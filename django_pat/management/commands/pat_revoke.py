"""``manage.py pat_revoke TOKEN_ID…`` or ``--user USERNAME``: revoke from the shell."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management import BaseCommand, CommandError

from django_pat.models import PersonalAccessToken

from ._shared import describe, get_token, get_user


class Command(BaseCommand):
    help = (
        "Revoke personal access tokens: the ones named by id, or every active token of a "
        "user. Each goes through revoke(), so the token_revoked signal fires; revoking an "
        "already revoked token changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("token_ids", nargs="*", metavar="TOKEN_ID", help="Token ids (UUIDs).")
        parser.add_argument("--user", metavar="USERNAME", help="Revoke all of this user's tokens.")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["token_ids"]) == bool(options["user"]):
            raise CommandError("Name the tokens to revoke by id, or a user with --user; not both.")
        if options["user"]:
            user = get_user(options["user"])
            tokens = list(
                PersonalAccessToken.objects.select_related("user")
                .for_user(user)
                .filter(revoked_at__isnull=True)
            )
            if not tokens:
                self.stdout.write(f"{user.get_username()} has no tokens to revoke.")
        else:
            # Every id is checked before anything is revoked: a typo revokes nothing.
            tokens = [get_token(value) for value in options["token_ids"]]
        for token in tokens:
            if token.revoke("command"):
                self.stdout.write(f"Revoked {describe(token)}.")
            else:
                self.stdout.write(f"Already revoked: {describe(token)}.")
