from django.apps import AppConfig


class DjangoPatConfig(AppConfig):
    name = "django_pat"
    verbose_name = "Personal access tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
