"""``path("settings/tokens/", include("django_pat.urls_ui"))``: the self-service page.

It calls the REST endpoints, so ``django_pat.urls`` must be included too.
The page's script takes its words from ``jsi18n/``, Django's
``JavaScriptCatalog`` of this app's ``djangojs`` translations.
"""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from .ui import TokenSettingsView

app_name = "django_pat_ui"

urlpatterns = [
    path("", TokenSettingsView.as_view(), name="tokens"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_pat"]), name="jsi18n"),
]
