"""``manage.py pat_create USERNAME --name NAME``: make a token from the shell."""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from django_pat.formats import parse_rfc3339
from django_pat.models import DEFAULT, PersonalAccessToken

from ._shared import describe, describe_scopes, get_user, when

# provision()'s argument names -> this command's options, for its errors.
OPTION_NAMES = {
    "name": "--name",
    "type": "--type",
    "ip_restriction": "--ip-restriction",
    "expire_at": "--expire-at",
    "scopes": "--scope",
}


def _aware_datetime(value: str) -> datetime:
    parsed = parse_rfc3339(value)
    if parsed is None:
        raise ArgumentTypeError(
            f"{value!r} is not an RFC 3339 date and time with a time zone "
            "(like 2030-01-31T12:00:00Z)."
        )
    return parsed


# A hundred years: beyond that, --no-expiry says what is meant (and the
# calendar ends before ten thousand years).
MAX_DAYS = 36_500


def _positive_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ArgumentTypeError(
            f"{value!r} is not a whole number of days from 1 to {MAX_DAYS} "
            "(--no-expiry for a token that never expires)."
        )
    return days


def add_expiry_arguments(parser: ArgumentParser, expire_at_help: str) -> None:
    """--expire-at, --expires-in-days and --no-expiry, one at most (pat_rotate's too)."""
    expiry = parser.add_mutually_exclusive_group()
    expiry.add_argument("--expire-at", type=_aware_datetime, help=expire_at_help)
    expiry.add_argument(
        "--expires-in-days", type=_positive_days, metavar="DAYS", help="Expire in DAYS days."
    )
    expiry.add_argument(
        "--no-expiry",
        action="store_true",
        help="Never expire (refused while a maximum lifetime is configured).",
    )


def requested_expiry(options: dict[str, Any]) -> datetime | None:
    """The expiry those arguments ask for: None (never), or DEFAULT when none was given."""
    if options["no_expiry"]:
        return None
    if options["expire_at"] is not None:
        expire_at: datetime = options["expire_at"]
        return expire_at
    if options["expires_in_days"] is not None:
        return timezone.now() + timedelta(days=options["expires_in_days"])
    return DEFAULT


class Command(BaseCommand):
    help = (
        "Provision a personal access token for a user and print its secret, once, on "
        "standard output (details go to standard error). The same rules apply as to the "
        "API: name, type, IP restriction and lifetime are validated by provision()."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="The owner (the user model's USERNAME_FIELD).")
        parser.add_argument("--name", required=True, help="The token's name (1 to 100 characters).")
        parser.add_argument("--type", help="A configured token type; default: DEFAULT_TYPE.")
        parser.add_argument(
            "--ip-restriction",
            help="Comma-separated IP addresses and CIDR networks; default: any address.",
        )
        add_expiry_arguments(
            parser, "Expiry as RFC 3339 with a time zone, e.g. 2030-01-31T12:00:00Z."
        )
        scopes = parser.add_mutually_exclusive_group()
        scopes.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help="A scope the token has; repeat for more. Default: DEFAULT_SCOPES.",
        )
        scopes.add_argument(
            "--no-scope", action="store_true", help="Restricted to no scope at all (scopes [])."
        )
        scopes.add_argument(
            "--unscoped",
            action="store_true",
            help="Not restricted by scope (scopes null), whatever DEFAULT_SCOPES says.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user(options["username"])
        expire_at = requested_expiry(options)
        scopes: list[str] | None = DEFAULT
        if options["no_scope"]:
            scopes = []
        elif options["unscoped"]:
            scopes = None
        elif options["scopes"] is not None:
            scopes = options["scopes"]
        try:
            token, secret = PersonalAccessToken.objects.provision(
                user,
                name=options["name"],
                type=options["type"],
                ip_restriction=options["ip_restriction"] or DEFAULT,
                expire_at=expire_at,
                scopes=scopes,
            )
        except ValidationError as error:
            raise CommandError(_explain(error)) from None
        self.stderr.write(
            f"Provisioned {describe(token)}: type {token.type}, "
            f"IP restriction {token.ip_restriction or 'none'}, "
            f"expires {when(token.expire_at, 'never')}, "
            f"scopes {describe_scopes(token.scopes)}. "
            "The secret, on standard output, is shown this once; only its digest is stored."
        )
        self.stdout.write(secret)


def _explain(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return " ".join(
            f"{OPTION_NAMES.get(field, field)}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        )
    return " ".join(error.messages)
