"""IP restrictions: parse, normalise, match and compare.

Plain Python, no Django. An :class:`IPRestriction` is an ordered set of IPv4
and IPv6 networks (a single address is a /32 or /128 network); a client
matches it when its address lies in any of them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

__all__ = [
    "MAX_ENTRIES",
    "MAX_TEXT_LENGTH",
    "IPRestriction",
    "IPRestrictionError",
    "parse_address",
    "parse_network",
    "parse_stored",
]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_ENTRIES = 50
# Room for 50 of the longest entries with generous whitespace; longer text is
# refused before any parsing work is spent on it.
MAX_TEXT_LENGTH = 4096


def gettext_noop(message: str) -> str:
    """Marks ``message`` for Django's ``makemessages`` without translating it:
    this module has no Django. The message's reader translates it
    (:attr:`IPRestrictionError.message`, :attr:`IPRestrictionError.params`)."""
    return message


class IPRestrictionError(ValueError):
    """The text is not a valid IP restriction; the message names the entry.

    ``str()`` is the English sentence; ``message % params`` is the same,
    and ``gettext(message) % params`` the sentence in the active language.
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params)
        self.message = message
        self.params = params


def parse_address(text: str) -> Address | None:
    """The client address for matching, or None if ``text`` is not one.

    An IPv4-mapped IPv6 address (``::ffff:192.0.2.7``) is the IPv4 address it
    carries, so that a dual-stack server matches it against IPv4 entries.
    """
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def parse_network(entry: str) -> Network:
    """One address or network, strictly; IPv4-mapped IPv6 becomes IPv4.

    Raises :class:`IPRestrictionError` naming the entry.
    """
    _, slash, length = entry.partition("/")
    # CIDR only: a netmask (/255.0.0.0) or a scope (fe80::1%eth0, an interface
    # of one host, meaningless elsewhere) is refused like any other typo.
    if "%" not in entry and (not slash or (length.isascii() and length.isdigit())):
        try:
            network = ipaddress.ip_network(entry, strict=True)
        except ValueError as error:
            if "/" in entry and "has host bits set" in str(error):
                raise IPRestrictionError(
                    gettext_noop("'%(entry)s' has host bits set; did you mean '%(network)s'?"),
                    entry=entry,
                    network=str(ipaddress.ip_network(entry, strict=False)),
                ) from None
        else:
            # Client addresses arrive unmapped (parse_address), so entries must too.
            if isinstance(network, ipaddress.IPv6Network) and network.subnet_of(_IPV4_MAPPED):
                mapped = int(network.network_address) & 0xFFFFFFFF
                return ipaddress.IPv4Network((mapped, network.prefixlen - 96))
            return network
    raise IPRestrictionError(
        gettext_noop("'%(entry)s' is not a valid IP address or network"), entry=entry
    )


def _format(network: Network) -> str:
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


class IPRestriction:
    """An immutable, normalised list of networks."""

    __slots__ = ("networks",)

    networks: tuple[Network, ...]

    def __init__(self, networks: tuple[Network, ...]) -> None:
        self.networks = networks

    @classmethod
    def parse(cls, text: str) -> IPRestriction:
        """Parse comma-separated addresses and networks.

        Whitespace around entries and empty entries are ignored, duplicates
        (as networks: ``192.0.2.7`` equals ``192.0.2.7/32``) dropped, order
        kept. Raises :class:`IPRestrictionError`, and nothing else.
        """
        if len(text) > MAX_TEXT_LENGTH:
            raise IPRestrictionError(
                gettext_noop("IP restriction is too long (at most %(limit)d characters)"),
                limit=MAX_TEXT_LENGTH,
            )
        networks: dict[Network, None] = {}
        for raw in text.split(","):
            entry = raw.strip()
            if entry:
                networks[parse_network(entry)] = None
                if len(networks) > MAX_ENTRIES:
                    raise IPRestrictionError(
                        gettext_noop(
                            "IP restriction has more than %(limit)d entries (the next is "
                            "'%(entry)s'); at most %(limit)d are allowed"
                        ),
                        limit=MAX_ENTRIES,
                        entry=entry,
                    )
        return cls(tuple(networks))

    def __str__(self) -> str:
        """The normalised text: addresses bare, networks as address/length."""
        return ",".join(_format(network) for network in self.networks)

    def __repr__(self) -> str:
        return f"IPRestriction({str(self)!r})"

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPRestriction) and self.networks == other.networks

    def __hash__(self) -> int:
        return hash(self.networks)

    def allows(self, address: Address) -> bool:
        """Whether ``address`` lies in one of the networks (any, if none)."""
        return not self.networks or any(address in network for network in self.networks)

    def within(self, other: IPRestriction) -> bool:
        """Whether every address this allows, ``other`` allows too.

        An empty restriction allows every address; so it is within only an
        empty one, and every restriction is within an empty one.
        """
        if not other:
            return True
        if not self:
            return False
        # Merged, the other's networks are the fewest blocks covering exactly
        # the same addresses; a block inside their union then lies inside one
        # of them (10.0.0.0/8 is within 10.0.0.0/9,10.128.0.0/9).
        theirs: list[Network] = []
        for version in (4, 6):
            same = [n for n in other.networks if n.version == version]
            theirs.extend(ipaddress.collapse_addresses(same))  # type: ignore[type-var]
        return all(
            any(
                mine.version == their.version and mine.subnet_of(their)  # type: ignore[arg-type]
                for their in theirs
            )
            for mine in self.networks
        )


@lru_cache(maxsize=4096)
def parse_stored(text: str) -> IPRestriction:
    """Parse a restriction read from the database, remembering the result.

    Stored values were normalised when they were saved, so the same few
    strings come back on every request; parsing each once is enough.
    """
    return IPRestriction.parse(text)
