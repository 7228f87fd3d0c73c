from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .views import ProfileView, home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("django_pat.urls")),
    # The site's own endpoint, guarded by the site's own scopes (settings.py).
    path("api/profile", ProfileView.as_view(), name="profile"),
    path("settings/tokens/", include("django_pat.urls_ui")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
