"""One trivial view per scheme, under a prefix per table size: /1000/pat, ..."""

from django.conf import settings
from django.urls import include, path

from . import views

SCHEMES = {
    "floor": views.Floor,
    "authtoken": views.AuthToken,
    "knox": views.Knox,
    "apikey": views.APIKey,
    "pat": views.PAT,
    "pat-scoped": views.PATScoped,
}

urlpatterns = [
    path(f"{size}/{name}", view.as_view(alias=alias))
    for size, alias in settings.BENCH_ALIASES.items()
    for name, view in SCHEMES.items()
] + [
    # The real endpoints, to count what listing tokens costs (on the database
    # the caller chooses with benchmarks.routing.using).
    path("api/", include("django_pat.urls")),
]
