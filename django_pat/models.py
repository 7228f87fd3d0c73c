"""The :class:`PersonalAccessToken` model. The one way to make one,
``PersonalAccessToken.objects.provision()``, is in :mod:`django_pat.managers`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import TokenType, pat_settings
from .fields import ScopesField
from .ip import IPRestriction, parse_stored
from .lifecycle import RevokedReason, is_dormant, state_of
from .managers import PersonalAccessTokenManager
from .querysets import PersonalAccessTokenQuerySet
from .signals import before_revoke, token_revoked
from .users import InactiveRequester, user_can_authenticate
from .validation import DEFAULT, DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, normalize_name

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

__all__ = [
    "DEFAULT",
    "NAME_MAX_LENGTH",
    "InactiveRequester",
    "PersonalAccessToken",
    "PersonalAccessTokenQuerySet",
    "normalize_name",
    "user_can_authenticate",
]


class PersonalAccessToken(models.Model):
    """A named secret that authenticates requests as its user.

    Only a SHA-256 digest of the secret is stored. Revoking keeps the row, so
    that the token stays on record with ``revoked_at`` set.
    """

    id = models.UUIDField(_("id"), primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="personal_access_tokens",
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    type = models.CharField(_("type"), max_length=32)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    display_prefix = models.CharField(_("display prefix"), max_length=32, editable=False)
    # Normalised by IPRestriction; empty means any address.
    ip_restriction = models.TextField(_("IP restriction"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expire_at = models.DateTimeField(_("expire at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    scopes = ScopesField(_("scopes"))  # None: not restricted by scope
    # The lifecycle (CONTRACT 9): why and by whom it was revoked ("" and None
    # while it is not, and for tokens revoked before reasons were recorded),
    # where it was last used from, the token it replaced by rotation, and the
    # narrowest expiry notice sent for it (in days; None: none yet).
    description = models.CharField(
        _("description"), max_length=DESCRIPTION_MAX_LENGTH, blank=True, default=""
    )
    revoked_reason = models.CharField(
        _("revoked reason"),
        max_length=32,
        blank=True,
        default="",
        choices=RevokedReason.choices,
        editable=False,
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("revoked by"),
    )
    last_used_ip = models.GenericIPAddressField(
        _("last used IP"), null=True, blank=True, editable=False
    )
    # One-to-one: a token has at most one successor, by the database's unique index.
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="successor",
        editable=False,
        verbose_name=_("previous token"),
    )
    expiry_notice_days = models.PositiveIntegerField(
        _("expiry notice days"), null=True, blank=True, editable=False
    )

    objects: ClassVar[PersonalAccessTokenManager] = PersonalAccessTokenManager()
    # True while this request's use of the token waits for the answer's
    # status (django_pat.verification.settle_use); not a column.
    use_pending: bool = False

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")
        ordering = ("-created_at", "-id")
        # Revoking from the admin needs this permission, not "change": the
        # admin never edits a token, and revoking is the one thing staff do.
        permissions = (("revoke_personalaccesstoken", "Can revoke personal access token"),)
        indexes = (
            # The per-user list, newest first.
            models.Index(fields=["user", "-created_at"], name="django_pat_user_created"),
            # The admin's list, newest first, and its created date filter.
            models.Index(fields=["-created_at", "-id"], name="django_pat_created"),
            # The expiry filter, pat_purge and expiry notices.
            models.Index(fields=["expire_at"], name="django_pat_expire_at"),
            # Revoked tokens only (the few): the status filter and pat_purge.
            models.Index(
                fields=["revoked_at"],
                name="django_pat_revoked_at",
                condition=models.Q(revoked_at__isnull=False),
            ),
            # Not last_used_at: it is written on use, and an UPDATE that
            # touches no indexed column can stay on its page (PostgreSQL's
            # HOT), cheaper on the one write of the authentication path.
            # pat_notify_expiring: unrevoked tokens in order of expiry.
            models.Index(
                fields=["expire_at", "id"],
                name="django_pat_live_expiry",
                condition=Q(revoked_at__isnull=True),
            ),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=False) | Q(revoked_reason=""),
                name="django_pat_reason_only_if_revoked",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix}…)"

    @property
    def token_type(self) -> TokenType | None:
        """The configured type, or None if settings no longer define it."""
        return pat_settings.types.get(self.type)

    @property
    def restriction(self) -> IPRestriction:
        return parse_stored(self.ip_restriction)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expire_at is not None and self.expire_at <= (now or timezone.now())

    def is_dormant(self, now: datetime | None = None) -> bool:
        return is_dormant(self, now or timezone.now())

    def is_active(self, now: datetime | None = None) -> bool:
        """Whether this token authenticates: not revoked, expired or dormant, user active."""
        return state_of(self, now or timezone.now()) == "active"

    @property
    def state(self) -> str:
        """``"active"``, ``"revoked"``, ``"expired"`` or ``"dormant"``, as the API
        reads it (a deactivated user's token reads ``"dormant"``)."""
        return state_of(self, timezone.now())

    @property
    def status(self) -> str:
        """Why the token does or does not authenticate: ``"revoked"``,
        ``"expired"``, ``"dormant"``, ``"user_inactive"`` or ``"active"``, in
        that order; the admin and ``pat_list`` show it."""
        state = self.state
        if state == "dormant" and not self.is_dormant():
            return "user_inactive"
        return state

    def revoke(self, reason: str = "owner", by: AbstractBaseUser | None = None) -> bool:
        """Revoke the token now; True if this call revoked it.

        ``reason`` is one of :class:`~django_pat.lifecycle.RevokedReason`'s
        values, ``by`` the user who revoked it (the owner, a staff member;
        None for a command or the site itself); both are stored with it.

        Idempotent: a second call changes nothing and sends no signal. One
        conditional UPDATE, so concurrent calls revoke and signal once.

        ``token_revoked`` is sent when the revocation commits (at once outside
        a transaction), never for one that is rolled back. ``before_revoke``
        is sent before the UPDATE: in cache mode it tombstones the token's
        entry, and a cache that refuses raises
        :class:`~django_pat.exceptions.CacheUnavailable` with nothing revoked.
        """
        if reason not in RevokedReason.values:
            raise ValueError(f"{reason!r} is not a reason to revoke; one of {RevokedReason.values}")
        model = type(self)
        # Where the UPDATE goes, whatever database this instance was read from.
        using = router.db_for_write(model)
        before_revoke.send(sender=model, token=self, using=using)
        now = timezone.now()
        revoked = (
            model._default_manager.using(using)
            .filter(pk=self.pk, revoked_at__isnull=True)
            .update(revoked_at=now, revoked_reason=reason, revoked_by=by)
        )
        if revoked:
            self.revoked_at, self.revoked_reason = now, reason
            self.revoked_by = by  # type: ignore[assignment]  # any user model

            def revoked_signal() -> None:
                token_revoked.send(sender=model, token=self, reason=reason, revoked_by=by)

            transaction.on_commit(revoked_signal, using=using, robust=True)
            return True
        if self.revoked_at is None:
            self.refresh_from_db(fields=["revoked_at", "revoked_reason", "revoked_by"])
        return False
