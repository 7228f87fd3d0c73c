"""The address a request came from, as far as this site can trust it.

With no trusted proxies configured, that is ``REMOTE_ADDR`` and nothing else:
``X-Forwarded-For`` and its kin are written by the client and ignored.

``DJANGO_PAT["TRUSTED_PROXIES"]`` changes that in one of two ways:

* a number N: every request reaches Django through N proxies, each appending
  the address it saw to ``X-Forwarded-For``; the client is the N-th entry from
  the right (entries further left are the client's own inventions);
* a list of addresses or networks: when the request comes from one of them,
  the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy
  is the client (the left-most entry, if all are trusted; the proxy itself,
  if it forwarded nothing).

django-ipware reads the header (ports, brackets, IPv4-mapped forms); this
module decides which entry to believe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ipware import get_client_ip

from .conf import pat_settings
from .ip import Address, Network, parse_address

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request

__all__ = ["client_ip"]

FORWARDED_HEADER = "HTTP_X_FORWARDED_FOR"
# A chain longer than this through trusted proxies is not a real deployment.
MAX_TRUSTED_HOPS = 16


def client_ip(request: HttpRequest | Request) -> Address | None:
    """The client's address, or None when it cannot be determined."""
    remote = parse_address(request.META.get("REMOTE_ADDR") or "")
    count = pat_settings.trusted_proxy_count
    if count:
        return _forwarded_entry(request, count - 1)
    networks = pat_settings.trusted_proxy_networks
    hop, hops = remote, 0
    while hop is not None and _is_trusted(hop, networks):
        if hops == MAX_TRUSTED_HOPS:
            return None
        earlier = _forwarded_entry(request, hops)
        if earlier is None:
            # Nothing further forwarded: the request began at this proxy.
            return hop
        hop, hops = earlier, hops + 1
    return hop


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def _forwarded_entry(request: HttpRequest | Request, from_right: int) -> Address | None:
    """The entry ``from_right`` places from the right end of X-Forwarded-For."""
    ip, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=from_right,
        request_header_order=[FORWARDED_HEADER],
        strict=False,
        algorithm="modern",
    )
    return parse_address(ip) if ip else None
