from django.urls import include, path

from . import views

urlpatterns = [
    path("floor", views.Floor.as_view()),
    path("authtoken", views.AuthToken.as_view()),
    path("knox", views.Knox.as_view()),
    path("apikey", views.APIKey.as_view()),
    path("pat", views.PAT.as_view()),
    # The real endpoints, to count what listing tokens costs.
    path("api/", include("django_pat.urls")),
]
