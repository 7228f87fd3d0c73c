from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("django_pat.urls")),
    path("settings/tokens/", include("django_pat.urls_ui")),
]
