"""``path("api/", include("django_pat.urls"))`` gives ``api/personal-access-tokens``.

Every route answers with and without a trailing slash, with no redirect, and
every other path under the prefix is a JSON 404.
"""

from django.urls import path, re_path

from . import converters
from .exceptions import not_found
from .github_scanning import GitHubSecretScanningView
from .views import PersonalAccessTokenViewSet
from .views_leaks import LeakReportView

app_name = "django_pat"

# The optional slash is written as a group, (?:/)?, not as /?: both match the
# same, but the schema generator (like Django's admindocs) leaves optional
# groups out of the path it publishes, so OpenAPI documents and the clients
# generated from them use the slashless spelling, as the README does.
_OPTIONAL_SLASH = "(?:/)?"

urlpatterns = [
    re_path(
        rf"^personal-access-tokens{_OPTIONAL_SLASH}$",
        PersonalAccessTokenViewSet.as_view({"get": "list", "post": "create"}),
        name="token-list",
    ),
    # The token the request came with; "self" is no token id, so the routes
    # below never take it for one.
    re_path(
        rf"^personal-access-tokens/self{_OPTIONAL_SLASH}$",
        PersonalAccessTokenViewSet.as_view({"get": "current"}),
        name="token-self",
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
    path(
        f"personal-access-tokens/<{converters.NAME}:token_id>/rotate",
        PersonalAccessTokenViewSet.as_view({"post": "rotate"}),
        name="token-rotate",
    ),
    path(
        f"personal-access-tokens/<{converters.NAME}:token_id>/rotate/",
        PersonalAccessTokenViewSet.as_view({"post": "rotate"}, schema=None),
    ),
    re_path(r"^personal-access-tokens/", not_found),
    # Leaked tokens (CONTRACT 9.5): anyone's report, and GitHub's (off unless
    # configured, and left out of the schema: only GitHub calls it).
    re_path(
        rf"^credentials/revoke{_OPTIONAL_SLASH}$",
        LeakReportView.as_view(),
        name="credentials-revoke",
    ),
    re_path(
        rf"^credentials/github-secret-scanning{_OPTIONAL_SLASH}$",
        GitHubSecretScanningView.as_view(schema=None),
        name="github-secret-scanning",
    ),
    re_path(r"^credentials/", not_found),
]
