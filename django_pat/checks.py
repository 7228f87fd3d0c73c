"""System checks: a bad ``DJANGO_PAT`` setting is reported at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .conf import problems


@checks.register(checks.Tags.security)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(problem, id="django_pat.E001", obj="DJANGO_PAT")
        for problem in problems(getattr(settings, "DJANGO_PAT", {}))
    ]
