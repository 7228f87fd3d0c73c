"""The pages the scale benchmark measures: the admin, the endpoints and the token page."""

from django.contrib import admin
from django.urls import include, path

from django_pat.admin import attach_user_inline

attach_user_inline()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("django_pat.urls")),
    path("settings/tokens/", include("django_pat.urls_ui")),
]
