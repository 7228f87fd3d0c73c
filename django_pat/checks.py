"""System checks: a bad ``DJANGO_PAT`` setting is reported at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .conf import cache_warnings, problems


@checks.register(checks.Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    raw = getattr(settings, "DJANGO_PAT", {})
    return [
        checks.Error(problem, id="django_pat.E001", obj="DJANGO_PAT") for problem in problems(raw)
    ] + [
        checks.Warning(warning, id="django_pat.W001", obj="DJANGO_PAT")
        for warning in cache_warnings(raw)
    ]
