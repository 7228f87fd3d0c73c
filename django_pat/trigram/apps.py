from django.apps import AppConfig


class TrigramConfig(AppConfig):
    name = "django_pat.trigram"
    label = "django_pat_trigram"
    verbose_name = "Personal access tokens: trigram search indexes"
