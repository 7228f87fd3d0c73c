"""System checks: a bad ``DJANGO_PAT`` setting is reported at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .cache import cache_warnings
from .conf import problems


@checks.register(checks.Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    raw = getattr(settings, "DJANGO_PAT", {})
    return [
        checks.Error(problem, id="django_pat.E001", obj="DJANGO_PAT") for problem in problems(raw)
    ] + [
        checks.Warning(warning, id="django_pat.W001", obj="DJANGO_PAT")
        for warning in cache_warnings(raw)
    ]


@checks.register(checks.Tags.security)
def check_middleware_order(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Django's AuthenticationMiddleware would overwrite the token's user."""
    from django.contrib.auth.middleware import AuthenticationMiddleware

    from .middleware import PersonalAccessTokenMiddleware

    def is_a(entry: str, cls: type) -> bool:
        try:
            return issubclass(import_string(entry), cls)
        except (ImportError, TypeError):
            return False

    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    ours = [i for i, entry in enumerate(middleware) if is_a(entry, PersonalAccessTokenMiddleware)]
    auth = [i for i, entry in enumerate(middleware) if is_a(entry, AuthenticationMiddleware)]
    if ours and auth and ours[0] < auth[-1]:
        return [
            checks.Error(
                f"{middleware[ours[0]]} must come after {middleware[auth[-1]]} in MIDDLEWARE, "
                "or the session's user replaces the token's.",
                id="django_pat.E002",
                obj="MIDDLEWARE",
            )
        ]
    return []


@checks.register(checks.Tags.security)
def check_github_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """GitHub secret scanning, when configured: its package and its keys."""
    raw = getattr(settings, "DJANGO_PAT", {})
    if problems(raw):
        return []  # check_settings reports those
    from .conf import pat_settings
    from .github_scanning import INSTALL_HINT, cryptography_missing, key_problems

    configured = pat_settings.leaks.github_keys
    if configured is None:
        return []
    if cryptography_missing():
        return [
            checks.Error(
                "DJANGO_PAT['GITHUB_SECRET_SCANNING_KEYS'] is set, but the cryptography package "
                "that verifies GitHub's signatures is not installed: GitHub's requests will be "
                "answered 503.",
                hint=INSTALL_HINT,
                id="django_pat.E003",
                obj="DJANGO_PAT",
            )
        ]
    return [
        checks.Warning(problem, id="django_pat.W003", obj="DJANGO_PAT")
        for problem in key_problems(configured)
    ]
