"""Which address a request came from (django_pat/client_ip.py), CONTRACT section 8
"Client address": REMOTE_ADDR unless DJANGO_PAT["TRUSTED_PROXIES"] says otherwise."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from rest_framework.request import Request

from django_pat.client_ip import MAX_TRUSTED_HOPS, client_ip

CLIENT = "198.51.100.7"
SPOOFED = "203.0.113.66"


def request(remote_addr: str | None = "203.0.113.9", **headers: str) -> HttpRequest:
    extra: dict[str, Any] = dict(headers)
    built = RequestFactory().get("/", **extra)
    if remote_addr is None:
        del built.META["REMOTE_ADDR"]
    else:
        built.META["REMOTE_ADDR"] = remote_addr
    return built


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


# --- no trusted proxies: REMOTE_ADDR and nothing else -------------------------


def test_remote_addr_is_the_client() -> None:
    assert client_ip(request("203.0.113.9")) == ip("203.0.113.9")


@pytest.mark.parametrize(
    "header",
    [
        "HTTP_X_FORWARDED_FOR",
        "HTTP_X_REAL_IP",
        "HTTP_FORWARDED",
        "HTTP_CLIENT_IP",
        "HTTP_X_CLIENT_IP",
        "HTTP_TRUE_CLIENT_IP",
        "HTTP_CF_CONNECTING_IP",
        "HTTP_X_CLUSTER_CLIENT_IP",
        "HTTP_FASTLY_CLIENT_IP",
    ],
)
def test_forwarding_headers_are_ignored_without_trusted_proxies(header: str) -> None:
    value = f"for={CLIENT}" if header == "HTTP_FORWARDED" else CLIENT

    assert client_ip(request("203.0.113.9", **{header: value})) == ip("203.0.113.9")


def test_public_forwarded_address_does_not_beat_a_private_remote_addr() -> None:
    # ipware on its own prefers a globally routable hop; we must not.
    built = request("10.0.0.1", HTTP_X_FORWARDED_FOR="8.8.8.8")

    assert client_ip(built) == ip("10.0.0.1")


def test_zero_proxies_means_remote_addr(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 0}

    assert client_ip(request("203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT)) == ip("203.0.113.9")


def test_empty_proxy_list_means_remote_addr(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": []}

    assert client_ip(request("203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT)) == ip("203.0.113.9")


@pytest.mark.parametrize("remote_addr", [None, "", "unknown", "203.0.113.300"])
def test_missing_or_garbled_remote_addr_is_unknown(remote_addr: str | None) -> None:
    assert client_ip(request(remote_addr, HTTP_X_FORWARDED_FOR=CLIENT)) is None


def test_ipv6_remote_addr() -> None:
    assert client_ip(request("2001:db8::7")) == ip("2001:db8::7")


def test_ipv4_mapped_remote_addr_is_the_ipv4_address() -> None:
    assert client_ip(request("::ffff:192.0.2.7")) == ip("192.0.2.7")


def test_drf_request_is_accepted() -> None:
    assert client_ip(Request(request("203.0.113.9"))) == ip("203.0.113.9")


# --- TRUSTED_PROXIES as a count -----------------------------------------------


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, CLIENT, CLIENT),
        (1, f"{SPOOFED}, {CLIENT}", CLIENT),
        (1, f"{SPOOFED},{SPOOFED},{CLIENT}", CLIENT),
        (2, f"{CLIENT}, 10.0.0.2", CLIENT),
        (2, f"{SPOOFED}, {CLIENT}, 10.0.0.2", CLIENT),
        (3, f"{SPOOFED}, {CLIENT}, 10.0.0.3, 10.0.0.2", CLIENT),
        (1, "2001:db8:1::7", "2001:db8:1::7"),
        (2, f"{SPOOFED}, 2001:db8:1::7, 2001:db8:ffff::2", "2001:db8:1::7"),
        (1, f"{SPOOFED}, [2001:db8:1::7]:4711", "2001:db8:1::7"),
        (1, f"{SPOOFED}, {CLIENT}:4711", CLIENT),
        (1, f"::ffff:{CLIENT}", CLIENT),
    ],
)
def test_count_takes_the_nth_entry_from_the_right(
    settings: Any, count: int, forwarded: str, expected: str
) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": count}

    assert client_ip(request("10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)) == ip(expected)


def test_count_ignores_remote_addr(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 1}

    assert client_ip(request("203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT)) == ip(CLIENT)


def test_count_without_forwarded_header_is_unknown(settings: Any) -> None:
    # REMOTE_ADDR is the proxy, not the client: better unknown than wrong.
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 1}

    assert client_ip(request("10.0.0.1")) is None


def test_count_with_too_short_header_never_takes_a_spoofable_entry(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 3}

    result = client_ip(request("10.0.0.1", HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}"))

    assert result != ip(SPOOFED)


def test_count_reads_only_x_forwarded_for(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 1}
    built = request(
        "10.0.0.1",
        HTTP_X_FORWARDED_FOR=CLIENT,
        HTTP_X_REAL_IP=SPOOFED,
        HTTP_CLIENT_IP=SPOOFED,
        HTTP_FORWARDED=f"for={SPOOFED}",
    )

    assert client_ip(built) == ip(CLIENT)


# --- TRUSTED_PROXIES as networks ----------------------------------------------

PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]


def test_forwarded_header_from_an_untrusted_peer_is_ignored(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": PROXIES}

    built = request("203.0.113.9", HTTP_X_FORWARDED_FOR=CLIENT)

    assert client_ip(built) == ip("203.0.113.9")


@pytest.mark.parametrize(
    ("remote_addr", "forwarded", "expected"),
    [
        ("10.0.0.1", CLIENT, CLIENT),
        ("10.0.0.1", f"{SPOOFED}, {CLIENT}", CLIENT),
        ("10.0.0.1", f"{SPOOFED}, {CLIENT}, 10.0.0.2", CLIENT),
        ("10.0.0.1", f"{SPOOFED}, {CLIENT}, 10.9.9.9, 10.0.0.2", CLIENT),
        ("10.0.0.1", f"10.0.0.5, {CLIENT}, 10.0.0.2", CLIENT),
        ("10.0.0.1", f"{CLIENT}:4711", CLIENT),
        ("10.0.0.1", f"::ffff:{CLIENT}", CLIENT),
        ("2001:db8:ffff::1", "2001:db8:1::7", "2001:db8:1::7"),
        ("2001:db8:ffff::1", f"{SPOOFED}, 2001:db8:1::7", "2001:db8:1::7"),
        ("2001:db8:ffff::1", f"{SPOOFED}, [2001:db8:1::7]:4711", "2001:db8:1::7"),
        ("2001:db8:ffff::1", f"{CLIENT}, 2001:db8:ffff::2", CLIENT),
        ("10.0.0.1", "2001:db8:1::7, 2001:db8:ffff::9", "2001:db8:1::7"),
        ("::ffff:10.0.0.1", CLIENT, CLIENT),
    ],
)
def test_rightmost_untrusted_entry_is_the_client(
    settings: Any, remote_addr: str, forwarded: str, expected: str
) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": PROXIES}

    assert client_ip(request(remote_addr, HTTP_X_FORWARDED_FOR=forwarded)) == ip(expected)


def test_a_longer_chain_of_trusted_proxies_than_any_real_one_is_unknown(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": PROXIES}
    chain = [f"10.0.0.{n}" for n in range(2, 2 + MAX_TRUSTED_HOPS)]

    longest = request("10.0.0.1", HTTP_X_FORWARDED_FOR=", ".join([CLIENT, *chain[:-1]]))
    too_long = request("10.0.0.1", HTTP_X_FORWARDED_FOR=", ".join([CLIENT, *chain]))

    assert client_ip(longest) == ip(CLIENT)
    assert client_ip(too_long) is None


def test_single_proxy_address_is_trusted(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": ["192.0.2.1"]}

    trusted = request("192.0.2.1", HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}")
    neighbour = request("192.0.2.2", HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}")

    assert client_ip(trusted) == ip(CLIENT)
    assert client_ip(neighbour) == ip("192.0.2.2")


def test_networks_read_only_x_forwarded_for(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": PROXIES}
    built = request(
        "10.0.0.1",
        HTTP_X_FORWARDED_FOR=CLIENT,
        HTTP_X_REAL_IP=SPOOFED,
        HTTP_FORWARDED=f"for={SPOOFED}",
    )

    assert client_ip(built) == ip(CLIENT)
