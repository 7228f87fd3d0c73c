"""``path("api/", include("django_pat.urls"))`` gives ``api/personal-access-tokens``.

Every route answers with and without a trailing slash, with no redirect, and
every other path under the prefix is a JSON 404.
"""

from django.urls import path, re_path

from . import converters
from .exceptions import not_found
from .views import PersonalAccessTokenViewSet

app_name = "django_pat"

urlpatterns = [
    re_path(
        r"^personal-access-tokens/?$",
        PersonalAccessTokenViewSet.as_view({"get": "list", "post": "create"}),
        name="token-list",
    ),
    # A malformed id matches neither: the JSON 404 below answers it.
    path(
        f"personal-access-tokens/<{converters.NAME}:token_id>",
        PersonalAccessTokenViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="token-detail",
    ),
    # The same with a slash, left out of the schema (schema=None): published once.
    path(
        f"personal-access-tokens/<{converters.NAME}:token_id>/",
        PersonalAccessTokenViewSet.as_view({"get": "retrieve", "delete": "destroy"}, schema=None),
    ),
    re_path(r"^personal-access-tokens/", not_found),
]
