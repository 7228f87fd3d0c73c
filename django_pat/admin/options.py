"""The token admin: the list, a token's page, and provisioning through
Django's own add form (``add_form``, ``add_fieldsets``, ``get_form``, as
``django.contrib.auth``'s ``UserAdmin`` does). Its own pages (find, revoke,
provisioned) are in :mod:`.views`, its filters in :mod:`.filters`, the
list's order, paging and search in :mod:`.listing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from ..forms import ProvisionTokenForm
from ..models import PersonalAccessToken
from . import rotation, views
from .addresses import token_pattern, without_tokens
from .display import LIFECYCLE_FIELDS, TokenDisplay, breakable
from .filters import (
    CreatedFilter,
    ExpiryFilter,
    LastUsedFilter,
    OwnerFilter,
    ScopeFilter,
    StatusFilter,
    TypeFilter,
)
from .listing import TokenListing

if TYPE_CHECKING:
    from django.forms import ModelForm
    from django.urls import URLPattern

    TokenAdminBase = admin.ModelAdmin[PersonalAccessToken]
else:
    TokenAdminBase = admin.ModelAdmin

__all__ = ["REVOKE_PERMISSION", "PersonalAccessTokenAdmin"]

REVOKE_PERMISSION = "django_pat.revoke_personalaccesstoken"

# Where the secret of the token just provisioned waits, on the request, for
# the page that shows it.
_PROVISIONED_KEY = "_django_pat_provisioned"


class PersonalAccessTokenAdmin(TokenDisplay, TokenListing, TokenAdminBase):
    """The token list, detail, find-by-value, revoke and provision pages."""

    list_display = (
        "owner",
        "name_and_prefix",
        "access",
        "status_and_expiry",
        "created",
        "last_used",
    )
    list_display_links = ("name_and_prefix",)
    list_select_related = ("user",)
    list_filter = (
        StatusFilter,
        TypeFilter,
        ("created_at", CreatedFilter),
        ExpiryFilter,
        LastUsedFilter,
        OwnerFilter,
        ScopeFilter,
    )
    search_help_text = _(
        "Search by the owner's username or email, the token's name or its display prefix. "
        "To look up a whole token, use 'Find a token by its value'."
    )
    ordering = ("-created_at", "-id")
    list_per_page = 50
    actions = ("revoke_selected",)
    # The most tokens the revoke action takes at once.
    revoke_limit = 1000
    # A token's page: every field read-only, never the digest.
    _about = ("name", "owner_link", "status_badge", "type", "display_prefix", "id")
    _limits = ("ip_restriction_display", "expires_exactly", "scopes_display")
    _activity = ("created_exactly", "last_used_exactly", "revoked_exactly")
    fieldsets = (
        (None, {"fields": _about}),
        (_("Limits"), {"fields": _limits}),
        (_("Activity"), {"fields": _activity}),
        (_("Lifecycle"), {"fields": LIFECYCLE_FIELDS}),
    )
    readonly_fields = (*_about, *_limits, *_activity, *LIFECYCLE_FIELDS)
    # Provisioning: Django's add page, with a form whose validation is
    # provision() itself (the secret is never a field, never stored).
    add_form = ProvisionTokenForm
    add_fieldsets = (
        (None, {"fields": ("user", "name", "type")}),
        (_("Limits"), {"fields": ("ip_restriction", "expire_at", "never_expires")}),
        (_("Scopes"), {"fields": ("limit_scopes", "scopes")}),
    )
    add_form_template = "admin/django_pat/personalaccesstoken/provision_form.html"
    # The picker for the owner on the provisioning form; autocomplete is used
    # instead when the user admin can search (see get_autocomplete_fields).
    raw_id_fields = ("user",)

    class Media:
        css = {"all": ("django_pat/admin/tokens.css",)}
        js = ("django_pat/admin/tokens.js",)

    # -- columns ---------------------------------------------------------

    @admin.display(description=_("owner"), ordering="user__" + get_user_model().USERNAME_FIELD)
    def owner(self, token: PersonalAccessToken) -> str:
        return format_html(
            '<a href="?{}={}" title="{}">{}</a>',
            OwnerFilter.parameter_name,
            token.user.pk,
            gettext("Only this user's tokens"),
            breakable(token.user.get_username(), ".@"),
        )

    @admin.display(description=_("owner"))
    def owner_link(self, token: PersonalAccessToken) -> str:
        user = token.user
        opts = user._meta
        try:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[user.pk],
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:
            return user.get_username()
        return format_html('<a href="{}">{}</a>', url, user.get_username())

    # -- permissions -----------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing about a token is edited in place; staff revoke instead.
        return False

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        # A token is revoked, never deleted: the row stays for the audit
        # trail (CONTRACT 2), whoever asks. has_delete_permission stays
        # Django's, so that deleting a user still takes their tokens along.
        raise PermissionDenied("Personal access tokens are revoked, not deleted.")

    def has_revoke_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoking starts from a token one can see: without the view
        # permission, the confirmation page would show what the list hides.
        return request.user.has_perm(REVOKE_PERMISSION) and self.has_view_permission(request)

    def has_rotate_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Rotating revokes a token and hands out a new secret for its owner:
        # both permissions (and, per owner, validate_provisioning_for).
        return self.has_revoke_permission(request) and self.has_add_permission(request)

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

    # -- the list --------------------------------------------------------

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # Autocomplete needs a user admin that can search; a project's own
        # user admin may not, and then the raw id widget does the job.
        try:
            user_admin = self.admin_site.get_model_admin(get_user_model())
        except NotRegistered:
            return ()
        return ("user",) if user_admin.get_search_fields(request) else ()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        diverted = without_tokens(request)
        if diverted is not None:
            return diverted
        context = {"token_pattern": token_pattern(), **(extra_context or {})}
        return super().changelist_view(request, context)

    @admin.action(description=_("Revoke selected tokens"), permissions=["revoke"])
    def revoke_selected(
        self, request: HttpRequest, queryset: QuerySet[PersonalAccessToken]
    ) -> HttpResponse | None:
        return views.revoke_selected(request, self, queryset)

    # -- a token's page --------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        diverted = without_tokens(request)
        if diverted is not None:
            return diverted
        context = {
            "show_delete": False,
            "can_revoke": self.has_revoke_permission(request),
            "can_rotate": self.has_rotate_permission(request),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    # -- provision -------------------------------------------------------

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Provision a token for a user; the response shows its secret once."""
        diverted = without_tokens(request)
        if diverted is not None:
            return diverted
        context = {"title": gettext("Provision a token"), "subtitle": None, **(extra_context or {})}
        return super().add_view(request, form_url, context)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[PersonalAccessToken]]:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = super().get_form(request, obj, change=change, **{"form": self.add_form, **kwargs})
        # The form checks the owner against whoever is asking.
        return type(form.__name__, (form,), {"requester": request.user})

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        return {key: initial[key] for key in ("user", "name", "type") if key in initial}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Validating the form provisioned the token and saved it, so there is
        # nothing to save; its secret goes on to response_add, for that
        # response only. (Nothing about a token is ever changed in place.)
        vars(request)[_PROVISIONED_KEY] = form.secret

    @sensitive_variables("secret")
    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = vars(request).pop(_PROVISIONED_KEY)
        return views.provisioned(request, self, obj, secret)

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
            path(
                "<path:object_id>/rotate/",
                self.admin_site.admin_view(self.rotate_view),
                name="{}_{}_rotate".format(*info),
            ),
            *super().get_urls(),
        ]

    def find_view(self, request: HttpRequest) -> HttpResponse:
        return views.find_token(request, self)

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return views.revoke_token(request, self, object_id)

    def rotate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return rotation.rotate_token(request, self, object_id)
