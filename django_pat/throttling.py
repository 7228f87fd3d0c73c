"""Throttling that stays off until the project sets a rate for its scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

__all__ = ["SCOPE", "OptionalScopedRateThrottle"]

SCOPE = "personal_access_tokens"


class OptionalScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, but no rate configured means no throttle.

    The stock class raises ImproperlyConfigured for a scope without a rate,
    and reads the rates once at import; this reads them per request, so that
    a changed setting takes effect.
    """

    def allow_request(self, request: Request, view: APIView) -> bool:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        scope = getattr(view, self.scope_attr, None)
        if not scope or rates.get(scope) is None:
            return True
        self.THROTTLE_RATES = rates  # type: ignore[assignment]
        return super().allow_request(request, view)
