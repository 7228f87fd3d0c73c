"""Which address a request came from (django_pat/client_ip.py), CONTRACT section 8
"Client address": REMOTE_ADDR unless DJANGO_PAT["TRUSTED_PROXIES"] says otherwise;
and "Client address behind proxies": only the entries the trusted proxies
appended are believed, and one that cannot be read makes the address unknown."""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Callable
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.test import APIClient

from django_pat.client_ip import MAX_TRUSTED_HOPS, client_ip
from tests.conftest import LIST_URL

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
    # Libraries that guess prefer a globally routable hop; we must not.
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


def test_count_with_too_short_header_is_unknown(settings: Any) -> None:
    # Three proxies would have written three entries; two means the request
    # skipped one, and neither entry can be placed.
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 3}

    assert client_ip(request("10.0.0.1", HTTP_X_FORWARDED_FOR=f"{SPOOFED}, {CLIENT}")) is None


def test_count_with_exactly_as_many_entries_as_proxies_takes_the_left_most(
    settings: Any,
) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 2}

    assert client_ip(request("10.0.0.1", HTTP_X_FORWARDED_FOR=f"{CLIENT}, 10.0.0.2")) == ip(CLIENT)


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


def test_a_trusted_proxy_that_forwarded_nothing_is_the_client(settings: Any) -> None:
    # A request the proxy made itself (a health check, say) carries no header.
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": PROXIES}

    assert client_ip(request("10.0.0.1")) == ip("10.0.0.1")


def test_a_chain_of_trusted_proxies_only_starts_at_the_left_most(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": PROXIES}

    assert client_ip(request("10.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.5, 10.0.0.2")) == ip(
        "10.0.0.5"
    )


# --- hostile chains -----------------------------------------------------------
#
# A proxy appends the address it saw to whatever the client sent, as nginx's
# $proxy_add_x_forwarded_for does: "<the client's text>, <address>". Only what
# the trusted proxies appended may decide the address; the client's text must
# never reach the result, however it is shaped, and an appended entry that
# cannot be read makes the address unknown rather than a guess.

COUNT_1 = {"TRUSTED_PROXIES": 1}
COUNT_2 = {"TRUSTED_PROXIES": 2}
NETWORKS = {"TRUSTED_PROXIES": PROXIES}
PROXY = "10.0.0.1"  # REMOTE_ADDR: the proxy next to Django, inside PROXIES


def appended(sent: str | None, *hops: str) -> str:
    """X-Forwarded-For as the proxies pass it on: the client's own header (if it
    sent one), then one entry per proxy, outermost first."""
    return ", ".join(hops if sent is None else (sent, *hops))


# (settings, what the proxies append after the client's text).
DEPLOYMENTS = [
    pytest.param(COUNT_1, [CLIENT], id="count 1"),
    pytest.param(COUNT_2, [CLIENT, "10.0.0.2"], id="count 2"),
    pytest.param(NETWORKS, [CLIENT], id="networks, 1 hop"),
    pytest.param(NETWORKS, [CLIENT, "10.0.0.2"], id="networks, 2 hops"),
]

# What a client may write in its own X-Forwarded-For.
CLIENT_TEXT = [
    None,
    "",
    '127.0.0.2, "',
    '"',
    '"127.0.0.2',
    '127.0.0.2, "\\',
    "127.0.0.2\\",
    "127.0.0.2, '",
    "[",
    "[::1",
    "[::1]:",
    "for=127.0.0.2",
    'for="[2001:db8::1]:443", for=127.0.0.2;proto=https',
    "127.0.0.2;",
    ",,,",
    " , ",
    "unknown",
    "127.0.0.2:80",
    "::ffff:127.0.0.2",
    "0:0:0:0:0:ffff:7f00:2",
    "fe80::1%eth0",
    "010.0.0.1",
    "10.0.0.2",
    ", ".join(["127.0.0.2"] * (2 * MAX_TRUSTED_HOPS)),
    ", ".join(["10.0.0.9"] * (2 * MAX_TRUSTED_HOPS)),
    "\t127.0.0.2\t",
    "\x00",
]


@pytest.mark.parametrize("sent", CLIENT_TEXT)
@pytest.mark.parametrize(("proxies", "hops"), DEPLOYMENTS)
def test_what_the_client_sends_never_decides_the_address(
    settings: Any, proxies: dict[str, Any], hops: list[str], sent: str | None
) -> None:
    settings.DJANGO_PAT = proxies

    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR=appended(sent, *hops))) == ip(CLIENT)


# Entries a trusted proxy may write, and the address each one is.
READABLE = [
    (CLIENT, CLIENT),
    (f"{CLIENT}:443", CLIENT),
    (f"{CLIENT}:0", CLIENT),
    (f"\t{CLIENT} ", CLIENT),
    ("2001:db8::7", "2001:db8::7"),
    ("[2001:db8::7]", "2001:db8::7"),
    ("[2001:db8::7]:443", "2001:db8::7"),
    ("2001:DB8:0:0:0:0:0:7", "2001:db8::7"),
    # A bare IPv6 address has no port: the last group is the address's own.
    ("2001:db8::7:443", "2001:db8::7:443"),
    (f"::ffff:{CLIENT}", CLIENT),
    (f"[::ffff:{CLIENT}]:443", CLIENT),
    ("::FFFF:C633:6407", CLIENT),
]


@pytest.mark.parametrize(("entry", "expected"), READABLE)
@pytest.mark.parametrize("proxies", [COUNT_1, NETWORKS], ids=["count", "networks"])
def test_entries_a_proxy_writes(
    settings: Any, proxies: dict[str, Any], entry: str, expected: str
) -> None:
    settings.DJANGO_PAT = proxies

    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR=appended(SPOOFED, entry))) == ip(expected)


# Entries that are not one address (with at most a port): a proxy that wrote
# one is not the proxy the settings describe, so nothing it wrote is believed.
UNREADABLE = [
    "",
    " ",
    '"',
    f'"{CLIENT}"',
    f"'{CLIENT}'",
    "unknown",
    "_hidden",
    f"for={CLIENT}",
    f"{CLIENT};proto=https",
    f"{CLIENT}/32",
    f"{CLIENT} 80",
    f"{CLIENT}:",
    f"{CLIENT}:99999",
    f"{CLIENT}:123456",
    f"{CLIENT}:-1",
    f"{CLIENT}:\uff18\uff10",  # full-width digits
    f"{CLIENT}\x00",
    "198.051.100.7",
    "010.0.0.1",
    "198.51.100",
    "127.1",
    "0x7f.0.0.1",
    "\u0661\u0669\u0668.51.100.7",  # Arabic-Indic digits
    "fe80::1%eth0",
    "[fe80::1%eth0]:443",
    "fe80::1%",
    f"[{CLIENT}]",
    f"[{CLIENT}]:443",
    "[2001:db8::7",
    "2001:db8::7]",
    "[2001:db8::7]443",
    "[2001:db8::7]:",
    "[2001:db8::7]:65536",
    "[[2001:db8::7]]",
    "2001:db8::7::1",
    "2001:db8:::7",
    "::ffff:198.051.100.7",
    "2001:db8::g",
]


@pytest.mark.parametrize("entry", UNREADABLE)
@pytest.mark.parametrize(
    ("proxies", "chain"),
    [
        pytest.param(COUNT_1, lambda entry: appended(SPOOFED, entry), id="count 1"),
        pytest.param(
            COUNT_2, lambda entry: appended(SPOOFED, entry, "10.0.0.2"), id="count 2, client entry"
        ),
        pytest.param(
            COUNT_2, lambda entry: appended(SPOOFED, CLIENT, entry), id="count 2, proxy entry"
        ),
        pytest.param(NETWORKS, lambda entry: appended(SPOOFED, entry), id="networks, 1 hop"),
        pytest.param(
            NETWORKS, lambda entry: appended(SPOOFED, entry, "10.0.0.2"), id="networks, 2 hops"
        ),
    ],
)
def test_an_unreadable_entry_from_a_trusted_proxy_makes_the_address_unknown(
    settings: Any, proxies: dict[str, Any], chain: Callable[[str], str], entry: str
) -> None:
    settings.DJANGO_PAT = proxies

    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR=chain(entry))) is None


@pytest.mark.parametrize("proxies", [COUNT_1, NETWORKS], ids=["count", "networks"])
def test_a_lone_quote_is_never_a_proxy_address(settings: Any, proxies: dict[str, Any]) -> None:
    # A parser that honours quotes lets '"' swallow the entries after it: the
    # client's own entry, or the proxy itself, then passes for the client.
    settings.DJANGO_PAT = proxies

    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR='"')) is None
    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR=f'", {CLIENT}')) == ip(CLIENT)
    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR=f'{SPOOFED}, ", {CLIENT}')) == ip(CLIENT)


@pytest.mark.parametrize("forwarded", ["", " ", "\t"])
@pytest.mark.parametrize("proxies", [COUNT_1, NETWORKS], ids=["count", "networks"])
def test_a_blank_header_from_a_trusted_proxy_is_unknown(
    settings: Any, proxies: dict[str, Any], forwarded: str
) -> None:
    # A proxy that appends never sends a blank header; one that did is not
    # the proxy the settings describe.
    settings.DJANGO_PAT = proxies

    assert client_ip(request(PROXY, HTTP_X_FORWARDED_FOR=forwarded)) is None


def test_forwarded_header_alone_is_not_read(settings: Any) -> None:
    # RFC 7239 Forwarded is not read at all: a proxy that writes only that
    # header leaves the address unknown in count mode, and the proxy itself is
    # the client with networks, whatever for= says.
    forwarded = {"HTTP_FORWARDED": f"for={SPOOFED}, for={CLIENT}"}

    settings.DJANGO_PAT = COUNT_1
    assert client_ip(request(PROXY, **forwarded)) is None
    settings.DJANGO_PAT = NETWORKS
    assert client_ip(request(PROXY, **forwarded)) == ip(PROXY)


# --- repeated header lines ------------------------------------------------------


def asgi_request(peer: str, headers: list[tuple[str, str]]) -> HttpRequest:
    """A request as Django's ASGI handler builds it (under uvicorn, daphne...)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "client": (peer, 4711),
        "headers": [(name.encode(), value.encode("latin-1")) for name, value in headers],
    }
    return ASGIRequest(scope, io.BytesIO())


@pytest.mark.parametrize("proxies", [COUNT_1, NETWORKS], ids=["count", "networks"])
def test_repeated_header_lines_are_one_list_in_order(
    settings: Any, proxies: dict[str, Any]
) -> None:
    # A proxy that adds its own header line (HAProxy's option forwardfor) puts
    # it after the client's; servers join the lines with commas in order
    # (Django's ASGI handler, gunicorn and runserver alike).
    settings.DJANGO_PAT = proxies
    built = asgi_request(
        PROXY,
        [
            ("x-forwarded-for", f'{SPOOFED}, "'),
            ("x-forwarded-for", "127.0.0.2"),
            ("x-forwarded-for", CLIENT),
        ],
    )

    assert built.META["HTTP_X_FORWARDED_FOR"] == f'{SPOOFED}, ",127.0.0.2,{CLIENT}'
    assert client_ip(built) == ip(CLIENT)


# --- through the API -------------------------------------------------------------

ALLOWED = "198.51.100.7"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded", "status"),
    [
        # The client names the allowed address, then a quote to hide its own.
        pytest.param(COUNT_1, appended(f'{ALLOWED}, "', SPOOFED), 403, id="count 1, quote"),
        pytest.param(NETWORKS, appended(f'{ALLOWED}, "', SPOOFED), 403, id="networks, quote"),
        pytest.param(
            COUNT_2, appended(f'{ALLOWED}, "', SPOOFED, "10.0.0.2"), 403, id="count 2, quote"
        ),
        # The allowed client, whatever it sent first.
        pytest.param(COUNT_1, appended('127.0.0.2, "', ALLOWED), 200, id="count 1, allowed"),
        pytest.param(NETWORKS, appended('"', ALLOWED), 200, id="networks, allowed"),
        pytest.param(COUNT_2, appended(None, ALLOWED, "10.0.0.2"), 200, id="count 2, allowed"),
        pytest.param(
            NETWORKS,
            appended(SPOOFED, f"[::ffff:{ALLOWED}]:443", "10.0.0.2"),
            200,
            id="networks, allowed, mapped with a port",
        ),
        # A trusted entry that cannot be read, even one naming the allowed address.
        pytest.param(COUNT_1, appended(None, f'"{ALLOWED}"'), 403, id="count 1, quoted"),
        pytest.param(NETWORKS, appended(None, f"{ALLOWED}, "), 403, id="networks, empty entry"),
        pytest.param(NETWORKS, appended(ALLOWED, "010.0.0.2"), 403, id="networks, leading zero"),
        pytest.param(COUNT_2, appended(None, ALLOWED), 403, id="count 2, one entry"),
    ],
)
def test_restricted_token_behind_trusted_proxies(
    settings: Any,
    make_token: Callable[..., tuple[Any, str]],
    client_for: Callable[..., APIClient],
    proxies: dict[str, Any],
    forwarded: str,
    status: int,
) -> None:
    settings.DJANGO_PAT = proxies
    _, secret = make_token(ip_restriction=ALLOWED)

    response = client_for(secret, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).get(LIST_URL)

    assert response.status_code == status
    if status == 403:
        assert ALLOWED not in response.json()["message"]


@pytest.mark.django_db
def test_a_lone_quote_does_not_pass_for_the_proxy(
    settings: Any,
    make_token: Callable[..., tuple[Any, str]],
    client_for: Callable[..., APIClient],
) -> None:
    # A token for the inside only, used from outside through the proxy.
    settings.DJANGO_PAT = NETWORKS
    _, secret = make_token(ip_restriction="10.0.0.0/8")

    response = client_for(
        secret, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=appended('"', SPOOFED)
    ).get(LIST_URL)

    assert response.status_code == 403
    assert SPOOFED in response.json()["message"]


@pytest.mark.django_db
def test_an_unreadable_chain_is_refused_as_an_unknown_address(
    settings: Any,
    make_token: Callable[..., tuple[Any, str]],
    client_for: Callable[..., APIClient],
) -> None:
    settings.DJANGO_PAT = COUNT_1
    _, secret = make_token(ip_restriction=ALLOWED)

    response = client_for(
        secret, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{ALLOWED}, {ALLOWED}:"
    ).get(LIST_URL)

    assert response.status_code == 403
    assert response.json() == {
        "message": "This token may not be used from an unknown address.",
        "status": 403,
    }
