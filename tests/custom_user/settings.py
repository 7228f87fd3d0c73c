"""The test project with ``custom_user.Member`` as ``AUTH_USER_MODEL``; run by
tests/test_lookup.py in a process of its own (a user model cannot be swapped
within one)."""

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, USING_POSTGRES

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "drf_spectacular",
    "django_pat",
    "tests.custom_user",
]
AUTH_USER_MODEL = "custom_user.Member"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.custom_user.urls"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pat": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pat"},
}
# A database of its own, beside the main suite's (which may be running).
DATABASES = {"default": DATABASES["default"]}
if USING_POSTGRES:
    DATABASES["default"]["NAME"] = f"{DATABASES['default']['NAME']}_custom_user"
