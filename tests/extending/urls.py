"""README, "Extending": the endpoints served by TeamTokenViewSet. The code
below the docstring is README's, as it stands."""

from django.urls import include, path

from .views import TeamTokenViewSet

tokens = TeamTokenViewSet.as_view({"get": "list", "post": "create"})
token = TeamTokenViewSet.as_view({"get": "retrieve", "delete": "destroy"})

urlpatterns = [
    path("personal-access-tokens", tokens),
    path("personal-access-tokens/", tokens),
    # pat_token_id: django-pat's converter for token ids (a UUID).
    path("personal-access-tokens/<pat_token_id:token_id>", token),
    path("personal-access-tokens/<pat_token_id:token_id>/", token),
    # Everything else under the prefix: django-pat's JSON 404s.
    path("", include("django_pat.urls")),
]
