"""An audit log of token events, as a project would write one: a line per
provisioned, revoked, rotated or refused token and per expiry notice, on the logger
``example_project.audit``. django-pat's signals never carry the secret, so
neither can these lines; the display prefix is there to recognise a token by.
"""

from __future__ import annotations

import logging
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from uuid import UUID

from django.dispatch import receiver

from django_pat.models import PersonalAccessToken
from django_pat.signals import (
    authentication_failed,
    token_expiring,
    token_provisioned,
    token_revoked,
    token_rotated,
)

logger = logging.getLogger("example_project.audit")


@receiver(token_provisioned, dispatch_uid="example_project.audit.provisioned")
def token_was_provisioned(
    sender: Any, token: PersonalAccessToken, parent: PersonalAccessToken | None, **kwargs: Any
) -> None:
    logger.info(
        "token provisioned: id=%s prefix=%s user=%s name=%r type=%s ip_restriction=%s "
        "expires=%s made_by_token=%s scopes=%s",
        token.pk,
        token.display_prefix,
        token.user.get_username(),
        token.name,
        token.type,
        token.ip_restriction or "any",
        token.expire_at.isoformat() if token.expire_at else "never",
        parent.pk if parent is not None else "-",
        "any" if token.scopes is None else ",".join(token.scopes) or "none",
    )


@receiver(token_revoked, dispatch_uid="example_project.audit.revoked")
def token_was_revoked(
    sender: Any, token: PersonalAccessToken, reason: str, revoked_by: Any, **kwargs: Any
) -> None:
    logger.info(
        "token revoked: id=%s prefix=%s user=%s name=%r reason=%s by=%s",
        token.pk,
        token.display_prefix,
        token.user.get_username(),
        token.name,
        reason,
        revoked_by.get_username() if revoked_by is not None else "-",
    )


@receiver(token_rotated, dispatch_uid="example_project.audit.rotated")
def token_was_rotated(
    sender: Any, token: PersonalAccessToken, previous: PersonalAccessToken, **kwargs: Any
) -> None:
    logger.info(
        "token rotated: id=%s prefix=%s replaces id=%s prefix=%s user=%s",
        token.pk,
        token.display_prefix,
        previous.pk,
        previous.display_prefix,
        token.user.get_username(),
    )


@receiver(token_expiring, dispatch_uid="example_project.audit.expiring")
def owner_was_told_of_expiry(
    sender: Any, token: PersonalAccessToken, days: int, **kwargs: Any
) -> None:
    logger.info(
        "expiry notice sent: id=%s prefix=%s user=%s window=%s days expires=%s",
        token.pk,
        token.display_prefix,
        token.user.get_username(),
        days,
        token.expire_at.isoformat() if token.expire_at else "never",
    )


@receiver(authentication_failed, dispatch_uid="example_project.audit.failed")
def token_was_refused(
    sender: Any,
    reason: str,
    token_id: UUID | None,
    display_prefix: str | None,
    client_ip: IPv4Address | IPv6Address | None,
    method: str,
    path: str,
    **kwargs: Any,
) -> None:
    logger.warning(
        "token refused: reason=%s id=%s prefix=%s ip=%s request=%s %s",
        reason,
        token_id or "-",
        display_prefix or "-",
        client_ip or "unknown",
        method,
        path,
    )
