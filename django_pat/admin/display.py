"""How a token's fields read in the admin: a badge for its status, moments
as "how long ago" with the exact time on hover, "never" and "any address"
set apart. Shared by the token list, a token's page and the user inline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import localtime

from ..models import PersonalAccessToken

__all__ = ["STATUS_LABELS", "TokenDisplay"]

STATUS_LABELS = {
    "active": "active",
    "revoked": "revoked",
    "expired": "expired",
    "user_inactive": "user inactive",
}


class TokenDisplay:
    """Columns shared by the token list, its detail page and the user inline."""

    @admin.display(description="status")
    def status_badge(self, token: PersonalAccessToken) -> str:
        status = token.status
        return format_html(
            '<span class="pat-status pat-status-{}">{}</span>', status, STATUS_LABELS[status]
        )

    @admin.display(description="created", ordering="created_at")
    def created(self, token: PersonalAccessToken) -> str:
        return moment(token.created_at, formats.date_format(localtime(token.created_at), "Y-m-d"))

    @admin.display(description="expires", ordering="expire_at")
    def expires(self, token: PersonalAccessToken) -> str:
        return relative(token.expire_at) if token.expire_at else muted("never")

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, token: PersonalAccessToken) -> str:
        return relative(token.last_used_at) if token.last_used_at else muted("never")

    @admin.display(description="created")
    def created_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.created_at)

    @admin.display(description="expires")
    def expires_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.expire_at) if token.expire_at else muted("never")

    @admin.display(description="last used")
    def last_used_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.last_used_at) if token.last_used_at else muted("never")

    @admin.display(description="revoked")
    def revoked_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.revoked_at) if token.revoked_at else muted("no")

    @admin.display(description="IP restriction")
    def ip_restriction_display(self, token: PersonalAccessToken) -> str:
        if not token.ip_restriction:
            return muted("any address")
        # A space after each comma lets a long list wrap.
        return ", ".join(token.ip_restriction.split(","))


def muted(text: str) -> str:
    return format_html('<span class="pat-muted">{}</span>', text)


def moment(value: datetime, text: str) -> str:
    """``text`` about a moment, with the exact time on hover."""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        formats.date_format(localtime(value), "DATETIME_FORMAT"),
        text,
    )


def relative(value: datetime) -> str:
    return moment(value, _relative_text(value))


def exactly(value: datetime) -> str:
    exact = formats.date_format(localtime(value), "DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}">{}</time> <span class="pat-muted">({})</span>',
        value.isoformat(),
        exact,
        _relative_text(value),
    )


def _relative_text(value: datetime) -> str:
    now = timezone.now()
    if abs(now - value) < timedelta(minutes=1):
        return "just now" if value <= now else "in under a minute"
    if value <= now:
        return f"{timesince(value, now, depth=1)} ago"
    return f"in {timeuntil(value, now, depth=1)}"
