"""The forms of the token admin, and who may provision a token for whom.

:class:`FindTokenForm` looks a token up by its full value and never renders
the value back. :class:`ProvisionTokenForm` is the admin's ``add_form``: a
model form whose validation is ``PersonalAccessToken.objects.provision``
itself, so that the model's rules, and their messages, are the only ones.
:func:`validate_provisioning_for` is the rule on who may hand out a token for
whom, for a project's own staff views too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from . import tokens
from .conf import pat_settings
from .models import DEFAULT, NAME_MAX_LENGTH, PersonalAccessToken

if TYPE_CHECKING:
    TokenModelForm = forms.ModelForm[PersonalAccessToken]
else:
    TokenModelForm = forms.ModelForm

__all__ = ["FindTokenForm", "ProvisionTokenForm", "validate_provisioning_for"]


class FindTokenForm(forms.Form):
    """Looks a token up by its full value, which it never renders back."""

    class _BlankTextInput(forms.TextInput):
        def format_value(self, value: Any) -> None:
            return None

    token = forms.CharField(
        label=_("Token"),
        strip=True,
        widget=_BlankTextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autofocus": True,
                "class": "vTextField pat-monospace",
                "placeholder": "pat_…",
            }
        ),
    )

    @sensitive_variables("raw")
    def clean_token(self) -> PersonalAccessToken:
        raw = self.cleaned_data["token"]
        prefix = pat_settings.token_prefix
        try:
            tokens.parse(raw, prefix)
        except tokens.TokenFormatError:
            raise ValidationError(
                gettext(
                    "This is not a token of this site: its tokens read '%(prefix)s_' followed "
                    "by %(length)d letters and digits, and the last six must be the checksum "
                    "of the rest."
                ),
                code="malformed",
                params={
                    "prefix": prefix,
                    "length": tokens.RANDOM_LENGTH + tokens.CHECKSUM_LENGTH,
                },
            ) from None
        token = (
            PersonalAccessToken.objects.select_related("user")
            .filter(digest=tokens.digest(raw))
            .first()
        )
        if token is None:
            raise ValidationError(
                gettext(
                    "No token with this value exists here. It may belong to another site, or "
                    "have been deleted with its user."
                ),
                code="unknown",
            )
        return token


def validate_provisioning_for(requester: Any, owner: Any) -> None:
    """Raise :class:`ValidationError` unless ``requester`` may provision a
    token for ``owner``.

    A token acts with everything its owner may do, so handing one out is
    acting as the owner: allowed for oneself, for anyone by a superuser, and
    otherwise only for an owner who is not a superuser, is not staff unless
    the requester is, and whose permissions (every backend's, groups
    included) are all the requester's too.
    """
    if owner == requester or getattr(requester, "is_superuser", False):
        return
    name = owner.get_username()
    if getattr(owner, "is_superuser", False):
        raise ValidationError(
            gettext(
                "%(user)s is a superuser: only a superuser may provision a token for them, "
                "since a token can do whatever its owner can."
            ),
            code="superuser",
            params={"user": repr(name)},
        )
    if getattr(owner, "is_staff", False) and not getattr(requester, "is_staff", False):
        raise ValidationError(
            gettext(
                "%(user)s is staff and you are not: only a superuser may provision a token "
                "for them, since a token can do whatever its owner can."
            ),
            code="staff",
            params={"user": repr(name)},
        )
    # A user model without Django's permissions cannot tell what its users
    # may do, and then nothing shows the owner holds no more.
    owner_permissions = getattr(owner, "get_all_permissions", None)
    requester_permissions = getattr(requester, "get_all_permissions", None)
    if (
        owner_permissions is None
        or requester_permissions is None
        or not owner_permissions() <= requester_permissions()
    ):
        raise ValidationError(
            gettext(
                "%(user)s holds permissions you do not: only a superuser may provision a "
                "token for them, since a token can do whatever its owner can."
            ),
            code="permissions",
            params={"user": repr(name)},
        )


class ProvisionTokenForm(TokenModelForm):
    """What staff fill in to provision a token for a user.

    The form reads the values and checks that ``requester`` may provision for
    that user (:func:`validate_provisioning_for`). Where Django's model forms
    would then validate an unsaved instance, this one calls
    ``PersonalAccessToken.objects.provision``, which decides whether the
    values are allowed and makes the token at once: its errors go on these
    fields, and a valid form holds the new token as ``instance`` and its
    secret as ``secret``, for the one response that shows it. There is
    nothing left to save.

    The admin's ``get_form`` sets ``requester`` to the staff member asking;
    elsewhere, pass ``requester=request.user``. Without one, the form refuses
    every owner: it fails closed.
    """

    requester: Any = None
    secret: str | None = None

    name = forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "vTextField", "maxlength": NAME_MAX_LENGTH}),
        label=_("Name"),
        help_text=_(
            "What the token is for, e.g. 'deploy from CI'. Unique among the user's active tokens."
        ),
    )
    type = forms.ChoiceField(label=_("Type"), choices=())
    ip_restriction = forms.CharField(
        label=_("IP restriction"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text=_(
            "Addresses and networks, comma-separated (10.0.0.0/8, 2001:db8::1). Empty: any address."
        ),
    )
    expire_at = forms.SplitDateTimeField(
        label=_("Expires"),
        required=False,
        widget=widgets.AdminSplitDateTime,
    )
    never_expires = forms.BooleanField(
        label=_("Never expires"),
        required=False,
        help_text=_("Only allowed where no maximum lifetime is configured."),
    )
    limit_scopes = forms.BooleanField(
        label=_("Limit to scopes"),
        required=False,
        help_text=_(
            "Ticked: the token reaches only what the scopes ticked below allow (none "
            "ticked: no scope at all). Unticked: not restricted by scope, so it reaches whatever "
            "its user may, within its type."
        ),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PersonalAccessToken
        fields = ("user", "name", "type", "ip_restriction", "expire_at")

    def __init__(self, *args: Any, requester: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if requester is not None:
            self.requester = requester
        types = pat_settings.types
        type_field = cast(forms.ChoiceField, self.fields["type"])
        type_field.choices = [(name, name) for name in types]
        type_field.initial = pat_settings.default_type.name
        type_field.help_text = "; ".join(
            f"{name}: {_describe_methods(t.methods)}" for name, t in types.items()
        )
        scopes_field = cast(forms.MultipleChoiceField, self.fields["scopes"])
        scopes_field.choices = [
            (name, f"{name}: {gettext(description)}")
            for name, description in pat_settings.scopes.items()
        ]
        default_scopes = pat_settings.default_scopes
        self.fields["limit_scopes"].initial = default_scopes is not None
        scopes_field.initial = default_scopes or []
        self.fields["expire_at"].help_text = gettext(
            "Empty: the type's default lifetime (%(lifetimes)s)."
        ) % {
            "lifetimes": "; ".join(
                f"{name}: {_describe_lifetime(t.default_lifetime)}" for name, t in types.items()
            )
        }

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.has_error("user", "invalid_choice"):
            # Re-rendered, the autocomplete widget would look the value up,
            # and a value that is no user id at all would crash it.
            data = cast(QueryDict, self.data).copy()
            data.pop("user", None)
            self.data = data

    def clean(self) -> dict[str, Any] | None:
        data = super().clean()
        if data and data.get("user") is not None:
            try:
                validate_provisioning_for(self.requester, data["user"])
            except ValidationError as error:
                self.add_error("user", error)
        if data and data.get("never_expires") and data.get("expire_at") is not None:
            raise ValidationError(gettext("Give an expiry or tick 'Never expires', not both."))
        if data and data.get("scopes") and not data.get("limit_scopes"):
            # Never a token wider than the scopes someone ticked.
            self.add_error(
                "limit_scopes",
                gettext(
                    "Tick 'Limit to scopes' to give the token only the scopes ticked, or untick "
                    "them for a token not restricted by scope."
                ),
            )
        return data

    @sensitive_variables("secret")
    def _post_clean(self) -> None:
        # In place of the model form's validation of an unsaved instance (as
        # Django's own UserCreationForm extends it): provision() is the rule,
        # and it makes the token in the same step, under its locks.
        if self.errors:
            return
        try:
            token, secret = PersonalAccessToken.objects.provision(
                self.cleaned_data["user"], **self.provision_arguments()
            )
        except ValidationError as error:
            self.add_error(None, error)
        else:
            self.instance, self.secret = token, secret

    def provision_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["never_expires"]:
            expire_at = None
        elif data["expire_at"] is None:
            expire_at = DEFAULT
        else:
            expire_at = data["expire_at"]
        return {
            "name": data["name"],
            "type": data["type"],
            "ip_restriction": data["ip_restriction"],
            "expire_at": expire_at,
            "scopes": data["scopes"] if data["limit_scopes"] else None,
        }

    def save(self, commit: bool = True) -> PersonalAccessToken:
        """The token that validating the form provisioned: it is saved already."""
        # Never commit: saving again would only write over the new row.
        return super().save(commit=False)


def _describe_methods(methods: frozenset[str] | None) -> str:
    return gettext("every method") if methods is None else ", ".join(sorted(methods))


def _describe_lifetime(lifetime: timedelta | None) -> str:
    if lifetime is None:
        return gettext("never expires")
    days = lifetime / timedelta(days=1)
    if days >= 1 and days.is_integer():
        return ngettext("%(days)d day", "%(days)d days", int(days)) % {"days": days}
    return gettext("%(days)s days") % {"days": f"{days:g}"} if days >= 1 else str(lifetime)
