"""``manage.py pat_rotate TOKEN_ID``: replace a token with a new one from the shell."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError

from django_pat.rotation import rotate

from ._shared import describe, get_token, when
from .pat_create import _explain, add_expiry_arguments, requested_expiry


class Command(BaseCommand):
    help = (
        "Rotate a personal access token: make its successor (same name, type, IP "
        "restriction, scopes and description, a new secret and expiry) and revoke it, in one step. "
        "The new secret goes to standard output, once; details go to standard error. "
        "Only an active token can be rotated."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("token_id", metavar="TOKEN_ID", help="The token's id (a UUID).")
        add_expiry_arguments(
            parser,
            "The new token's expiry as RFC 3339 with a time zone; default: the type's "
            "default lifetime from now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = get_token(options["token_id"])
        expire_at = requested_expiry(options)
        try:
            successor, secret = rotate(token, expire_at=expire_at)
        except ValidationError as error:
            raise CommandError(f"Cannot rotate {describe(token)}: {_explain(error)}") from None
        self.stderr.write(
            f"Rotated {describe(token)}: revoked, and replaced by {describe(successor)}, "
            f"expires {when(successor.expire_at, 'never')}. The new secret, on standard "
            "output, is shown this once; only its digest is stored."
        )
        self.stdout.write(secret)
