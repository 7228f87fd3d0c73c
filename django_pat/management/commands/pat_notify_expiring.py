"""``manage.py pat_notify_expiring [--dry-run]``: tell owners their tokens
expire soon, by email, once per token and window; for a daily cron job."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.mail import get_connection
from django.core.management import BaseCommand
from django.utils import timezone

from django_pat.conf import pat_settings
from django_pat.notices import due_expiry_notices, owner_email, send_expiry_notice

from ._shared import describe, when


class Command(BaseCommand):
    help = (
        "Email each owner of an active token that expires within one of the windows of "
        "DJANGO_PAT['EXPIRY_NOTICE_DAYS'] (30, 7 and 1 days unless configured): once per "
        "token and window however often it runs, and for a token inside several windows "
        "one notice, for the narrowest. Prints a line per notice sent; tokens of users "
        "without an email address are skipped, saying so. Run it daily."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the notices that would be sent; send and record nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        windows = pat_settings.lifecycle.notice_windows
        if not windows:
            self.stdout.write("No notice windows: DJANGO_PAT['EXPIRY_NOTICE_DAYS'] is empty.")
            return
        if pat_settings.lifecycle.site_url is None:
            self.stderr.write(
                "DJANGO_PAT['SITE_URL'] is not set: the emails carry no link to the token page."
            )
        now = timezone.now()
        sent = skipped = 0
        # One connection for every email, opened for the first one to send.
        connection = get_connection()
        opened = False
        try:
            for notice in due_expiry_notices(now):
                token = notice.token
                line = f"{describe(token)}, expiring {when(token.expire_at)}"
                if not owner_email(token):
                    skipped += 1
                    self.stdout.write(
                        f"Skipped {line}: {token.user.get_username()} has no email address."
                    )
                    continue
                if dry_run:
                    sent += 1
                    self.stdout.write(f"Would send the {notice.days}-day notice for {line}.")
                    continue
                if not opened:
                    connection.open()
                    opened = True
                if send_expiry_notice(notice, connection, now):
                    sent += 1
                    self.stdout.write(f"Sent the {notice.days}-day notice for {line}.")
        finally:
            if opened:
                connection.close()
        verb = "Would send" if dry_run else "Sent"
        summary = f"{verb} {sent} notice{'' if sent == 1 else 's'}"
        if skipped:
            summary += (
                f"; skipped {skipped} token{'' if skipped == 1 else 's'} of users without an "
                "email address"
            )
        self.stdout.write(f"{summary}{' (dry run: nothing sent)' if dry_run else ''}.")
