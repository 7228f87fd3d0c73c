from django.apps import AppConfig


class DjangoPatConfig(AppConfig):
    name = "django_pat"
    verbose_name = "Personal access tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported for their side effects: registering the system checks, the
        # OpenAPI extensions and the receivers that keep cache mode's entries true.
        from . import cache, checks, openapi  # noqa: F401
