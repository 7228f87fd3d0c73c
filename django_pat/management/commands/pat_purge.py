"""``manage.py pat_purge --days N``: delete long-dead tokens for good."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.core.management import BaseCommand
from django.db.models import Q
from django.utils import timezone

from django_pat.models import PersonalAccessToken


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise ArgumentTypeError(f"{value!r} is not a whole number of days, 0 or more.")
    return days


class Command(BaseCommand):
    help = (
        "Delete the rows of tokens revoked, or expired, more than --days days ago. Revoked "
        "tokens are otherwise kept for audit; this removes them from the list, the admin "
        "and the database for good. Active tokens are never touched."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--days",
            type=_days,
            required=True,
            help="Delete tokens revoked or expired more than this many days ago (0: all of them).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many would be deleted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(days=options["days"])
        dead = PersonalAccessToken.objects.filter(
            Q(revoked_at__lte=cutoff) | Q(revoked_at__isnull=True, expire_at__lte=cutoff)
        )
        if options["dry_run"]:
            self.stdout.write(
                f"Would delete {dead.count()} tokens revoked or expired before "
                f"{cutoff:%Y-%m-%d %H:%M}Z (dry run: nothing deleted)."
            )
            return
        deleted, _by_model = dead.delete()
        self.stdout.write(
            f"Deleted {deleted} tokens revoked or expired before {cutoff:%Y-%m-%d %H:%M}Z."
        )
