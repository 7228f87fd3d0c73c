"""The address a request came from, as far as this site can trust it.

With no trusted proxies configured, that is ``REMOTE_ADDR`` and nothing else:
``X-Forwarded-For``, ``Forwarded`` and their kin are written by the client and
ignored.

``DJANGO_PAT["TRUSTED_PROXIES"]`` changes that in one of two ways:

* a number N: every request reaches Django through N proxies, each appending
  the address it saw to ``X-Forwarded-For``; the last N entries are theirs,
  and the left-most of those is the client;
* a list of addresses or networks: when ``REMOTE_ADDR`` is one of them, its
  right-most ``X-Forwarded-For`` entry is the address it saw; while that is a
  trusted proxy too, the entry before it is what that proxy saw, and so on.
  The first entry that is not a trusted proxy is the client (the left-most
  entry, if all are trusted; the proxy itself, if it sent no header).

Only entries a trusted proxy wrote are read, from the right; whatever lies
further left is the client's own text and is never parsed. The header is split
on commas and on nothing else: X-Forwarded-For has no quoting, and a parser
that honours quotes lets the client's text swallow the entries the proxies
appended (``X-Forwarded-For: 127.0.0.2, "``). Repeated header lines reach
Django already joined with commas in the order they arrived (gunicorn,
runserver and Django's ASGI handler all do so), which is the same list.

Each entry read must be one address as proxies write it: ``192.0.2.7``,
``192.0.2.7:443``, ``2001:db8::7``, ``[2001:db8::7]`` or ``[2001:db8::7]:443``
(IPv4-mapped IPv6 is the IPv4 address). Anything else (an empty entry, quotes,
a zone id, leading zeros, ``for=``), too few entries for the count, or more
trusted hops than any real deployment has, means the request did not come the
way the settings describe: the address is unknown (None), never a guess, and
an IP-restricted token is refused.

RFC 7239 ``Forwarded`` is not read: a proxy that writes only that header gives
no client address.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .conf import pat_settings
from .ip import Address, Network, parse_address

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

__all__ = ["MAX_TRUSTED_HOPS", "client_ip"]

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"
# A chain longer than this through trusted proxies is not a real deployment.
MAX_TRUSTED_HOPS = 16

# One entry: IPv4 with an optional port, or IPv6 bare or in brackets with an
# optional port. ASCII only ([0-9], not \d); the address itself is then
# checked by the ipaddress module, which refuses leading zeros and short forms.
_ENTRY = re.compile(
    r"(?P<ipv4>[0-9.]+)(?::(?P<ipv4_port>[0-9]{1,5}))?"
    r"|(?P<ipv6>[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)"
    r"|\[(?P<bracketed>[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)\](?::(?P<bracketed_port>[0-9]{1,5}))?"
)


def client_ip(request: HttpRequest | Request) -> Address | None:
    """The client's address, or None when it cannot be determined."""
    forwarded = request.META.get(FORWARDED_HEADER)
    count = pat_settings.trusted_proxy_count
    if count:
        return _from_count(forwarded, count)
    remote = parse_address(request.META.get("REMOTE_ADDR") or "")
    networks = pat_settings.trusted_proxy_networks
    if remote is None or not _is_trusted(remote, networks):
        return remote
    if forwarded is None:
        # The request began at this proxy (a health check, say).
        return remote
    return _from_networks(forwarded, networks)


def _from_count(forwarded: str | None, count: int) -> Address | None:
    entries = _last_entries(forwarded or "", count)
    if len(entries) < count:
        return None
    addresses = [_parse_entry(entry) for entry in entries]
    if None in addresses:
        return None
    return addresses[-1]


def _from_networks(forwarded: str, networks: tuple[Network, ...]) -> Address | None:
    entries = _last_entries(forwarded, MAX_TRUSTED_HOPS)
    for entry in entries:
        hop = _parse_entry(entry)
        if hop is None or not _is_trusted(hop, networks):
            return hop
    if len(entries) == MAX_TRUSTED_HOPS:
        return None
    # Every entry is a trusted proxy: the left-most one began the request.
    return hop


def _last_entries(forwarded: str, count: int) -> list[str]:
    """Up to ``count`` entries from the right end of the header, right-most first.

    The rest of the header, the client's part, is left as it is, unsplit.
    """
    entries = forwarded.rsplit(",", count)
    return entries[: -count - 1 : -1]


def _parse_entry(entry: str) -> Address | None:
    """One X-Forwarded-For entry, strictly; None if it is not one address."""
    match = _ENTRY.fullmatch(entry.strip(" \t"))
    if match is None:
        return None
    port = match["ipv4_port"] or match["bracketed_port"]
    if port is not None and int(port) > 65535:
        return None
    return parse_address(match["ipv4"] or match["ipv6"] or match["bracketed"])


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)
