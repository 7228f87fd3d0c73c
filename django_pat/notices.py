"""Emails to token owners: a token's expiry coming (``manage.py
pat_notify_expiring``), and a token of theirs revoked as leaked.

Sent through Django's email framework (``EMAIL_BACKEND``, ``DEFAULT_FROM_EMAIL``)
from templates a project overrides the Django way, by putting its own at the
same path (``django_pat/email/expiring_subject.txt``, ``expiring.txt``,
``expiring.html``; ``leaked_subject.txt``, ``leaked.txt``, ``leaked.html``).
The templates get the token's name, display prefix, id, type and times, the
owner, and the token page's address; never the token itself, so that no
template can reach its digest, and never a secret, which is not stored.

An expiry notice goes once per token and window, however often the command
runs: ``expiry_notice_days`` on the token records the narrowest window a
notice was sent for, claimed by a conditional UPDATE in the transaction that
sends the email (a second run, even one running at the same moment, finds
it claimed; an email that fails rolls the claim back, for the next run).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import router, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from .conf import pat_settings
from .models import PersonalAccessToken
from .signals import token_expiring

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

__all__ = [
    "TEMPLATES",
    "DueNotice",
    "due_expiry_notices",
    "notify_leaked",
    "owner_email",
    "send_expiry_notice",
    "token_page_url",
]

TEMPLATES = "django_pat/email/"
# Tokens read per query: memory stays bounded however many tokens there are.
BATCH_SIZE = 500


@dataclass(frozen=True)
class DueNotice:
    """A notice to send: ``token`` expires within ``days`` days, the narrowest
    configured window it is in."""

    token: PersonalAccessToken
    days: int


def owner_email(token: PersonalAccessToken) -> str:
    """The owner's email address, or "" when they have none."""
    user = token.user
    value = getattr(user, user.get_email_field_name(), "")
    return value.strip() if isinstance(value, str) else ""


def token_page_url() -> str | None:
    """The address of the token page (``django_pat.urls_ui``) on this site:
    ``DJANGO_PAT["SITE_URL"]`` and the page's path; None without either."""
    site_url = pat_settings.lifecycle.site_url
    if site_url is None:
        return None
    try:
        path = reverse("django_pat_ui:tokens")
    except NoReverseMatch:
        return None
    return site_url + path


def _due_q(now: datetime, windows: tuple[int, ...]) -> Q:
    """Tokens inside a window narrower than any notice sent for them."""
    due = Q()
    for days in windows:
        due |= Q(expire_at__lte=now + timedelta(days=days)) & (
            Q(expiry_notice_days__isnull=True) | Q(expiry_notice_days__gt=days)
        )
    return due


def due_expiry_notices(now: datetime | None = None) -> Iterator[DueNotice]:
    """The notices due now, soonest expiry first, read in batches.

    Active tokens only (not revoked, expired or dormant, user active). Read by
    keyset pages of :data:`BATCH_SIZE` on the index of unrevoked tokens by
    expiry, never with an open cursor: sending a notice writes to the rows
    being read, which SQLite does not isolate from a cursor on them.
    """
    now = now or timezone.now()
    windows = pat_settings.lifecycle.notice_windows
    if not windows:
        return
    candidates = (
        PersonalAccessToken.objects.active(now)
        .filter(expire_at__gt=now, expire_at__lte=now + timedelta(days=windows[0]))
        .filter(_due_q(now, windows))
        .select_related("user")
        .order_by("expire_at", "id")
    )
    after: Q | None = None
    while True:
        page = list((candidates.filter(after) if after else candidates)[:BATCH_SIZE])
        for token in page:
            assert token.expire_at is not None  # by the filter
            left = token.expire_at - now
            yield DueNotice(token, min(days for days in windows if left <= timedelta(days=days)))
        if len(page) < BATCH_SIZE:
            return
        last = page[-1]
        # The first condition alone bounds the index scan (where the OR
        # cannot), so each page starts where the last one ended.
        after = Q(expire_at__gte=last.expire_at) & (
            Q(expire_at__gt=last.expire_at) | Q(id__gt=last.pk)
        )


def send_expiry_notice(
    notice: DueNotice, connection: BaseEmailBackend | None = None, now: datetime | None = None
) -> bool:
    """Email the owner that the token expires soon; True if this call sent it.

    False, sending nothing, when the notice for this window (or a narrower
    one) was sent already, by another run perhaps, or the owner has no email
    address. ``token_expiring`` is sent once the notice is recorded.
    """
    token, days = notice.token, notice.days
    email = owner_email(token)
    if not email:
        return False
    model = type(token)
    using = router.db_for_write(model)
    with transaction.atomic(using=using):
        claimed = (
            model._default_manager.using(using)
            .filter(pk=token.pk)
            .filter(Q(expiry_notice_days__isnull=True) | Q(expiry_notice_days__gt=days))
            .update(expiry_notice_days=days)
        )
        if not claimed:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            remaining = _remaining(token, now)
        context = {**_context(token), "days": days, "remaining": remaining}
        _message("expiring", context, email, connection).send()
        token.expiry_notice_days = days

        def expiring() -> None:
            token_expiring.send(sender=model, token=token, days=days)

        transaction.on_commit(expiring, using=using, robust=True)
    return True


def notify_leaked(token: PersonalAccessToken, connection: BaseEmailBackend | None = None) -> bool:
    """Email the owner that ``token`` was revoked because it was found where it
    should not be; True if an email was sent (False: no email address).

    For the leak report's endpoint to call once the revocation is committed.
    """
    email = owner_email(token)
    if not email:
        return False
    _message("leaked", _context(token), email, connection).send()
    return True


def _context(token: PersonalAccessToken) -> dict[str, Any]:
    # Named values only: no template gets the token object, and with it the digest.
    return {
        "user": token.user,
        "name": token.name,
        "display_prefix": token.display_prefix,
        "token_id": str(token.pk),
        "type": token.type,
        "expire_at": token.expire_at,
        "expires": _utc(token.expire_at),
        "revoked_at": token.revoked_at,
        "revoked": _utc(token.revoked_at),
        "token_page_url": token_page_url(),
        "site_url": pat_settings.lifecycle.site_url,
    }


def _utc(value: datetime | None) -> str | None:
    return value.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if value else None


def _remaining(token: PersonalAccessToken, now: datetime | None) -> str:
    """How long until it expires, in words: "6 days", "20 hours", "under an hour"."""
    assert token.expire_at is not None
    left = token.expire_at - (now or timezone.now())
    # Rounded: a token made for 30 days, notified a moment later, "expires in 30 days".
    days = round(left / timedelta(days=1))
    if days >= 2:
        return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
    hours = round(left / timedelta(hours=1))
    if hours >= 2:
        return ngettext("%(hours)d hour", "%(hours)d hours", hours) % {"hours": hours}
    return gettext("about an hour") if hours == 1 else gettext("under an hour")


def _message(
    kind: str, context: dict[str, Any], to: str, connection: BaseEmailBackend | None
) -> EmailMultiAlternatives:
    # In the site's language (LANGUAGE_CODE), not that of whichever request
    # caused it: a stranger reporting a leak chooses nothing for the owner.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"{TEMPLATES}{kind}_subject.txt", context)
        body = render_to_string(f"{TEMPLATES}{kind}.txt", context)
        html = render_to_string(f"{TEMPLATES}{kind}.html", context)
    message = EmailMultiAlternatives(
        # One line, as mail headers must be.
        subject=" ".join(subject.split()),
        body=body,
        to=[to],
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message
