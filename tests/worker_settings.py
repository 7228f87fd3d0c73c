"""Settings of a worker process of test_cache_processes.py (see tests/worker.py).

The database (a SQLite file) and the Redis cache come from the environment,
so that two workers share both, as two processes of one site would.
"""

import os

SECRET_KEY = "tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "django_pat",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.worker_urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["WORKER_DATABASE"],
        "OPTIONS": {"timeout": 20},
    }
}
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pat": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["WORKER_REDIS_URL"],
        "KEY_PREFIX": os.environ["WORKER_CACHE_PREFIX"],
    },
}
DJANGO_PAT = {"CACHE": "pat", "CACHE_IN_PROCESS": os.environ["WORKER_IN_PROCESS"] == "1"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_pat.authentication.PersonalAccessTokenAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
