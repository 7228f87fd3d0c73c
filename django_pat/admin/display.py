"""How a token's fields read in the admin: a badge for its status, moments
as "how long ago" with the exact time on hover, "never" and "any address"
set apart. Shared by the token list, a token's page and the user inline."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.contrib import admin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..conf import pat_settings
from ..lifecycle import RevokedReason
from ..models import PersonalAccessToken

__all__ = ["LIFECYCLE_FIELDS", "STATUS_LABELS", "TokenDisplay", "breakable"]

STATUS_LABELS = {
    "active": _("active"),
    "revoked": _("revoked"),
    "expired": _("expired"),
    "user_inactive": _("user inactive"),
    "dormant": _("dormant"),
}


# A token's page: the lifecycle's fields (CONTRACT 9), in a fieldset of their own.
LIFECYCLE_FIELDS = (
    "description_display",
    "last_used_ip_display",
    "revoked_reason_display",
    "rotation_display",
    "expiry_notice_display",
)


class TokenDisplay:
    """Columns shared by the token list, its detail page and the user inline."""

    @admin.display(description=_("status"))
    def status_badge(self, token: PersonalAccessToken) -> str:
        status = token.status
        return format_html(
            '<span class="pat-status pat-status-{}">{}</span>', status, STATUS_LABELS[status]
        )

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, token: PersonalAccessToken) -> str:
        return moment(token.created_at, formats.date_format(localtime(token.created_at), "Y-m-d"))

    @admin.display(description=_("expires"), ordering="expire_at")
    def expires(self, token: PersonalAccessToken) -> str:
        return relative(token.expire_at) if token.expire_at else muted(gettext("never"))

    # Not sortable: last_used_at has no index (a use stays a cheap update), so
    # sorting a million tokens by it would read and sort them all on every page.
    @admin.display(description=_("last used"))
    def last_used(self, token: PersonalAccessToken) -> str:
        return relative(token.last_used_at) if token.last_used_at else muted(gettext("never"))

    @admin.display(description=_("created"))
    def created_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.created_at)

    @admin.display(description=_("expires"))
    def expires_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.expire_at) if token.expire_at else muted(gettext("never"))

    @admin.display(description=_("last used"))
    def last_used_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.last_used_at) if token.last_used_at else muted(gettext("never"))

    @admin.display(description=_("revoked"))
    def revoked_exactly(self, token: PersonalAccessToken) -> str:
        return exactly(token.revoked_at) if token.revoked_at else muted(gettext("no"))

    @admin.display(description=_("IP restriction"))
    def ip_restriction_display(self, token: PersonalAccessToken) -> str:
        if not token.ip_restriction:
            return muted(gettext("any address"))
        # A space after each comma lets a long list wrap.
        return ", ".join(token.ip_restriction.split(","))

    # The lifecycle (CONTRACT 9): on a token's page.

    @admin.display(description=_("description"))
    def description_display(self, token: PersonalAccessToken) -> str:
        # Line breaks kept, as the owner wrote them; escaped like any text.
        return (
            format_html('<div class="pat-description">{}</div>', token.description)
            if token.description
            else muted(gettext("none"))
        )

    @admin.display(description=_("last used from"))
    def last_used_ip_display(self, token: PersonalAccessToken) -> str:
        return (
            breakable(token.last_used_ip, ":") if token.last_used_ip else muted(gettext("unknown"))
        )

    @admin.display(description=_("revoked because"))
    def revoked_reason_display(self, token: PersonalAccessToken) -> str:
        """Why, and who did it: a staff member or the owner, by name."""
        if token.revoked_at is None:
            return muted(gettext("not revoked"))
        if not token.revoked_reason:
            return muted(gettext("not recorded (revoked before reasons were)"))
        why = RevokedReason(token.revoked_reason).label
        by = token.revoked_by
        if by is None:
            return format_html("{} ({})", why, token.revoked_reason)
        return format_html(
            gettext("{reason} ({code}), by {user}"),
            reason=why,
            code=token.revoked_reason,
            user=by.get_username(),
        )

    @admin.display(description=_("rotation"))
    def rotation_display(self, token: PersonalAccessToken) -> str:
        """The token this one replaced, and the one that replaced it, as links."""
        parts = []
        previous = token.previous if token.previous_id else None
        successor = PersonalAccessToken._default_manager.filter(previous_id=token.pk).first()
        if previous is not None:
            parts.append(format_html(gettext("replaces {token}"), token=self._token_link(previous)))
        if successor is not None:
            parts.append(
                format_html(gettext("replaced by {token}"), token=self._token_link(successor))
            )
        if not parts:
            return muted(gettext("never rotated"))
        return format_html_join("; ", "{}", ((part,) for part in parts))

    def _token_link(self, token: PersonalAccessToken) -> str:
        opts = token._meta
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[token.pk],
            current_app=self.admin_site.name,  # type: ignore[attr-defined]
        )
        return format_html('<a href="{}">{} ({}…)</a>', url, token.name, token.display_prefix)

    @admin.display(description=_("expiry notice"))
    def expiry_notice_display(self, token: PersonalAccessToken) -> str:
        days = token.expiry_notice_days
        if days is None:
            return muted(gettext("none sent"))
        return ngettext(
            "sent: expires within %(days)d day", "sent: expires within %(days)d days", days
        ) % {"days": days}

    # Two facts to a cell, so that the list fits a 1280-pixel-wide window
    # with the admin's navigation open.

    # Sortable columns are those an index serves (owner, status by expiry,
    # created); the name and access columns are found by search and filters.
    @admin.display(description=_("name"))
    def name_and_prefix(self, token: PersonalAccessToken) -> str:
        """The name, and beneath it the display prefix that tells the token by sight."""
        return format_html('{}<span class="pat-prefix">{}</span>', token.name, token.display_prefix)

    @admin.display(description=_("status"), ordering="expire_at")
    def status_and_expiry(self, token: PersonalAccessToken) -> str:
        """The status, and beneath it since or until when: revoked or expired
        how long ago, or when it expires."""
        status = token.status
        when: str
        if status == "revoked" and token.revoked_at is not None:
            if token.revoked_reason == "leaked":
                # Staff looking for trouble should see a leak at a glance.
                when = format_html(
                    gettext("revoked as leaked {when}"), when=relative(token.revoked_at)
                )
            else:
                when = format_html(gettext("revoked {when}"), when=relative(token.revoked_at))
        elif token.expire_at is None:
            when = gettext("never expires")
        elif status == "expired":
            when = format_html(gettext("expired {when}"), when=relative(token.expire_at))
        else:
            when = format_html(gettext("expires {when}"), when=relative(token.expire_at))
        return format_html('{}<span class="pat-when">{}</span>', self.status_badge(token), when)

    @admin.display(description=_("access"))
    def access(self, token: PersonalAccessToken) -> str:
        """What the token may do (its type), from where (its IP restriction),
        and what it may reach (its scopes)."""
        where: str
        if token.ip_restriction:
            networks = token.ip_restriction.split(",")
            where = format_html_join(", ", "{}", ((breakable(n, ":"),) for n in networks))
        else:
            where = gettext("any address")
        return format_html(
            '{}<span class="pat-from">{}</span><span class="pat-scopes">{}</span>',
            token.type,
            format_html(gettext("from {addresses}"), addresses=where),
            self._scopes_in_access(token),
        )

    def _scopes_in_access(self, token: PersonalAccessToken) -> str:
        if token.scopes is None:
            return gettext("any scope")
        return self.scopes_display(token) if token.scopes else gettext("no scope")

    @admin.display(description=_("scopes"))
    def scopes_display(self, token: PersonalAccessToken) -> str:
        """Each scope, its description on hover; or that there is no restriction."""
        if token.scopes is None:
            return muted(gettext("not restricted"))
        if not token.scopes:
            return muted(gettext("none"))
        described = pat_settings.scopes
        return format_html_join(
            " ",
            '<code class="pat-scope" title="{}">{}</code>',
            (
                (
                    gettext(described[name])
                    if name in described
                    else gettext("No longer a configured scope."),
                    breakable(name, ":"),
                )
                for name in token.scopes
            ),
        )


def breakable(text: str, after: str) -> str:
    """``text`` that may wrap after each of the characters ``after``: an email
    address after "." and "@", an IPv6 address after ":"."""
    chars = re.escape(after)
    parts = re.split(f"(?<=[{chars}])(?![{chars}])", text)
    return format_html_join(mark_safe("<wbr>"), "{}", ((part,) for part in parts))


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
        return gettext("just now") if value <= now else gettext("in under a minute")
    if value <= now:
        return gettext("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    return gettext("in %(time)s") % {"time": timeuntil(value, now, depth=1)}
