"""``path("settings/tokens/", include("django_pat.urls_ui"))``: the self-service page.

It calls the REST endpoints, so ``django_pat.urls`` must be included too.
"""

from django.urls import path

from .ui import TokenSettingsView

app_name = "django_pat_ui"

urlpatterns = [path("", TokenSettingsView.as_view(), name="tokens")]
