from django.apps import AppConfig


class ExampleProjectConfig(AppConfig):
    name = "example_project"
    verbose_name = "django-pat example site"

    def ready(self) -> None:
        # Connects the audit log's signal receivers.
        from . import audit  # noqa: F401
