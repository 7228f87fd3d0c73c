"""The ``DJANGO_PAT`` keys of the token lifecycle: dormancy, expiry notices
and the site's address for the links in emails.

:mod:`django_pat.conf` merges :data:`LIFECYCLE_DEFAULTS` into its defaults,
reports :func:`lifecycle_problems` with its own, and reads the values through
:func:`lifecycle_values`; nothing else reads these keys.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LIFECYCLE_DEFAULTS", "Lifecycle", "lifecycle_problems", "lifecycle_values"]

LIFECYCLE_DEFAULTS: dict[str, Any] = {
    # None: tokens never go dormant. A number of days: a token not used for
    # that long (counted from its creation when it was never used) stops
    # authenticating, like an expired one.
    "DORMANT_AFTER_DAYS": None,
    # The windows of manage.py pat_notify_expiring, in days before expiry.
    "EXPIRY_NOTICE_DAYS": (30, 7, 1),
    # The site's address, like "https://example.com", for the links in emails
    # (to the token page). None: the emails carry no link.
    "SITE_URL": None,
}

# More than a hundred years is a typo, and would overflow a datetime.
_MAX_DAYS = 36_500


def _days_problem(where: str, value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_DAYS:
        return None
    return f"{where} must be a whole number of days from 1 to {_MAX_DAYS}, not {value!r}."


def lifecycle_problems(merged: dict[str, Any]) -> list[str]:
    """What is wrong with the lifecycle keys of a merged ``DJANGO_PAT``, one
    sentence each."""
    found = []
    dormant = merged["DORMANT_AFTER_DAYS"]
    if dormant is not None:
        problem = _days_problem("DJANGO_PAT['DORMANT_AFTER_DAYS'] (or None)", dormant)
        interval = merged["LAST_USED_UPDATE_INTERVAL"]
        if problem:
            found.append(problem)
        elif isinstance(interval, timedelta) and timedelta(days=dormant) <= interval:
            # A use is recorded at most once per interval: a token in daily
            # use would go dormant between two recorded uses.
            found.append(
                f"DJANGO_PAT['DORMANT_AFTER_DAYS'] ({timedelta(days=dormant)}) must be longer than "
                f"DJANGO_PAT['LAST_USED_UPDATE_INTERVAL'] ({interval}), or tokens in use "
                "would go dormant."
            )

    windows = merged["EXPIRY_NOTICE_DAYS"]
    if not isinstance(windows, list | tuple):
        found.append(
            "DJANGO_PAT['EXPIRY_NOTICE_DAYS'] must be a list of whole numbers of days "
            f"(or [] for no notices), not {windows!r}."
        )
    else:
        bad = [
            problem
            for problem in (
                _days_problem("Each entry of DJANGO_PAT['EXPIRY_NOTICE_DAYS']", days)
                for days in windows
            )
            if problem
        ]
        found.extend(bad)
        if not bad and len(set(windows)) != len(windows):
            found.append(f"DJANGO_PAT['EXPIRY_NOTICE_DAYS'] {windows!r} repeats a window.")

    site_url = merged["SITE_URL"]
    if site_url is not None and not _is_site_url(site_url):
        found.append(
            "DJANGO_PAT['SITE_URL'] must be None or the site's address with http:// or "
            f"https://, a host and no query or fragment (like 'https://example.com'), "
            f"not {site_url!r}."
        )
    return found


def _is_site_url(value: Any) -> bool:
    if not isinstance(value, str) or value != value.strip():
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in {"http", "https"}
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        and "?" not in value
        and "#" not in value
        and not parts.username
        and not parts.password
    )


class Lifecycle:
    """The lifecycle keys, resolved; an attribute of ``pat_settings``."""

    def __init__(
        self, dormant_after: timedelta | None, notice_windows: tuple[int, ...], site_url: str | None
    ) -> None:
        # None: dormancy is off.
        self.dormant_after = dormant_after
        # Widest first, each a number of days.
        self.notice_windows = notice_windows
        # Without a trailing slash, so that a path can follow; None: no links.
        self.site_url = site_url


def lifecycle_values(merged: dict[str, Any]) -> Lifecycle:
    """The lifecycle keys of a merged, valid ``DJANGO_PAT``."""
    dormant = merged["DORMANT_AFTER_DAYS"]
    site_url = merged["SITE_URL"]
    return Lifecycle(
        dormant_after=None if dormant is None else timedelta(days=dormant),
        notice_windows=tuple(sorted(merged["EXPIRY_NOTICE_DAYS"], reverse=True)),
        site_url=None if site_url is None else site_url.rstrip("/"),
    )
