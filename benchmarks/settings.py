"""Django settings of the benchmark site: one trivial DRF view per scheme.

The orchestrator (``python -m benchmarks``) sets the environment:
``BENCH_DATABASE_URLS`` (required: JSON, table size -> database URL; each
size is a database alias, see ``benchmarks.routing``), ``BENCH_REDIS_URL`` (the cache django-pat
uses in cache mode), ``BENCH_CACHE_PREFIX`` (keeps runs apart in a shared
Redis), ``BENCH_PAT_CACHE`` (a cache alias: cache mode on from start-up, for the
gunicorn servers that serve the cached schemes) and ``BENCH_PAT_IN_PROCESS``
("1": cache mode with the in-process copy; otherwise every hit a Redis read).

Cache mode is measured on django-redis (alias "pat"), with the in-process copy
and without it (cache mode's default).

Everything a scheme does not need is off: no middleware, JSON renderer only,
no throttles, DEBUG off, persistent database connections. That leaves the
floor as low as DRF goes, so authentication's share of a request is as large
as it can be: the least flattering setting for every scheme.
"""

import json
import os

import dj_database_url

SECRET_KEY = "benchmark-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework.authtoken",
    "knox",
    "rest_framework_api_key",
    "django_pat",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "benchmarks.urls"
WSGI_APPLICATION = "benchmarks.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_URLS = {int(size): url for size, url in json.loads(os.environ["BENCH_DATABASE_URLS"]).items()}
# Table size -> database alias; the smallest size is the default database.
BENCH_ALIASES = {
    size: "default" if size == min(_URLS) else f"tokens_{size}" for size in sorted(_URLS)
}
DATABASES = {
    BENCH_ALIASES[size]: dj_database_url.parse(url, conn_max_age=None, conn_health_checks=False)
    for size, url in _URLS.items()
}
DATABASE_ROUTERS = ["benchmarks.routing.Router"]

_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
_PREFIX = os.environ.get("BENCH_CACHE_PREFIX", "bench")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pat": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": _REDIS, "KEY_PREFIX": _PREFIX},
}

REST_FRAMEWORK = {
    # The views below each name their own; this is for the endpoints (list).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_pat.authentication.PersonalAccessTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Knox's defaults, but with no expiry refresh writes (its default too).
REST_KNOX = {"AUTO_REFRESH": False}

DJANGO_PAT: dict[str, object] = {
    # The scope the "django-pat scoped" row's view requires (views.PATScoped).
    "SCOPES": {"bench:read": "Read the benchmark's view."},
}
if os.environ.get("BENCH_PAT_CACHE"):
    DJANGO_PAT["CACHE"] = os.environ["BENCH_PAT_CACHE"]
    DJANGO_PAT["CACHE_IN_PROCESS"] = os.environ.get("BENCH_PAT_IN_PROCESS") == "1"

LOGGING = {"version": 1, "disable_existing_loggers": False}
