"""Settings of the example site: a Django project using django-pat as any would.

Environment variables: ``DATABASE_URL`` (default: SQLite file ``db.sqlite3``),
``REDIS_URL`` (cache; default: local memory), ``DJANGO_DEBUG`` (default on),
``DJANGO_SECRET_KEY``, ``DJANGO_ALLOWED_HOSTS`` (comma-separated, default ``*``),
``SITE_URL`` (the site's address in emails; default ``http://127.0.0.1:8000``).
This is a demo: do not deploy it as it stands.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG", "1").lower() in {"1", "true", "yes", "on"}
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-not-secret-" + "x" * 40)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "*").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_pat",
    "example_project",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Pages, emails' wording and API messages in the browser's language, of
    # LANGUAGES below (docs/translations.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "example_project" / "templates"],
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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # One pool of connections per process, whichever server runs the site.
    # runserver starts a thread per connection and an ASGI server runs Django's
    # sync code in a thread per request, so a connection kept per thread
    # (CONN_MAX_AGE > 0) is one more server connection for every thread that
    # ever ran: 32 clients for 5 s left 153 open under runserver and 219 under
    # gunicorn's ASGI worker, more than PostgreSQL's default max_connections
    # (100), past which a request that needs a new one is a 500. CONN_MAX_AGE
    # = 0 alone would open (and pay for) a connection per request, as many at
    # once as there are requests in flight. With Django's pool a request borrows a
    # connection and gives it back when it ends (the pool wants CONN_MAX_AGE = 0 for that): a
    # process holds at most max_size connections, whatever the server and the
    # number of clients, and a request that finds them all busy waits up to
    # `timeout` seconds for one. CONN_HEALTH_CHECKS has the pool check a
    # connection before lending it, so connections the server dropped (a
    # restart, a failover) cost no request. tests/test_example_servers.py holds
    # the site to this under runserver and ASGI, tests/load.py under gunicorn.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": 10,
        "timeout": 10,
    }
    # A server that does not answer is given up on after 5 s (libpq would
    # wait forever): the request gets a 503 at once instead of hanging.
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so that concurrent
    # provisioning waits its turn instead of failing with "database is locked";
    # WAL lets reads go on while one request writes, and a writer waits up to
    # 20 s (not SQLite's 5) for its turn, so that a burst queues instead of
    # failing with a 500 (tests/load.py under gunicorn showed both).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=20,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
# The languages django_pat ships (docs/translations.md); Accept-Language picks one.
LANGUAGES = [("en", _("English")), ("de", _("German"))]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from the apps' static folders, so the site works with DEBUG
# off and no collectstatic step (Swagger UI's files included).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "django_pat.authentication.PersonalAccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "django-pat example API",
    "DESCRIPTION": "Personal access tokens: provision, list and revoke your own.",
    "VERSION": "0.1.0",
    # What clients and linters expect to find: where the API is (relative to
    # the schema's own address, so it holds on any host and port), its terms
    # and whom to ask. A real site names its own.
    "SERVERS": [{"url": "/", "description": "This site"}],
    "LICENSE": {"name": "BSD-3-Clause", "url": "https://opensource.org/license/bsd-3-clause"},
    "CONTACT": {"name": "The django-pat authors", "email": "django-pat@example.com"},
    # django-pat's hook declares its tags and lists the bearer scheme first.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "django_pat.openapi.postprocess_schema",
    ],
    # The site's own tag (django-pat's hook declares the app's).
    "TAGS": [{"name": "profile", "description": "Your profile on this site."}],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema to validator.swagger.io.
    # "persistAuthorization" stays off: it would keep the token typed into
    # Authorize in localStorage, in plain text, for any script on the site.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
}

DJANGO_PAT: dict[str, object] = {
    # The site's own scopes, beside django-pat's tokens:read, tokens:write and
    # tokens:rotate: what /api/profile (views.ProfileView) asks of a token
    # restricted by scope.
    "SCOPES": {
        "profile:read": "Read your profile: username, email address and name.",
        "profile:write": "Change the name on your profile.",
    },
    # Where the links in django-pat's emails point (expiry notices, leaked tokens).
    "SITE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
}

# Emails (`manage.py pat_notify_expiring`'s notices, say) are printed on the
# console instead of sent: a demo has no mail server.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "django-pat example <tokens@example.com>"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "django_pat": {"handlers": ["console"], "level": "INFO"},
        # example_project/audit.py: a line per provisioned, revoked or refused token.
        "example_project.audit": {"handlers": ["console"], "level": "INFO"},
    },
}
