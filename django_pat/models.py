"""The :class:`PersonalAccessToken` model and the one way to make one."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from datetime import timezone as dt_timezone
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import tokens
from .conf import TokenType, pat_settings
from .formats import rfc3339
from .ip import IPRestriction, IPRestrictionError, parse_stored
from .signals import token_provisioned, token_revoked

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from typing_extensions import Self

__all__ = [
    "DEFAULT",
    "NAME_MAX_LENGTH",
    "InactiveRequester",
    "PersonalAccessToken",
    "normalize_name",
]

NAME_MAX_LENGTH = 100


class _Default:
    """Marks an argument left out, as opposed to an explicit None."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


class InactiveRequester(ValidationError):
    """The user, or the parent token, is not active (revoked, expired,
    deactivated or deleted), perhaps only since the request began.

    A ValidationError, so that the admin and the management commands show it
    like any other refusal; the API answers it with its generic 401 instead,
    as it would have answered the request a moment later."""


@cache
def _user_model_has_is_active_field() -> bool:
    # Custom user models may leave ``is_active`` a plain attribute (always
    # True on AbstractBaseUser); only a real field can be filtered on.
    try:
        get_user_model()._meta.get_field("is_active")
    except FieldDoesNotExist:
        return False
    return True


class PersonalAccessTokenQuerySet(models.QuerySet["PersonalAccessToken"]):
    """Names for the rules about which tokens count."""

    def for_user(self, user: AbstractBaseUser) -> Self:
        return self.filter(user_id=user.pk)

    def active(self, now: datetime | None = None) -> Self:
        """Tokens that authenticate: not revoked, not expired, user active."""
        return self.filter(self._active_q(now or timezone.now()))

    def inactive(self, now: datetime | None = None) -> Self:
        """Tokens that no longer authenticate, for any reason."""
        return self.exclude(self._active_q(now or timezone.now()))

    def revoked(self) -> Self:
        return self.filter(revoked_at__isnull=False)

    def expired(self, now: datetime | None = None) -> Self:
        """Tokens past their expiry that were not revoked first."""
        return self.filter(revoked_at__isnull=True, expire_at__lte=now or timezone.now())

    @staticmethod
    def _active_q(now: datetime) -> Q:
        q = Q(revoked_at__isnull=True) & (Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        if _user_model_has_is_active_field():
            q &= Q(user__is_active=True)
        return q


class PersonalAccessTokenManager(
    models.Manager.from_queryset(PersonalAccessTokenQuerySet)  # type: ignore[misc]
):
    @sensitive_variables("secret")
    def provision(
        self,
        user: AbstractBaseUser,
        *,
        name: str,
        type: str | None = None,
        ip_restriction: str | None = DEFAULT,
        expire_at: datetime | None = DEFAULT,
        parent: PersonalAccessToken | None = None,
    ) -> tuple[PersonalAccessToken, str]:
        """Make a token for ``user``; return it and its secret.

        ``name`` is stored as :func:`normalize_name` gives it, and must differ
        in that form from the names of the user's other active tokens.

        ``type`` None or left out: the default type. ``ip_restriction`` and
        ``expire_at`` left out: the parent's if there is one, else no
        restriction and the type's default lifetime; None means any address
        and never expiring. ``parent`` is the token that authenticated the
        request asking for this one: the new token may not outlive it, allow
        more addresses or use more methods.

        The secret is returned here and nowhere else; only its digest is
        stored. Raises :class:`~django.core.exceptions.ValidationError`, keyed
        by field name, for anything the rules refuse, and
        :class:`InactiveRequester` when the user or the parent is no longer
        active by the time the token would be made.
        """
        if parent is not None and parent.user_id != user.pk:
            raise ValueError("a parent token must belong to the same user")
        now = timezone.now()
        errors: dict[str, str] = {}

        clean_name = _clean_name(name, errors)
        token_type = _clean_type(type, parent, errors)
        restriction = _clean_ip_restriction(ip_restriction, parent, errors)
        if token_type is not None:
            expire_at = _clean_expire_at(expire_at, token_type, parent, now, errors)
        # The None checks hold whenever errors is empty; they are for the type checker.
        if errors or token_type is None or clean_name is None:
            raise ValidationError(errors)

        cap = pat_settings.max_active_tokens_per_user
        with transaction.atomic(using=self.db):
            # Lock the owner's row so that concurrent requests for the same
            # user check the cap and the name one after the other.
            owners = user.__class__._default_manager.select_for_update().filter(pk=user.pk)
            if _user_model_has_is_active_field():
                owners = owners.filter(is_active=True)
            if not owners.values("pk"):
                raise InactiveRequester(f"The user {user.get_username()!r} is not active.")
            # The parent authenticated the request, but may have been revoked
            # since: a revoked token must never mint a new one. Its row stays
            # locked until the new token is committed, so a revoke of it waits.
            if parent is not None and not (
                self.active(now).select_for_update(of=("self",)).filter(pk=parent.pk).values("pk")
            ):
                raise InactiveRequester("The token used to ask is no longer active.")
            # Names are stored normalised: plain equality is the rule.
            counts = (
                self.active(now)
                .for_user(user)
                .aggregate(total=Count("pk"), same_name=Count("pk", filter=Q(name=clean_name)))
            )
            if counts["same_name"]:
                raise ValidationError(
                    {"name": f"You already have an active token named {clean_name!r}."}
                )
            if cap is not None and counts["total"] >= cap:
                raise ValidationError(
                    f"You already have {cap} active tokens, the most allowed; "
                    "revoke one before making another."
                )
            secret = tokens.generate(pat_settings.token_prefix)
            token = self.create(
                user=user,
                name=clean_name,
                type=token_type.name,
                digest=tokens.digest(secret),
                display_prefix=tokens.display_prefix(secret),
                ip_restriction=str(restriction),
                created_at=now,
                expire_at=expire_at,
            )
        token_provisioned.send(sender=PersonalAccessToken, token=token, parent=parent)
        return token, secret


# Categories refused inside a name: control characters (a tab, a newline, an
# escape sequence that recolours a terminal), lone surrogates (no database can
# store them) and line and paragraph separators (which break a name across
# lines like a newline would).
_REFUSED_CATEGORIES = {
    "Cc": "control character",
    "Cs": "surrogate",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}
# Longer input is refused before it is normalised: CPython's NFC takes time
# quadratic in a run of combining marks, and a request body of 64 KiB holds
# enough of them for seconds of work. Four times the limit leaves room for a
# name written decomposed and with invisible characters in it.
_NAME_INPUT_MAX_LENGTH = 4 * NAME_MAX_LENGTH


def normalize_name(name: str) -> str:
    """The form in which a token's name is stored, shown and compared.

    Invisible format characters (Unicode category Cf: zero-width spaces and
    joiners, the byte order mark, the soft hyphen, every bidirectional
    control) are removed, the rest is put in Unicode NFC and trimmed of
    whitespace. So ``"deploy"``, ``"deploy\u200b"`` and ``" deploy "`` are one
    name, and so are ``"Caf\u00e9"`` and ``"Cafe\u0301"``; ``"Deploy"`` is
    another. Removing the zero-width joiner splits an emoji sequence into its
    parts (a family becomes its members side by side), and removing tag
    characters turns a subdivision flag into a plain black flag: the name
    still reads, and cannot hide a difference.
    """
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    # NFC after the removal: a format character between a letter and a
    # combining accent would otherwise keep them from composing.
    return unicodedata.normalize("NFC", visible).strip()


def _clean_name(name: object, errors: dict[str, str]) -> str | None:
    if not isinstance(name, str):
        errors["name"] = f"Name must be a string, not {name!r}."
        return None
    if len(name) > _NAME_INPUT_MAX_LENGTH:
        errors["name"] = (
            f"Name {name[:20]!r}… is {len(name)} characters long; at most "
            f"{NAME_MAX_LENGTH} are allowed."
        )
        return None
    clean = normalize_name(name)
    refused = next((c for c in clean if unicodedata.category(c) in _REFUSED_CATEGORIES), None)
    if not name.strip():
        errors["name"] = "Name may not be blank."
    elif not clean:
        errors["name"] = f"Name {name!r} is made only of invisible characters."
    elif len(clean) > NAME_MAX_LENGTH:
        errors["name"] = (
            f"Name {clean[:20]!r}… is {len(clean)} characters long; at most "
            f"{NAME_MAX_LENGTH} are allowed."
        )
    elif refused is not None:
        what = _REFUSED_CATEGORIES[unicodedata.category(refused)]
        errors["name"] = (
            f"Name {clean!r} contains the {what} U+{ord(refused):04X}, which is not allowed."
        )
    else:
        return clean
    return None


def _clean_type(
    value: object, parent: PersonalAccessToken | None, errors: dict[str, str]
) -> TokenType | None:
    types = pat_settings.types
    parent_type = parent.token_type if parent is not None else None
    if value is None:
        chosen = pat_settings.default_type
        # Left out under a weaker parent, the new token takes the parent's type.
        if parent_type is not None and not chosen.within(parent_type):
            chosen = parent_type
        return chosen
    if not isinstance(value, str) or value not in types:
        errors["type"] = f"{value!r} is not a token type; choose one of {', '.join(types)}."
        return None
    chosen = types[value]
    if parent is not None and (parent_type is None or not chosen.within(parent_type)):
        errors["type"] = (
            f"Type {value!r} allows more than the {parent.type!r} token used to make it."
        )
        return None
    return chosen


def _clean_ip_restriction(
    value: object, parent: PersonalAccessToken | None, errors: dict[str, str]
) -> IPRestriction:
    parent_restriction = parent.restriction if parent is not None else IPRestriction(())
    if value is DEFAULT:
        return parent_restriction
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors["ip_restriction"] = "IP restriction must be a string or null."
        return parent_restriction
    try:
        restriction = IPRestriction.parse(value)
    except IPRestrictionError as error:
        errors["ip_restriction"] = str(error)
        return parent_restriction
    if not restriction.within(parent_restriction):
        errors["ip_restriction"] = (
            f"IP restriction '{restriction or 'any address'}' allows addresses that "
            f"the token used to make it does not ('{parent_restriction}')."
        )
    return restriction


def _clean_expire_at(
    value: object,
    token_type: TokenType,
    parent: PersonalAccessToken | None,
    now: datetime,
    errors: dict[str, str],
) -> datetime | None:
    maximum = token_type.max_lifetime
    latest = now + maximum if maximum is not None else None
    parent_expiry = parent.expire_at if parent is not None else None

    if value is DEFAULT:
        default = now + token_type.default_lifetime if token_type.default_lifetime else None
        if parent is None:
            return default
        # Inherit the parent's expiry, unless it lies beyond what this type
        # may have; then the type's default, still no later than the parent.
        if latest is None or (parent_expiry is not None and parent_expiry <= latest):
            return parent_expiry
        return min(filter(None, (parent_expiry, default)), default=None)

    if value is None:
        if latest is not None:
            errors["expire_at"] = (
                f"Tokens of type {token_type.name!r} must expire, no later than {rfc3339(latest)}."
            )
        elif parent_expiry is not None:
            errors["expire_at"] = (
                "A token that never expires would outlive the token used to make it."
            )
        return None
    if not isinstance(value, datetime) or timezone.is_naive(value):
        errors["expire_at"] = f"Expiry {value!r} is not a date and time with a time zone."
        return None
    try:
        value.astimezone(dt_timezone.utc)
    except OverflowError:
        errors["expire_at"] = f"Expiry {value.isoformat()} is out of range."
        return None
    if value <= now:
        errors["expire_at"] = f"Expiry {value.isoformat()} is not in the future."
    elif latest is not None and value > latest:
        errors["expire_at"] = (
            f"Expiry {value.isoformat()} is later than the longest lifetime allowed for "
            f"type {token_type.name!r} ({rfc3339(latest)})."
        )
    elif parent_expiry is not None and value > parent_expiry:
        errors["expire_at"] = (
            f"Expiry {value.isoformat()} is later than that of the token used to make it "
            f"({rfc3339(parent_expiry)})."
        )
    return value


class PersonalAccessToken(models.Model):
    """A named secret that authenticates requests as its user.

    Only a SHA-256 digest of the secret is stored. Revoking keeps the row, so
    that the token stays on record with ``revoked_at`` set.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="personal_access_tokens",
    )
    # Stored as normalize_name() gives it, so that names compare exactly.
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    type = models.CharField(max_length=32)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    display_prefix = models.CharField(max_length=32, editable=False)
    # Normalised by IPRestriction; empty means any address.
    ip_restriction = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expire_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects: ClassVar[PersonalAccessTokenManager] = PersonalAccessTokenManager()

    class Meta:
        verbose_name = "personal access token"
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

    def is_active(self, now: datetime | None = None) -> bool:
        """Whether this token authenticates: not revoked, not expired, user active."""
        return (
            self.revoked_at is None
            and not self.is_expired(now)
            and getattr(self.user, "is_active", True)
        )

    @property
    def status(self) -> str:
        """Why the token does or does not authenticate: ``"revoked"``,
        ``"expired"``, ``"user_inactive"`` or ``"active"``, in that order."""
        if self.revoked_at is not None:
            return "revoked"
        if self.is_expired():
            return "expired"
        return "active" if getattr(self.user, "is_active", True) else "user_inactive"

    def revoke(self) -> bool:
        """Revoke the token now; True if this call revoked it.

        Idempotent: a second call changes nothing and sends no signal. One
        conditional UPDATE, so concurrent calls revoke and signal once.
        """
        now = timezone.now()
        revoked = (
            type(self)
            ._default_manager.filter(pk=self.pk, revoked_at__isnull=True)
            .update(revoked_at=now)
        )
        if revoked:
            self.revoked_at = now
            token_revoked.send(sender=type(self), token=self)
            return True
        if self.revoked_at is None:
            self.refresh_from_db(fields=["revoked_at"])
        return False
