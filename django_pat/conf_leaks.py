"""The ``DJANGO_PAT`` keys of leaked-token reports (CONTRACT 9.5): the throttle
of ``POST credentials/revoke`` and GitHub secret scanning's public keys.

:mod:`django_pat.conf` merges :data:`LEAKS_DEFAULTS` into its defaults,
reports :func:`leaks_problems` with its own, and reads the values through
:func:`leaks_values`; nothing else reads these keys.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["LEAKS_DEFAULTS", "Leaks", "leaks_problems", "leaks_values", "parse_rate"]

LEAKS_DEFAULTS: dict[str, Any] = {
    # Requests to POST credentials/revoke per client address, in DRF's rate
    # syntax ("60/hour", "5/minute"); None: not throttled.
    "LEAK_REPORT_RATE": "60/hour",
    # None: the GitHub secret scanning endpoint is off (a 404). A path to a
    # file of GitHub's public keys as https://api.github.com/meta/public_keys/
    # secret_scanning serves them (manage.py pat_github_keys fetches it), or a
    # dict from key identifier to PEM public key.
    "GITHUB_SECRET_SCANNING_KEYS": None,
}

_RATE = re.compile(r"(?P<count>[0-9]+)/(?P<period>s|sec|second|m|min|minute|h|hour|d|day)")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"60/hour"`` -> ``(60, 3600)``: requests and the seconds they are
    counted over; None when ``rate`` is not such a rate."""
    match = _RATE.fullmatch(rate)
    if match is None or int(match["count"]) < 1:
        return None
    return int(match["count"]), _SECONDS[match["period"][0]]


def leaks_problems(merged: dict[str, Any]) -> list[str]:
    """What is wrong with the leak keys of a merged ``DJANGO_PAT``, one sentence each."""
    found = []
    rate = merged["LEAK_REPORT_RATE"]
    if rate is not None and not (isinstance(rate, str) and parse_rate(rate)):
        found.append(
            "DJANGO_PAT['LEAK_REPORT_RATE'] must be None (no throttle) or a number of "
            f"requests per second, minute, hour or day, like '60/hour', not {rate!r}."
        )
    keys = merged["GITHUB_SECRET_SCANNING_KEYS"]
    if keys is None or isinstance(keys, str | os.PathLike):
        return found
    if not isinstance(keys, Mapping) or not keys:
        found.append(
            "DJANGO_PAT['GITHUB_SECRET_SCANNING_KEYS'] must be None (off), the path of a file "
            "of GitHub's public keys, or a dict from key identifier to PEM public key, "
            f"not {keys!r}."
        )
        return found
    for identifier, pem in keys.items():
        if not isinstance(identifier, str) or not identifier:
            found.append(
                "DJANGO_PAT['GITHUB_SECRET_SCANNING_KEYS'] key identifiers must be non-empty "
                f"strings, not {identifier!r}."
            )
        if not isinstance(pem, str) or "-----BEGIN PUBLIC KEY-----" not in pem:
            found.append(
                f"DJANGO_PAT['GITHUB_SECRET_SCANNING_KEYS'][{identifier!r}] must be a PEM "
                "public key ('-----BEGIN PUBLIC KEY-----...')."
            )
    return found


class Leaks:
    """The leak keys, resolved; an attribute of ``pat_settings``."""

    def __init__(self, report_rate: str | None, github_keys: Path | dict[str, str] | None) -> None:
        # None: POST credentials/revoke is not throttled.
        self.report_rate = report_rate
        # None: the GitHub endpoint is off; a Path is read on each request, so
        # that keys fetched by a cron job take effect without a restart.
        self.github_keys = github_keys


def leaks_values(merged: dict[str, Any]) -> Leaks:
    """The leak keys of a merged, valid ``DJANGO_PAT``."""
    keys = merged["GITHUB_SECRET_SCANNING_KEYS"]
    if isinstance(keys, str | os.PathLike):
        keys = Path(keys)
    elif keys is not None:
        keys = dict(keys)
    return Leaks(report_rate=merged["LEAK_REPORT_RATE"], github_keys=keys)
