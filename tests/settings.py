"""Settings for the test suite.

``DATABASE_URL`` picks the database (default: SQLite in memory), e.g.
``postgres://postgres@127.0.0.1:5432/test`` for this machine's PostgreSQL.
"""

import copy
import os
from pathlib import Path

import dj_database_url

# As a project made by startproject has it (docs' settings blocks name it).
BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_pat",
    # The docs' "Extending": a profile model beside tokens (tests/test_extending.py).
    "tests.extending",
    # The admin search's optional trigram indexes (a no-op on SQLite).
    "django_pat.trigram",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.config(default="sqlite://:memory:")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_pat.authentication.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# Tests that need PostgreSQL skip, saying so, when DATABASE_URL is not one.
USING_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")

# A second database of its own (not a test mirror), for the tests of a project
# that routes reads to a replica (tests/test_lookup.py): it holds a stale copy.
# Created only for the tests that ask for it; on SQLite, another in-memory one.
DATABASES["replica"] = copy.deepcopy(DATABASES["default"])
if USING_POSTGRES:
    DATABASES["replica"]["NAME"] = f"{DATABASES['default']['NAME']}_replica"
os.environ.setdefault("DJANGO_PAT_TESTS_DATABASE", DATABASES["default"]["ENGINE"])
