"""``manage.py pat_purge --days N``: delete long-dead tokens for good.

In batches (``--batch-size``, 1,000 by default), each in a transaction of its
own: a purge of hundreds of thousands of rows holds no lock for long, keeps
no more than a batch in memory, and, stopped part way, leaves the batches
done deleted and the rest as they were (run it again to finish). A batch
is found by primary key, in key order, and deleted by key; Django loads the
rows only if a ``pre_delete`` or ``post_delete`` receiver wants them (cache
mode's do, to invalidate each token's entry), and otherwise reads no more
than their keys, even when a table of the project's cascades from tokens.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser, ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.core.management import BaseCommand
from django.db import router, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from django_pat.models import PersonalAccessToken

# A line on standard error at most this often, in seconds, while deleting.
PROGRESS_EVERY = 5.0


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise ArgumentTypeError(f"{value!r} is not a whole number of days, 0 or more.")
    return days


def _batch_size(value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= 10_000:
        raise ArgumentTypeError(f"{value!r} is not a whole number from 1 to 10000.")
    return size


class Command(BaseCommand):
    help = (
        "Delete the rows of tokens revoked, or expired, more than --days days ago. Revoked "
        "tokens are otherwise kept for audit; this removes them from the list, the admin "
        "and the database for good. Active tokens are never touched. Deletes in batches, "
        "each in its own transaction, with progress on standard error."
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
        parser.add_argument(
            "--batch-size",
            type=_batch_size,
            default=1000,
            help="Tokens deleted per transaction (default 1000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(days=options["days"])
        dead = PersonalAccessToken.objects.filter(
            Q(revoked_at__lte=cutoff) | Q(revoked_at__isnull=True, expire_at__lte=cutoff)
        )
        before = f"before {cutoff:%Y-%m-%d %H:%M}Z"
        total = dead.count()
        if options["dry_run"]:
            self.stdout.write(
                f"Would delete {total} tokens revoked or expired {before} "
                "(dry run: nothing deleted)."
            )
            return
        deleted = self._delete(dead, total, options["batch_size"])
        self.stdout.write(f"Deleted {deleted} tokens revoked or expired {before}.")

    def _delete(self, dead: Any, total: int, batch_size: int) -> int:
        using = router.db_for_write(PersonalAccessToken)
        dead = dead.using(using)
        deleted = batches = 0
        longest = 0.0
        last = None
        started = reported = time.monotonic()
        if total > batch_size:
            self.stderr.write(f"Deleting {total:,} tokens, {batch_size:,} a transaction ...")
        while True:
            began = time.monotonic()
            with transaction.atomic(using=using):
                batch = dead if last is None else dead.filter(pk__gt=last)
                keys = list(batch.order_by("pk").values_list("pk", flat=True)[:batch_size])
                if not keys:
                    break
                # The condition again: the same rows, unless one changed since.
                doomed = dead.filter(pk__in=keys)
                if not _delete_receivers():
                    # Rows a project's own table cascades from (a profile
                    # with a one-to-one link) are still collected, by key.
                    doomed = doomed.only("pk")
                _all, by_model = doomed.delete()
            now = time.monotonic()
            deleted += by_model.get(PersonalAccessToken._meta.label, 0)
            batches += 1
            longest = max(longest, now - began)
            last = keys[-1]
            if now - reported >= PROGRESS_EVERY:
                reported = now
                self.stderr.write(f"  {deleted:,} of {total:,} deleted ({now - started:.0f} s) ...")
        if batches > 1:
            self.stderr.write(
                f"  {deleted:,} deleted in {batches:,} transactions, "
                f"{time.monotonic() - started:.1f} s; longest batch {longest:.2f} s"
            )
        return deleted


def _delete_receivers() -> bool:
    """Whether anything listens to token deletes, and so needs whole rows."""
    return pre_delete.has_listeners(PersonalAccessToken) or post_delete.has_listeners(
        PersonalAccessToken
    )
