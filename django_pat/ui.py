"""An optional page where a signed-in user manages their own tokens.

The page is a thin shell: its script talks to the same REST endpoints any
frontend would, with the session cookie and the CSRF token. Include it with
``path("settings/tokens/", include("django_pat.urls_ui"))``, next to
``django_pat.urls``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse
from django.utils.translation import gettext, pgettext
from django.views.generic import TemplateView

from .conf import pat_settings

__all__ = ["TokenSettingsView"]

# Lifetimes offered in the form, in days; those beyond the maximum are left out.
LIFETIME_CHOICES = (7, 30, 60, 90, 180, 365)


class TokenSettingsView(LoginRequiredMixin, TemplateView):
    """The user's token page. Override ``template_name`` or the templates
    ``django_pat/tokens.html`` / ``django_pat/base.html`` to restyle it."""

    template_name = "django_pat/tokens.html"
    api_url_name = "django_pat:token-list"

    def get_api_url(self) -> str:
        return reverse(self.api_url_name)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        default_type = pat_settings.default_type
        maxima = [t.max_lifetime for t in pat_settings.types.values()]
        # The longest any type allows; the script hides what the chosen type does not.
        maximum = None if None in maxima else max(m for m in maxima if m is not None)
        context.update(
            api_url=self.get_api_url(),
            token_types=[
                {
                    "name": token_type.name,
                    "methods": pgettext("HTTP methods", "all")
                    if token_type.methods is None
                    else ", ".join(sorted(token_type.methods)),
                    "is_default": token_type is default_type,
                    "max_lifetime_days": _days(token_type.max_lifetime),
                }
                for token_type in pat_settings.types.values()
            ],
            default_lifetime_days=_days(default_type.default_lifetime),
            lifetime_choices=[
                days
                for days in LIFETIME_CHOICES
                if maximum is None or timedelta(days=days) <= maximum
            ],
            # The form starts from the configured default: limited to these
            # scopes, or (None) not restricted by scope.
            default_scopes=pat_settings.default_scopes,
            scopes=[
                {
                    "name": name,
                    "description": gettext(description),
                    "is_default": name in (pat_settings.default_scopes or ()),
                }
                for name, description in pat_settings.scopes.items()
            ],
        )
        return context


def _days(lifetime: timedelta | None) -> int | None:
    return None if lifetime is None else lifetime.days
