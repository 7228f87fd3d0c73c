"""The ``DJANGO_PAT`` settings dict, validated and read through one object.

Every key is optional. :data:`pat_settings` resolves the dict once, on first
use, and again whenever Django's ``setting_changed`` signal says it changed
(``override_settings`` in tests); nothing on the request path reads
``django.conf.settings`` itself.

:func:`problems` lists what is wrong with a dict in one sentence each; the
system check reports those at start-up, and using invalid settings raises
``ImproperlyConfigured`` with the same sentences.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from . import tokens
from .conf_leaks import LEAKS_DEFAULTS, Leaks, leaks_problems, leaks_values
from .conf_lifecycle import LIFECYCLE_DEFAULTS, Lifecycle, lifecycle_problems, lifecycle_values
from .conf_types import (
    ALL_METHODS,
    SAFE_METHODS,
    TokenType,
    build_types,
    lifetime_fit_problems,
    scopes_problems,
    types_problems,
)
from .ip import Network, parse_network
from .scopes import BUILTIN_SCOPES

__all__ = ["DEFAULTS", "TokenType", "pat_settings", "problems"]


DEFAULTS: dict[str, Any] = {
    # The text before the underscore of every token this site issues.
    "TOKEN_PREFIX": "pat",
    # name -> {"methods": [...] or "*", "default_lifetime": ..., "max_lifetime": ...}
    "TYPES": {
        "read_only": {"methods": list(SAFE_METHODS)},
        "read_write": {"methods": ALL_METHODS},
    },
    "DEFAULT_TYPE": "read_write",
    # None: tokens never expire unless the client asks.
    "DEFAULT_LIFETIME": timedelta(days=90),
    # None: no cap, and a client may ask for a token that never expires.
    "MAX_LIFETIME": timedelta(days=365),
    # None: no cap.
    "MAX_ACTIVE_TOKENS_PER_USER": 100,
    "LAST_USED_UPDATE_INTERVAL": timedelta(seconds=60),
    # [] (REMOTE_ADDR is the client), a list of proxy addresses or networks, or
    # the number of proxies in front of Django.
    "TRUSTED_PROXIES": [],
    # None: every authentication reads the database. The name of a cache in
    # settings.CACHES (shared by every process: Redis, say): authenticated
    # requests are answered from it, and invalidated on every change.
    "CACHE": None,
    # True, with CACHE naming a Redis cache: each process also keeps the entries
    # it read, kept current by Redis's invalidation messages (see cache_copy.py),
    # so that a hit costs no round trip. False: every hit reads Redis.
    "CACHE_IN_PROCESS": False,
    # True: deactivating a user (is_active saved as False) revokes their tokens.
    # Either way, a deactivated user's tokens stop authenticating at once.
    "REVOKE_ON_USER_DEACTIVATION": False,
    # True: a user's new password (set_password() or set_unusable_password(),
    # then save()) revokes their tokens. False: tokens outlive password
    # changes, as on GitHub and GitLab.
    "REVOKE_ON_PASSWORD_CHANGE": False,
    # The project's own scopes, name -> one-line description; the app's own
    # (tokens:read, tokens:write, tokens:rotate) are always there besides.
    "SCOPES": {},
    # The scopes of a token provisioned without any; None: not restricted by scope.
    "DEFAULT_SCOPES": None,
    # Dormancy, expiry notices, the site's address: see conf_lifecycle.py.
    **LIFECYCLE_DEFAULTS,
    # Leaked-token reports: their throttle, GitHub's keys; see conf_leaks.py.
    **LEAKS_DEFAULTS,
}


def _proxy_problems(value: Any) -> list[str]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            return []
    elif isinstance(value, list | tuple):
        bad = []
        for entry in value:
            try:
                if not isinstance(entry, str):
                    raise TypeError(entry)
                parse_network(entry)
            except (TypeError, ValueError):
                bad.append(entry)
        if not bad:
            return []
        return [
            f"DJANGO_PAT['TRUSTED_PROXIES'] entries must be IP addresses or networks; "
            f"{bad!r} are not."
        ]
    return [
        "DJANGO_PAT['TRUSTED_PROXIES'] must be a list of proxy addresses or networks, "
        f"or the number of proxies in front of Django, not {value!r}."
    ]


def problems(raw: Any) -> list[str]:
    """Everything wrong with a ``DJANGO_PAT`` value, one sentence each."""
    if not isinstance(raw, dict):
        return [f"DJANGO_PAT must be a dict, not {type(raw).__name__}."]
    found = []
    unknown = sorted(set(raw) - set(DEFAULTS), key=str)
    if unknown:
        found.append(f"DJANGO_PAT has unknown keys {unknown}; known are {sorted(DEFAULTS)}.")
    merged = {**DEFAULTS, **raw}

    prefix = merged["TOKEN_PREFIX"]
    if not isinstance(prefix, str) or not tokens.is_valid_prefix(prefix):
        found.append(
            "DJANGO_PAT['TOKEN_PREFIX'] must be 2 to 16 lower-case letters and digits "
            f"starting with a letter, not {prefix!r}."
        )

    found.extend(types_problems(merged))

    interval = merged["LAST_USED_UPDATE_INTERVAL"]
    if not isinstance(interval, timedelta) or interval < timedelta(0):
        found.append(
            "DJANGO_PAT['LAST_USED_UPDATE_INTERVAL'] must be a datetime.timedelta of zero "
            f"(record every use) or more, not {interval!r}."
        )

    cap = merged["MAX_ACTIVE_TOKENS_PER_USER"]
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        found.append(
            "DJANGO_PAT['MAX_ACTIVE_TOKENS_PER_USER'] must be a positive integer or None, "
            f"not {cap!r}."
        )

    found.extend(_proxy_problems(merged["TRUSTED_PROXIES"]))

    cache = merged["CACHE"]
    if cache is not None:
        aliases = sorted(settings.CACHES)
        if not isinstance(cache, str) or cache not in aliases:
            found.append(
                f"DJANGO_PAT['CACHE'] must be None or the name of a cache in settings.CACHES "
                f"({', '.join(repr(alias) for alias in aliases)}), not {cache!r}."
            )
    in_process = merged["CACHE_IN_PROCESS"]
    if not isinstance(in_process, bool):
        found.append(f"DJANGO_PAT['CACHE_IN_PROCESS'] must be True or False, not {in_process!r}.")
    for key in ("REVOKE_ON_USER_DEACTIVATION", "REVOKE_ON_PASSWORD_CHANGE"):
        if not isinstance(merged[key], bool):
            found.append(f"DJANGO_PAT[{key!r}] must be True or False, not {merged[key]!r}.")
    found.extend(scopes_problems(merged["SCOPES"], merged["DEFAULT_SCOPES"]))
    found.extend(lifecycle_problems(merged))
    found.extend(leaks_problems(merged))

    if not found:
        found.extend(lifetime_fit_problems(merged))
    return found


class PATSettings:
    """Resolved ``DJANGO_PAT`` values, as attributes."""

    token_prefix: str
    types: dict[str, TokenType]
    default_type: TokenType
    max_active_tokens_per_user: int | None
    last_used_update_interval: timedelta
    revoke_on_user_deactivation: bool
    revoke_on_password_change: bool
    # Either a number of proxies or the networks proxies connect from.
    trusted_proxy_count: int
    trusted_proxy_networks: tuple[Network, ...]
    # The alias of the cache of cache mode, or None.
    cache: str | None
    cache_in_process: bool
    # Every scope, name -> description: the app's own, then the project's.
    scopes: dict[str, str]
    # Sorted; None: not restricted by scope.
    default_scopes: list[str] | None
    # Dormancy, expiry notices and the site's address.
    lifecycle: Lifecycle
    # The leak report's throttle and GitHub's keys.
    leaks: Leaks

    def __init__(self) -> None:
        self._loaded = False

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not yet set, that is, before loading.
        if name.startswith("_") or self._loaded:
            raise AttributeError(name)
        self._load()
        return getattr(self, name)

    def _load(self) -> None:
        raw = getattr(settings, "DJANGO_PAT", {})
        found = problems(raw)
        if found:
            raise ImproperlyConfigured(" ".join(found))
        merged = {**DEFAULTS, **raw}
        self.token_prefix = merged["TOKEN_PREFIX"]
        self.types = build_types(merged)
        self.default_type = self.types[merged["DEFAULT_TYPE"]]
        self.max_active_tokens_per_user = merged["MAX_ACTIVE_TOKENS_PER_USER"]
        self.last_used_update_interval = merged["LAST_USED_UPDATE_INTERVAL"]
        self.revoke_on_user_deactivation = merged["REVOKE_ON_USER_DEACTIVATION"]
        self.revoke_on_password_change = merged["REVOKE_ON_PASSWORD_CHANGE"]
        proxies = merged["TRUSTED_PROXIES"]
        if isinstance(proxies, int):
            self.trusted_proxy_count, self.trusted_proxy_networks = proxies, ()
        else:
            self.trusted_proxy_count = 0
            self.trusted_proxy_networks = tuple(parse_network(p) for p in proxies)
        self.cache = merged["CACHE"]
        self.cache_in_process = merged["CACHE_IN_PROCESS"]
        self.scopes = {**BUILTIN_SCOPES, **merged["SCOPES"]}
        default_scopes = merged["DEFAULT_SCOPES"]
        self.default_scopes = None if default_scopes is None else sorted(default_scopes)
        self.lifecycle = lifecycle_values(merged)
        self.leaks = leaks_values(merged)
        self._loaded = True

    def reload(self) -> None:
        for name in list(vars(self)):
            delattr(self, name)
        self._loaded = False


pat_settings = PATSettings()


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "DJANGO_PAT":
        pat_settings.reload()
