"""The one place that decides whether a Bearer token authenticates a request.

The DRF authentication class, the Django backend and the middleware all call
:func:`authenticate_request`; none of them repeats a rule.

The secret lives only in :func:`present` (and in :func:`presented_token`,
which reads the header): what they return, a :class:`Presented`, carries the
digest and never the secret, and it is all that the functions which query the
database or the cache get. So no frame on the stack of a database error holds
the secret, and no error report can show it, DEBUG on or off (Django's debug
page shows every variable of every frame when DEBUG is on,
``sensitive_variables`` or not).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from . import cache, lookup, tokens
from .client_ip import client_ip
from .conf import pat_settings
from .exceptions import DATABASE_UNAVAILABLE, UNAVAILABLE_MESSAGE, CacheUnavailable
from .ip import IPRestrictionError
from .models import PersonalAccessToken, user_can_authenticate
from .signals import authentication_failed

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise
    from rest_framework.request import Request

__all__ = [
    "GENERIC_MESSAGE",
    "KEYWORD",
    "REASONS",
    "Presented",
    "TokenRejected",
    "authenticate_request",
    "present",
    "presented_token",
    "settle_use",
    "settle_use_after_answer",
]

logger = logging.getLogger("django_pat")

# One message for every 401, so that a guesser learns nothing from it.
# Lazy: translated when a refusal is answered, never on the way to a success.
GENERIC_MESSAGE = _("Invalid, expired or revoked token.")
# The scheme of the Authorization header: "Authorization: Bearer <token>".
KEYWORD = "Bearer"

REASONS = {
    "malformed": 401,
    "unknown": 401,
    "revoked": 401,
    "expired": 401,
    # Unused for longer than DORMANT_AFTER_DAYS.
    "dormant": 401,
    "inactive_user": 401,
    "unknown_type": 401,
    "ip_not_allowed": 403,
    "method_not_allowed": 403,
    # The database did not answer: the token was not checked, so it does not
    # authenticate (fail closed). Not the token's fault: no signal is sent.
    "unavailable": 503,
}


class TokenRejected(Exception):
    """A token of ours that may not authenticate this request."""

    def __init__(self, reason: str, message: StrOrPromise = GENERIC_MESSAGE) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = REASONS[reason]
        self.message = message


@dataclass(frozen=True, slots=True)
class Presented:
    """A token of this site as a request presented it, without the secret.

    ``digest`` is what the token is stored under; None when the value cannot
    be a token at all (wrong length, alphabet or checksum), which is refused
    without a query.
    """

    digest: str | None


@sensitive_variables("raw")
def present(raw: str) -> Presented | None:
    """``raw`` as a :class:`Presented`; None when it lacks this site's prefix
    (not ours: another scheme may know it)."""
    prefix = pat_settings.token_prefix
    if not raw.startswith(f"{prefix}_"):
        return None
    try:
        tokens.parse(raw, prefix)
    except tokens.TokenFormatError:
        return Presented(None)
    return Presented(tokens.digest(raw))


@sensitive_variables("header", "value")
def presented_token(request: HttpRequest | Request, keyword: str = KEYWORD) -> Presented | None:
    """The request's ``Authorization: <keyword>`` value if it carries our
    prefix, else None (no credentials, a session, or another scheme's value).
    The scheme is compared without regard to case, as HTTP has it."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != keyword.lower():
        return None
    return present(value.strip())


def authenticate_request(
    request: HttpRequest | Request,
    presented: Presented,
    *,
    defer_use: bool = False,
) -> PersonalAccessToken:
    """The token ``presented`` names, if it may authenticate ``request``.

    Costs no query for a malformed value, one (token and user together) for
    a well-formed one, and one conditional UPDATE (of ``last_used_at`` and
    ``last_used_ip``) when ``last_used_at`` is older than the configured
    interval. Raises :class:`TokenRejected`: 401
    and 403 for the token's rules, 503 (reason ``unavailable``, logged here
    once with its traceback) when the database did not answer.

    A refused use never counts (CONTRACT 8), and the view may still refuse
    the request (a scope the token lacks, a permission of the project's).
    So a caller that can wait passes ``defer_use``: a use that is due is then
    only marked pending (``token.use_pending``), for :func:`settle_use` to
    write, with the same one UPDATE, once the request is known to be allowed
    (the DRF class: when the view's permissions pass, before its handler; the
    middleware: when the view has answered, unless with a 401 or 403).
    """
    try:
        return _authenticate(request, presented, defer_use)
    except DATABASE_UNAVAILABLE:
        logger.error(
            "Database unavailable while checking a token for %s %s; refused with a 503",
            request.method,
            request.path,
            exc_info=True,
        )
        raise TokenRejected("unavailable", UNAVAILABLE_MESSAGE) from None


def _authenticate(
    request: HttpRequest | Request,
    presented: Presented,
    defer_use: bool,
) -> PersonalAccessToken:
    token = None
    try:
        token = _find(presented)
        _check(token, request)
    except TokenRejected as rejection:
        if authentication_failed.has_listeners(PersonalAccessToken):
            authentication_failed.send(
                sender=PersonalAccessToken,
                reason=rejection.reason,
                token_id=token.pk if token is not None else None,
                display_prefix=token.display_prefix if token is not None else None,
                client_ip=client_ip(request),
                method=request.method,
                path=request.path,
            )
        raise
    if defer_use and _use_due(token):
        token.use_pending = True
    else:
        _touch(token, request)
    return token


def settle_use(
    token: PersonalAccessToken, request: HttpRequest | Request, *, refused: bool
) -> None:
    """Write the use :func:`authenticate_request` left pending, unless the
    request was ``refused`` (a use that never counts); once (later calls do
    nothing)."""
    if token.use_pending:
        token.use_pending = False
        if not refused:
            _touch(token, request)


def settle_use_after_answer(
    token: PersonalAccessToken, request: HttpRequest | Request, status_code: int
) -> None:
    """:func:`settle_use` once the answer is made (the middleware's case): a
    401 or 403 was a refusal. A database or cache that fails now loses the
    record, logged, and changes no answer: the view has done its work."""
    try:
        settle_use(token, request, refused=status_code in (401, 403))
    except (*DATABASE_UNAVAILABLE, CacheUnavailable):
        logger.error(
            "Could not record the use of a token for %s %s",
            request.method,
            request.path,
            exc_info=True,
        )


def _find(presented: Presented) -> PersonalAccessToken:
    digest = presented.digest
    if digest is None:
        raise TokenRejected("malformed")
    token = cache.find(digest) if pat_settings.cache else lookup.fetch(digest)
    if token is not None and pat_settings.cache and token.is_dormant():
        # A cached entry keeps the last use it was filled with; before a
        # token in use is refused as dormant, the row says when it was used.
        token = lookup.fetch(digest)
    if token is None:
        raise TokenRejected("unknown")
    return token


def _check(token: PersonalAccessToken, request: HttpRequest | Request) -> None:
    if token.revoked_at is not None:
        raise TokenRejected("revoked")
    if token.is_expired():
        raise TokenRejected("expired")
    # On the row already loaded: no query.
    if token.is_dormant():
        raise TokenRejected("dormant")
    if not user_can_authenticate(token.user):
        raise TokenRejected("inactive_user")
    token_type = token.token_type
    if token_type is None:
        raise TokenRejected("unknown_type")
    if token.ip_restriction:
        address = client_ip(request)
        try:
            allowed = address is not None and token.restriction.allows(address)
        except IPRestrictionError:
            # A stored value no longer parses (edited outside provision()):
            # it allows nobody rather than everybody.
            allowed = False
        if not allowed:
            raise TokenRejected(
                "ip_not_allowed",
                gettext("This token may not be used from %(address)s.")
                % {"address": address or gettext("an unknown address")},
            )
    method = request.method or ""
    if not token_type.allows_method(method):
        raise TokenRejected(
            "method_not_allowed",
            gettext("This token is of type %(type)s, which does not allow %(method)s requests.")
            % {"type": repr(token.type), "method": method},
        )


def _use_due(token: PersonalAccessToken) -> bool:
    """Whether the row's last use is older than the interval (no I/O)."""
    stale_before = timezone.now() - pat_settings.last_used_update_interval
    return token.last_used_at is None or token.last_used_at <= stale_before


def _touch(token: PersonalAccessToken, request: HttpRequest | Request) -> None:
    """Record the use and the client's address, at most once per interval,
    in one UPDATE, without a read-modify-write."""
    now = timezone.now()
    stale_before: datetime = now - pat_settings.last_used_update_interval
    if token.last_used_at is not None and token.last_used_at > stale_before:
        return
    if cache.used_since(token, stale_before):  # cache mode: another process recorded it
        return
    address = client_ip(request)
    ip = None if address is None else str(address)
    PersonalAccessToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before), pk=token.pk
    ).update(last_used_at=now, last_used_ip=ip)
    token.last_used_at, token.last_used_ip = now, ip
    cache.record_use(token, now)
