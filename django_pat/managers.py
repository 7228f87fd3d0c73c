"""The manager of :class:`~django_pat.models.PersonalAccessToken`, whose
``provision()`` is the one way to make a token."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.debug import sensitive_variables

from . import tokens, validation
from .conf import pat_settings
from .querysets import PersonalAccessTokenQuerySet
from .signals import token_provisioned
from .users import InactiveRequester, lock_active_owner
from .validation import DEFAULT

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import PersonalAccessToken

__all__ = ["PersonalAccessTokenManager"]


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
        scopes: list[str] | None = DEFAULT,
        description: str = "",
    ) -> tuple[PersonalAccessToken, str]:
        """Make a token for ``user``; return it and its secret.

        ``type`` None or left out: the default type. ``ip_restriction`` and
        ``expire_at`` left out: the parent's if there is one, else no
        restriction and the type's default lifetime; None means any address
        and never expiring. ``parent`` is the token that authenticated the
        request asking for this one: the new token may not outlive it, allow
        more addresses or use more methods. ``scopes`` left out: the parent's,
        else ``DEFAULT_SCOPES``; None means not restricted by scope, ``[]`` no
        scope; never one the parent lacks. ``description`` is the owner's
        note, up to 1000 characters, trimmed.

        ``name`` is stored as :func:`normalize_name` gives it, and must differ
        in that form from the names of the user's other active tokens.

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

        clean_name = validation.clean_name(name, errors)
        token_type = validation.clean_type(type, parent, errors)
        restriction = validation.clean_ip_restriction(ip_restriction, parent, errors)
        if token_type is not None:
            expire_at = validation.clean_expire_at(expire_at, token_type, parent, now, errors)
        clean_scopes = validation.clean_scopes(scopes, parent, errors)
        clean_description = validation.clean_description(description, errors)
        # The None checks hold whenever errors is empty; they are for the type checker.
        if errors or token_type is None or clean_name is None:
            raise ValidationError(errors)

        cap = pat_settings.max_active_tokens_per_user
        with transaction.atomic(using=self.db):
            # Lock the owner's row so that concurrent requests for the same
            # user check the cap and the name one after the other.
            lock_active_owner(user)
            # The parent authenticated the request, but may have been revoked
            # since: a revoked token must never mint a new one. Its row stays
            # locked until the new token is committed, so a revoke of it waits.
            if parent is not None and not (
                self.active(now).select_for_update(of=("self",)).filter(pk=parent.pk).values("pk")
            ):
                raise InactiveRequester(gettext("The token used to ask is no longer active."))
            # Names are stored normalised: plain equality is the rule.
            counts = (
                self.active(now)
                .for_user(user)
                .aggregate(total=Count("pk"), same_name=Count("pk", filter=Q(name=clean_name)))
            )
            if counts["same_name"]:
                raise ValidationError(
                    {
                        "name": gettext("You already have an active token named %(name)s.")
                        % {"name": repr(clean_name)}
                    }
                )
            if cap is not None and counts["total"] >= cap:
                raise ValidationError(
                    ngettext(
                        # The same English for one: the sentence reads as it always has.
                        "You already have %(count)d active tokens, the most allowed; "
                        "revoke one before making another.",
                        "You already have %(count)d active tokens, the most allowed; "
                        "revoke one before making another.",
                        cap,
                    )
                    % {"count": cap}
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
                scopes=clean_scopes,
                description=clean_description,
            )

        def provisioned() -> None:
            token_provisioned.send(sender=self.model, token=token, parent=parent)

        # Sent once the token is committed, never for one a rollback undoes.
        transaction.on_commit(provisioned, using=self.db, robust=True)
        return token, secret
