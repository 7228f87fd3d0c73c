from django.contrib import admin
from django.urls import include, path

from django_pat.admin import attach_user_inline

# As docs/admin.md has a project do: a user's tokens on their page.
attach_user_inline()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("django_pat.urls")),
    path("settings/tokens/", include("django_pat.urls_ui")),
]
