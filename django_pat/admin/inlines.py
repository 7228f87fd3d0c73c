"""A user's tokens on the user's page in the admin.

Nothing here touches a user admin by itself. A project adds the inline in
one line, in an ``admin.py`` of its own (or its ``urls.py``)::

    from django_pat.admin import attach_user_inline

    attach_user_inline()

or lists it in a user admin class of its own::

    class MyUserAdmin(UserAdmin):
        inlines = [*UserAdmin.inlines, PersonalAccessTokenInline]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from ..models import PersonalAccessToken
from .display import TokenDisplay

if TYPE_CHECKING:
    TokenInlineBase = admin.TabularInline[PersonalAccessToken, Model]
else:
    TokenInlineBase = admin.TabularInline

__all__ = ["PersonalAccessTokenInline", "attach_user_inline"]


class NewestTokensFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """A user's newest tokens, at most ``shown`` of them, and how many they have:
    a service account with thousands would otherwise make a page of thousands
    of rows. The rest are a link away, in the token list."""

    shown = 20

    def get_queryset(self) -> Any:
        if not hasattr(self, "_newest"):
            every = super().get_queryset()
            self.total = every.count()
            self._newest = every.order_by("-created_at", "-id")[: self.shown]
        return self._newest


class PersonalAccessTokenInline(TokenDisplay, TokenInlineBase):
    """A user's newest tokens (:attr:`NewestTokensFormSet.shown`), read-only,
    with links to their pages, on the user's page; and a link to all of them."""

    model = PersonalAccessToken
    fk_name = "user"
    formset = NewestTokensFormSet
    template = "admin/django_pat/personalaccesstoken/tokens_inline.html"
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
        "scopes_display",
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


def attach_user_inline(site: admin.AdminSite = admin.site) -> None:
    """Show each user's tokens on their page: add :class:`PersonalAccessTokenInline`
    to the admin that ``site`` has registered for the user model.

    Adds it to that one registered instance, whatever its class (Django's
    ``UserAdmin`` stays as it is), once however often it is called. Raises
    :class:`~django.core.exceptions.ImproperlyConfigured` when ``site`` has no
    admin for the user model yet: call it after that admin is registered.
    """
    if apps.is_installed("django.contrib.auth"):
        # Registers Django's UserAdmin on the default site if nothing has
        # yet, whatever the order of INSTALLED_APPS; autodiscover would too.
        import django.contrib.auth.admin  # noqa: F401
    user_model = get_user_model()
    try:
        user_admin = site.get_model_admin(user_model)
    except NotRegistered:
        raise ImproperlyConfigured(
            f"attach_user_inline(): the admin site {site.name!r} has no admin for "
            f"{user_model._meta.label}; call it after registering one."
        ) from None
    if PersonalAccessTokenInline not in user_admin.inlines:
        user_admin.inlines = [*user_admin.inlines, PersonalAccessTokenInline]  # type: ignore[misc]
