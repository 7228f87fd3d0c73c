"""A read-only view of tokens for staff; the full admin comes with its own module."""

from __future__ import annotations

from django.contrib import admin

from .models import PersonalAccessToken


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "user",
        "type",
        "display_prefix",
        "created_at",
        "expire_at",
        "last_used_at",
        "revoked_at",
    )
    list_select_related = ("user",)
    list_filter = ("type",)
    search_fields = ("name", "display_prefix", "user__username")
    exclude = ("digest",)
    readonly_fields = (
        "id",
        "user",
        "name",
        "type",
        "display_prefix",
        "ip_restriction",
        "created_at",
        "expire_at",
        "last_used_at",
        "revoked_at",
    )

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
