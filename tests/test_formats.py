"""Times on the wire: RFC 3339 in, RFC 3339 UTC out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from django_pat.formats import parse_rfc3339, rfc3339

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-12-01T00:00:00Z", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01t00:00:00z", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T01:30:00+01:30", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-11-30T19:00:00-05:00", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T00:00:00.5Z", datetime(2026, 12, 1, 0, 0, 0, 500_000, tzinfo=UTC)),
        ("2026-12-01T00:00:00.123456789Z", datetime(2026, 12, 1, 0, 0, 0, 123_456, tzinfo=UTC)),
    ],
)
def test_parses_rfc3339(text, moment):
    assert parse_rfc3339(text) == moment


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01T00:00:00",  # no offset
        "2026-12-01",  # no time
        "2026-12-01T00:00Z",  # no seconds
        "2026-12-01T00:00:00+0100",  # offset without colon
        "2026-12-01T00:00:00 Z",
        "2026-12-01 00:00:00Z",
        "\uff12\uff10\uff12\uff16-12-01T00:00:00Z",  # full-width digits
        "2026-12-01T00:00:00+05:30:15",
        "2026-12-01T00:00:00Z\x00",
        "2026-12-01T00:00:60Z",  # leap second
        "2026-02-30T00:00:00Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T00:00:00+24:00",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "",
        "tomorrow",
    ],
)
def test_refuses_what_is_not_rfc3339(text):
    assert parse_rfc3339(text) is None


def test_writes_utc_with_z():
    moment = datetime(2026, 12, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))

    assert rfc3339(moment) == "2026-12-01T00:00:00Z"


def test_round_trips():
    moment = datetime(2026, 12, 1, 7, 15, 53, 123456, tzinfo=UTC)

    assert parse_rfc3339(rfc3339(moment)) == moment
