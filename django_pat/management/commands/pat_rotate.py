"""``manage.py pat_rotate TOKEN_ID``: replace a token with a new one from the shell."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from django_pat.models import DEFAULT
from django_pat.rotation import rotate

from ._shared import describe, get_token, when
from .pat_create import _aware_datetime, _explain, _positive_days


class Command(BaseCommand):
    help = (
        "Rotate a personal access token: make its successor (same name, type, IP "
        "restriction, scopes and description, a new secret and expiry) and revoke it, in one step. "
        "The new secret goes to standard output, once; details go to standard error. "
        "Only an active token can be rotated."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("token_id", metavar="TOKEN_ID", help="The token's id (a UUID).")
        expiry = parser.add_mutually_exclusive_group()
        expiry.add_argument(
            "--expire-at",
            type=_aware_datetime,
            help="The new token's expiry as RFC 3339 with a time zone; default: the type's "
            "default lifetime from now.",
        )
        expiry.add_argument(
            "--expires-in-days", type=_positive_days, metavar="DAYS", help="Expire in DAYS days."
        )
        expiry.add_argument(
            "--no-expiry",
            action="store_true",
            help="Never expire (refused while a maximum lifetime is configured).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        token = get_token(options["token_id"])
        expire_at: datetime | None = DEFAULT
        if options["no_expiry"]:
            expire_at = None
        elif options["expire_at"] is not None:
            expire_at = options["expire_at"]
        elif options["expires_in_days"] is not None:
            expire_at = timezone.now() + timedelta(days=options["expires_in_days"])
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
