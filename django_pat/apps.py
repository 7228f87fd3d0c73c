from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.utils.translation import gettext_lazy as _


class DjangoPatConfig(AppConfig):
    name = "django_pat"
    verbose_name = _("Personal access tokens")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: registering the system checks, the
        # OpenAPI extensions and the receivers that keep cache mode's entries true.
        # The token id converter is registered for the project's routes too.
        from . import checks, converters, invalidation, openapi  # noqa: F401
        from .user_changes import note_password_change, revoke_tokens_of_changed_user

        pre_save.connect(
            note_password_change,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="django_pat.note_password_change",
        )
        post_save.connect(
            revoke_tokens_of_changed_user,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="django_pat.revoke_tokens_of_changed_user",
        )
