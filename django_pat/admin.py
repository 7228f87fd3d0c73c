"""Staff pages for personal access tokens: find, inspect, revoke, provision.

Every page here is a view over the model's own rules: the status filter uses
the queryset's names, revoking calls :meth:`PersonalAccessToken.revoke`,
provisioning calls ``PersonalAccessToken.objects.provision``. Nothing is ever
edited in place. The digest is never shown; the secret is shown once, in the
response to provisioning a token here, and nowhere else.

Permissions (Django's model permissions on ``django_pat.PersonalAccessToken``):

* ``view``: the list, the detail pages and "find a token by its value";
* ``revoke`` (``django_pat.revoke_personalaccesstoken``) together with
  ``view``: the revoke action, the revoke button and its confirmation page
  (alone it grants nothing: revoking starts from a token one can see);
* ``add``: provisioning a token for a user who holds no more than the staff
  member does (:func:`validate_provisioning_for`); superusers, for anyone.

Rows are never deleted from here: revoked tokens stay for the audit trail.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote as unquote_url

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats, timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import localtime
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from . import tokens
from .conf import pat_settings
from .models import DEFAULT, NAME_MAX_LENGTH, PersonalAccessToken, PersonalAccessTokenQuerySet

if TYPE_CHECKING:
    from django.urls import URLPattern

    TokenAdminBase = admin.ModelAdmin[PersonalAccessToken]
    TokenInlineBase = admin.TabularInline[PersonalAccessToken, Model]
else:
    TokenAdminBase = admin.ModelAdmin
    TokenInlineBase = admin.TabularInline

__all__ = [
    "REVOKE_PERMISSION",
    "PersonalAccessTokenAdmin",
    "PersonalAccessTokenInline",
    "validate_provisioning_for",
]

REVOKE_PERMISSION = "django_pat.revoke_personalaccesstoken"

STATUS_LABELS = {
    "active": "active",
    "revoked": "revoked",
    "expired": "expired",
    "user_inactive": "user inactive",
}


def _token_queryset(queryset: QuerySet[PersonalAccessToken]) -> PersonalAccessTokenQuerySet:
    # The admin hands on querysets of the model's default manager.
    return cast(PersonalAccessTokenQuerySet, queryset)


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
        return _moment(token.created_at, formats.date_format(localtime(token.created_at), "Y-m-d"))

    @admin.display(description="expires", ordering="expire_at")
    def expires(self, token: PersonalAccessToken) -> str:
        return _relative(token.expire_at) if token.expire_at else _muted("never")

    @admin.display(description="last used", ordering="last_used_at")
    def last_used(self, token: PersonalAccessToken) -> str:
        return _relative(token.last_used_at) if token.last_used_at else _muted("never")

    @admin.display(description="created")
    def created_exactly(self, token: PersonalAccessToken) -> str:
        return _exactly(token.created_at)

    @admin.display(description="expires")
    def expires_exactly(self, token: PersonalAccessToken) -> str:
        return _exactly(token.expire_at) if token.expire_at else _muted("never")

    @admin.display(description="last used")
    def last_used_exactly(self, token: PersonalAccessToken) -> str:
        return _exactly(token.last_used_at) if token.last_used_at else _muted("never")

    @admin.display(description="revoked")
    def revoked_exactly(self, token: PersonalAccessToken) -> str:
        return _exactly(token.revoked_at) if token.revoked_at else _muted("no")

    @admin.display(description="IP restriction")
    def ip_restriction_display(self, token: PersonalAccessToken) -> str:
        if not token.ip_restriction:
            return _muted("any address")
        # A space after each comma lets a long list wrap.
        return ", ".join(token.ip_restriction.split(","))


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("active", "Active"),
            ("revoked", "Revoked"),
            ("expired", "Expired"),
            ("inactive", "Not active, for any reason"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        tokens = _token_queryset(queryset)
        rules = {
            "active": tokens.active,
            "revoked": tokens.revoked,
            "expired": tokens.expired,
            "inactive": tokens.inactive,
        }
        rule = rules.get(self.value() or "")
        return rule() if rule is not None else queryset


class TypeFilter(admin.SimpleListFilter):
    title = "type"
    parameter_name = "type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(name, name) for name in pat_settings.types]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(type=value) if value else queryset


class _TimeFilter(admin.SimpleListFilter):
    """A filter whose choices are conditions on a moment, relative to now."""

    # value -> label; ``conditions`` gives each value's Q for the current time.
    labels: dict[str, str] = {}

    def conditions(self, now: datetime) -> dict[str, Q]:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(self.labels.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = self.conditions(timezone.now()).get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


class ExpiryFilter(_TimeFilter):
    title = "expiry"
    parameter_name = "expires"
    labels = {
        "7d": "In the next 7 days",
        "30d": "In the next 30 days",
        "past": "Already passed",
        "never": "Never",
    }

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            "7d": Q(expire_at__gt=now, expire_at__lte=now + timedelta(days=7)),
            "30d": Q(expire_at__gt=now, expire_at__lte=now + timedelta(days=30)),
            "past": Q(expire_at__lte=now),
            "never": Q(expire_at__isnull=True),
        }


class LastUsedFilter(_TimeFilter):
    title = "last used"
    parameter_name = "used"
    labels = {
        "7d": "In the last 7 days",
        "stale": "Not in the last 90 days",
        "never": "Never",
    }

    def conditions(self, now: datetime) -> dict[str, Q]:
        return {
            "7d": Q(last_used_at__gte=now - timedelta(days=7)),
            "stale": Q(last_used_at__lt=now - timedelta(days=90)),
            "never": Q(last_used_at__isnull=True),
        }


class OwnerFilter(admin.SimpleListFilter):
    """Shown only while set, by the links in the owner column."""

    title = "owner"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if value is None:
            return []
        owner = self._owner()
        # Shown even for no such user: a filter with no choices is not applied.
        return [(value, owner.get_username() if owner is not None else "no such user")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        owner = self._owner()
        return queryset.filter(user=owner) if owner is not None else queryset.none()

    def _owner(self) -> Any:
        if not hasattr(self, "_cached_owner"):
            self._cached_owner = None
            if self.value() is not None:
                users = get_user_model()._default_manager
                with contextlib.suppress(ValidationError, ValueError, TypeError):
                    self._cached_owner = users.filter(pk=self.value()).first()
        return self._cached_owner


class FindTokenForm(forms.Form):
    """Looks a token up by its full value, which it never renders back."""

    class _BlankTextInput(forms.TextInput):
        def format_value(self, value: Any) -> None:
            return None

    token = forms.CharField(
        label="Token",
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
                f"This is not a token of this site: its tokens read '{prefix}_' followed by "
                f"{tokens.RANDOM_LENGTH + tokens.CHECKSUM_LENGTH} letters and digits, and "
                "the last six must be the checksum of the rest.",
                code="malformed",
            ) from None
        token = (
            PersonalAccessToken.objects.select_related("user")
            .filter(digest=tokens.digest(raw))
            .first()
        )
        if token is None:
            raise ValidationError(
                "No token with this value exists here. It may belong to another site, or "
                "have been deleted with its user.",
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
            "%(user)s is a superuser: only a superuser may provision a token for them, "
            "since a token can do whatever its owner can.",
            code="superuser",
            params={"user": repr(name)},
        )
    if getattr(owner, "is_staff", False) and not getattr(requester, "is_staff", False):
        raise ValidationError(
            "%(user)s is staff and you are not: only a superuser may provision a token "
            "for them, since a token can do whatever its owner can.",
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
            "%(user)s holds permissions you do not: only a superuser may provision a "
            "token for them, since a token can do whatever its owner can.",
            code="permissions",
            params={"user": repr(name)},
        )


class ProvisionTokenForm(forms.Form):
    """What staff fill in to provision a token for a user.

    The form reads the values and checks that the staff member may provision
    for that user (:func:`validate_provisioning_for`);
    ``PersonalAccessToken.objects.provision`` decides whether the values are
    allowed, and its errors are put on these fields.
    """

    name = forms.CharField(
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "vTextField", "maxlength": NAME_MAX_LENGTH}),
        help_text="What the token is for, e.g. 'deploy from CI'. Unique among the user's "
        "active tokens.",
    )
    type = forms.ChoiceField(choices=())
    ip_restriction = forms.CharField(
        label="IP restriction",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"class": "vTextField"}),
        help_text="Addresses and networks, comma-separated (10.0.0.0/8, 2001:db8::1). "
        "Empty: any address.",
    )
    expire_at = forms.SplitDateTimeField(
        label="Expires",
        required=False,
        widget=widgets.AdminSplitDateTime,
    )
    never_expires = forms.BooleanField(
        label="Never expires",
        required=False,
        help_text="Only allowed where no maximum lifetime is configured.",
    )

    def __init__(self, *args: Any, user_field: forms.Field, requester: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requester = requester
        # The user field comes first, with the admin's widget for picking a user.
        self.fields = {"user": user_field, **self.fields}
        types = pat_settings.types
        type_field = cast(forms.ChoiceField, self.fields["type"])
        type_field.choices = [(name, name) for name in types]
        type_field.initial = pat_settings.default_type.name
        type_field.help_text = "; ".join(
            f"{name}: {_describe_methods(t.methods)}" for name, t in types.items()
        )
        self.fields["expire_at"].help_text = (
            "Empty: the type's default lifetime ("
            + "; ".join(
                f"{name}: {_describe_lifetime(t.default_lifetime)}" for name, t in types.items()
            )
            + ")."
        )

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
            raise ValidationError("Give an expiry or tick 'Never expires', not both.")
        return data

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
        }


def _muted(text: str) -> str:
    return format_html('<span class="pat-muted">{}</span>', text)


def _moment(value: datetime, text: str) -> str:
    """``text`` about a moment, with the exact time on hover."""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        formats.date_format(localtime(value), "DATETIME_FORMAT"),
        text,
    )


def _relative_text(value: datetime) -> str:
    now = timezone.now()
    if abs(now - value) < timedelta(minutes=1):
        return "just now" if value <= now else "in under a minute"
    if value <= now:
        return f"{timesince(value, now, depth=1)} ago"
    return f"in {timeuntil(value, now, depth=1)}"


def _relative(value: datetime) -> str:
    return _moment(value, _relative_text(value))


def _exactly(value: datetime) -> str:
    exact = formats.date_format(localtime(value), "DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}">{}</time> <span class="pat-muted">({})</span>',
        value.isoformat(),
        exact,
        _relative_text(value),
    )


def _describe_methods(methods: frozenset[str] | None) -> str:
    return "every method" if methods is None else ", ".join(sorted(methods))


def _describe_lifetime(lifetime: timedelta | None) -> str:
    if lifetime is None:
        return "never expires"
    days = lifetime / timedelta(days=1)
    return f"{days:g} days" if days >= 1 else str(lifetime)


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(TokenDisplay, TokenAdminBase):
    """The token list, detail, find-by-value, revoke and provision pages."""

    list_display = (
        "owner",
        "name",
        "type",
        "status_badge",
        "display_prefix",
        "created",
        "expires",
        "last_used",
        "ip_restriction_display",
    )
    list_display_links = ("name",)
    list_select_related = ("user",)
    list_filter = (
        StatusFilter,
        TypeFilter,
        ("created_at", admin.DateFieldListFilter),
        ExpiryFilter,
        LastUsedFilter,
        OwnerFilter,
    )
    search_help_text = (
        "Search by the owner's username or email, the token's name or its display prefix. "
        "To look up a whole token, use 'Find a token by its value'."
    )
    ordering = ("-created_at", "-id")
    list_per_page = 50
    actions = ("revoke_selected",)
    # The detail page: every field read-only, never the digest.
    _about = ("name", "owner_link", "status_badge", "type", "display_prefix", "id")
    _limits = ("ip_restriction_display", "expires_exactly")
    _activity = ("created_exactly", "last_used_exactly", "revoked_exactly")
    fieldsets = (
        (None, {"fields": _about}),
        ("Limits", {"fields": _limits}),
        ("Activity", {"fields": _activity}),
    )
    readonly_fields = (*_about, *_limits, *_activity)
    add_form_template = "admin/django_pat/personalaccesstoken/provision_form.html"
    # The picker for the owner on the provisioning form; autocomplete is used
    # instead when the user admin can search (see get_autocomplete_fields).
    raw_id_fields = ("user",)

    class Media:
        css = {"all": ("django_pat/admin/tokens.css",)}
        js = ("django_pat/admin/tokens.js",)

    # -- columns ---------------------------------------------------------

    @admin.display(description="owner", ordering="user__" + get_user_model().USERNAME_FIELD)
    def owner(self, token: PersonalAccessToken) -> str:
        return format_html(
            '<a href="?{}={}" title="{}">{}</a>',
            OwnerFilter.parameter_name,
            token.user.pk,
            "Only this user's tokens",
            token.user.get_username(),
        )

    @admin.display(description="owner")
    def owner_link(self, token: PersonalAccessToken) -> str:
        user = token.user
        opts = user._meta
        try:
            url = reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[user.pk],
            )
        except NoReverseMatch:
            return user.get_username()
        return format_html('<a href="{}">{}</a>', url, user.get_username())

    # -- permissions -----------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing about a token is edited in place; staff revoke instead.
        return False

    def has_revoke_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoking starts from a token one can see: without the view
        # permission, the confirmation page would show what the list hides.
        return request.user.has_perm(REVOKE_PERMISSION) and self.has_view_permission(request)

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Django 6.1 passes where the actions show (action_location); 5.2 does not.
        if action_location is None:
            actions = super().get_actions(request)
        else:
            actions = super().get_actions(request, action_location)  # type: ignore[call-arg]
        # Revoked tokens stay for the audit trail. (A token still goes when
        # its user is deleted, for whoever holds the delete permission.)
        actions.pop("delete_selected", None)
        return actions

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        user_model = get_user_model()
        fields = ["user__" + user_model.USERNAME_FIELD]
        email = user_model.get_email_field_name()
        if email != user_model.USERNAME_FIELD and _has_field(user_model, email):
            fields.append("user__" + email)
        return [*fields, "name", "display_prefix"]

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # Autocomplete needs a user admin that can search; a project's own
        # user admin may not, and then the raw id widget does the job.
        try:
            user_admin = self.admin_site.get_model_admin(get_user_model())
        except NotRegistered:
            return ()
        return ("user",) if user_admin.get_search_fields(request) else ()

    # -- urls ------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "find/",
                self.admin_site.admin_view(self.find_view),
                name="{}_{}_find".format(*info),
            ),
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name="{}_{}_revoke".format(*info),
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args: Any) -> str:
        info = self.admin_site.name, self.opts.app_label, self.opts.model_name
        return reverse("{}:{}_{}_".format(*info) + name, args=args)

    def _context(self, request: HttpRequest, **context: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "media": self.media,
            **context,
        }

    # -- the list --------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        diverted = _without_tokens(request)
        if diverted is not None:
            return diverted
        context = {
            "find_url": self._url("find"),
            "token_pattern": _token_pattern(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # -- the detail page -------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonalAccessToken]:
        return super().get_queryset(request).select_related("user")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        diverted = _without_tokens(request)
        if diverted is not None:
            return diverted
        context = {
            "show_delete": False,
            "can_revoke": self.has_revoke_permission(request),
            "revoke_url": self._url("revoke", object_id),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    # -- find a token by its value ---------------------------------------

    @method_decorator(sensitive_post_parameters("token"))
    def find_view(self, request: HttpRequest) -> HttpResponse:
        """Take a full token by POST and go to its page; never echo the value."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = FindTokenForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            token: PersonalAccessToken = form.cleaned_data["token"]
            messages.info(
                request,
                format_html(
                    "That value is the token '{}' ({}) of {}.",
                    token.name,
                    token.display_prefix,
                    token.user.get_username(),
                ),
            )
            return HttpResponseRedirect(self._url("change", token.pk))
        context = self._context(
            request,
            title="Find a token by its value",
            form=form,
            changelist_url=self._url("changelist"),
        )
        return TemplateResponse(request, "admin/django_pat/personalaccesstoken/find.html", context)

    # -- revoke ----------------------------------------------------------

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_selected(
        self, request: HttpRequest, queryset: QuerySet[PersonalAccessToken]
    ) -> HttpResponse | None:
        selected = list(queryset.select_related("user"))
        if request.POST.get("post") == "yes":
            self._revoke(request, selected)
            return None
        return self._revoke_confirmation(
            request,
            selected,
            hidden=[("action", "revoke_selected"), ("post", "yes")]
            + [(helpers.ACTION_CHECKBOX_NAME, str(token.pk)) for token in selected],
            form_url="",
            cancel_url=request.get_full_path(),
        )

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: ask to confirm; POST: revoke this token now."""
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            # An "ID" that is a token pasted into the address is not shown back.
            shown = "that ID" if _contains_token(object_id) else f"the ID {object_id!r}"
            self.message_user(request, f"No personal access token has {shown}.", messages.WARNING)
            return HttpResponseRedirect(self._url("changelist"))
        if request.method == "POST":
            self._revoke(request, [token])
            return HttpResponseRedirect(self._url("change", token.pk))
        return self._revoke_confirmation(
            request,
            [token],
            hidden=[],
            form_url=self._url("revoke", token.pk),
            cancel_url=self._url("change", token.pk),
        )

    def _revoke(self, request: HttpRequest, selected: Iterable[PersonalAccessToken]) -> None:
        revoked = already = 0
        for token in selected:
            if token.revoke():
                self.log_change(request, token, "Revoked.")
                revoked += 1
            else:
                already += 1
        if revoked:
            self.message_user(
                request,
                ngettext(
                    "Revoked %(count)d token. It no longer authenticates.",
                    "Revoked %(count)d tokens. They no longer authenticate.",
                    revoked,
                )
                % {"count": revoked},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d token was already revoked.",
                    "%(count)d tokens were already revoked.",
                    already,
                )
                % {"count": already},
                messages.INFO,
            )

    def _revoke_confirmation(
        self,
        request: HttpRequest,
        selected: list[PersonalAccessToken],
        *,
        hidden: list[tuple[str, str]],
        form_url: str,
        cancel_url: str,
    ) -> TemplateResponse:
        to_revoke = [token for token in selected if token.revoked_at is None]
        context = self._context(
            request,
            title="Revoke tokens?" if len(selected) > 1 else "Revoke this token?",
            to_revoke=[(token, self._row(token)) for token in to_revoke],
            already_revoked=len(selected) - len(to_revoke),
            hidden=hidden,
            form_url=form_url,
            cancel_url=cancel_url,
            changelist_url=self._url("changelist"),
        )
        return TemplateResponse(
            request, "admin/django_pat/personalaccesstoken/revoke_confirmation.html", context
        )

    def _row(self, token: PersonalAccessToken) -> dict[str, Any]:
        return {
            "url": self._url("change", token.pk),
            "status": self.status_badge(token),
            "ip_restriction": self.ip_restriction_display(token),
        }

    # -- provision -------------------------------------------------------

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        return {key: initial[key] for key in ("user", "name", "type") if key in initial}

    @sensitive_variables("secret")
    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Provision a token for a user; the response shows its secret once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        diverted = _without_tokens(request)
        if diverted is not None:
            return diverted
        user_field = self.formfield_for_dbfield(self.opts.get_field("user"), request)
        assert user_field is not None
        if request.method == "POST":
            form = ProvisionTokenForm(request.POST, user_field=user_field, requester=request.user)
            if form.is_valid():
                try:
                    token, secret = PersonalAccessToken.objects.provision(
                        form.cleaned_data["user"], **form.provision_arguments()
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    self.log_addition(request, token, [{"added": {}}])
                    return self._provisioned(request, token, secret)
        else:
            form = ProvisionTokenForm(
                initial=self.get_changeform_initial_data(request),
                user_field=user_field,
                requester=request.user,
            )
        # The admin's form helpers are typed for model forms, but only read
        # what every form has.
        admin_form = helpers.AdminForm(
            cast(Any, form),
            [
                (None, {"fields": ["user", "name", "type"]}),
                ("Limits", {"fields": ["ip_restriction", "expire_at", "never_expires"]}),
            ],
            {},
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Provision a token",
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(cast(Any, form), []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _provisioned(
        self, request: HttpRequest, token: PersonalAccessToken, secret: str
    ) -> TemplateResponse:
        # The secret goes into this response's body and nowhere else: not a
        # message (a cookie or the session), not a redirect's URL.
        context = self._context(
            request,
            title=f"Token provisioned for {token.user.get_username()}",
            token=token,
            secret=secret,
            row=self._row(token),
            owner=self.owner_link(token),
            changelist_url=self._url("changelist"),
            add_url=self._url("add"),
        )
        response = TemplateResponse(
            request, "admin/django_pat/personalaccesstoken/provisioned.html", context
        )
        patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response


class PersonalAccessTokenInline(TokenDisplay, TokenInlineBase):
    """A user's tokens, read-only, with links to their pages, on the user's page.

    Attached by itself to ``django.contrib.auth``'s own ``UserAdmin`` when that
    is what the admin site registered for the user model. With a user admin of
    your own, add it yourself::

        class MyUserAdmin(UserAdmin):
            inlines = [*UserAdmin.inlines, PersonalAccessTokenInline]
    """

    model = PersonalAccessToken
    fk_name = "user"
    extra = 0
    can_delete = False
    show_change_link = True
    readonly_fields = fields = (
        "name",
        "type",
        "status_badge",
        "display_prefix",
        "created",
        "expires",
        "last_used",
        "ip_restriction_display",
    )

    class Media:
        css = {"all": ("django_pat/admin/tokens.css",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[PersonalAccessToken]:
        # The status column reads token.user.
        return super().get_queryset(request).select_related("user")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def attach_user_inline(site: admin.AdminSite = admin.site) -> bool:
    """Add :class:`PersonalAccessTokenInline` to ``site``'s user admin if it is
    ``django.contrib.auth``'s own ``UserAdmin``; True if it is there now."""
    if not apps.is_installed("django.contrib.auth"):
        return False
    # Imported here so that the default UserAdmin is registered whatever the
    # order of INSTALLED_APPS; autodiscover would import it anyway.
    from django.contrib.auth.admin import UserAdmin

    try:
        user_admin = site.get_model_admin(get_user_model())
    except NotRegistered:
        return False
    if type(user_admin) is not UserAdmin:
        return PersonalAccessTokenInline in user_admin.inlines
    if PersonalAccessTokenInline not in user_admin.inlines:
        # On this one instance only: the class stays Django's own.
        user_admin.inlines = [*user_admin.inlines, PersonalAccessTokenInline]  # type: ignore[misc]
    return True


def _token_pattern() -> str:
    """What a token looks like, checksum unchecked, anywhere in a text.

    Matched without regard to case, as secret scanners do: a token whose
    prefix was upper-cased on the way still gives its secret part away.
    """
    length = tokens.RANDOM_LENGTH + tokens.CHECKSUM_LENGTH
    return f"{re.escape(pat_settings.token_prefix)}_[0-9A-Za-z]{{{length}}}"


@sensitive_variables()
def _contains_token(text: str) -> bool:
    """Whether ``text`` holds something shaped like a token, even percent-encoded."""
    pattern = re.compile(_token_pattern(), re.IGNORECASE)
    return any(pattern.search(form) for form in (text, unquote_url(text)))


@sensitive_variables()
def _without_tokens(request: HttpRequest) -> HttpResponse | None:
    """Send a request whose query string holds a token to the same page without it.

    A token pasted into the search box (``Bearer pat_…``, ``token=pat_…``,
    quoted, upper-cased, percent-encoded) is in this request's URL already,
    too late for that; but not in the page, which would show it back, nor in
    the next URL, nor in the links the page would carry it in.
    """
    params = request.GET.copy()
    dropped = [
        key
        for key, values in params.lists()
        if _contains_token(key) or any(_contains_token(value) for value in values)
    ]
    if not dropped:
        return None
    for key in dropped:
        del params[key]
    what = "search" if SEARCH_VAR in dropped else "address"
    messages.warning(
        request,
        f"That {what} contained a token, and addresses go into logs, so it was dropped. "
        "Paste the token into 'Find a token by its value' instead, which sends it by POST.",
    )
    return HttpResponseRedirect(f"{request.path}?{params.urlencode()}" if params else request.path)


def _has_field(model: type[Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


attach_user_inline()
