"""IP restrictions (django_pat/ip.py), per CONTRACT section 8 "IP restriction syntax"."""

from __future__ import annotations

import ipaddress

import pytest

from django_pat.ip import MAX_ENTRIES, IPRestriction, IPRestrictionError, parse_address


def addr(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


# --- normalisation ----------------------------------------------------------

NORMALISED = [
    # (input, normalised text)
    ("192.0.2.7", "192.0.2.7"),
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("192.0.2.7/32", "192.0.2.7"),
    ("192.0.2.0/24", "192.0.2.0/24"),
    ("0.0.0.0/0", "0.0.0.0/0"),
    (" 192.0.2.7 ", "192.0.2.7"),
    ("\t192.0.2.7\n", "192.0.2.7"),
    ("192.0.2.7 , 10.0.0.0/8", "192.0.2.7,10.0.0.0/8"),
    ("  192.0.2.7,   10.0.0.0/8  ,198.51.100.0/24 ", "192.0.2.7,10.0.0.0/8,198.51.100.0/24"),
    ("192.0.2.7,,10.0.0.0/8", "192.0.2.7,10.0.0.0/8"),
    (",192.0.2.7,", "192.0.2.7"),
    (", ,192.0.2.7, , ", "192.0.2.7"),
    ("", ""),
    ("   ", ""),
    (",,,", ""),
    (" , , ", ""),
    ("192.0.2.7,192.0.2.7", "192.0.2.7"),
    ("192.0.2.7, 192.0.2.7 ,192.0.2.7", "192.0.2.7"),
    ("192.0.2.7,192.0.2.7/32", "192.0.2.7"),
    ("192.0.2.7/32,192.0.2.7", "192.0.2.7"),
    ("10.0.0.0/8,192.0.2.7,10.0.0.0/8", "10.0.0.0/8,192.0.2.7"),
    # Order kept, not sorted.
    ("198.51.100.9,192.0.2.7", "198.51.100.9,192.0.2.7"),
    ("192.0.2.0/24,10.0.0.0/8", "192.0.2.0/24,10.0.0.0/8"),
    ("2001:db8::/32,192.0.2.7", "2001:db8::/32,192.0.2.7"),
    # IPv6: compressed, lower case, single addresses bare.
    ("2001:db8::1", "2001:db8::1"),
    ("2001:DB8::1", "2001:db8::1"),
    ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("2001:DB8:0:0:0:0:0:1/128", "2001:db8::1"),
    ("2001:db8::/32", "2001:db8::/32"),
    ("2001:0DB8:0000::/32", "2001:db8::/32"),
    ("2001:db8:0:0:1::/80", "2001:db8:0:0:1::/80"),
    ("::/0", "::/0"),
    ("2001:db8::1,2001:DB8:0::1", "2001:db8::1"),
    ("2001:db8::1/128,2001:db8::1", "2001:db8::1"),
    (" 2001:db8::1 , 192.0.2.7 ", "2001:db8::1,192.0.2.7"),
]


@pytest.mark.parametrize(("text", "expected"), NORMALISED)
def test_parse_normalises(text: str, expected: str) -> None:
    assert str(IPRestriction.parse(text)) == expected


@pytest.mark.parametrize(("text", "_expected"), NORMALISED)
def test_normalisation_is_idempotent(text: str, _expected: str) -> None:
    once = IPRestriction.parse(text)

    twice = IPRestriction.parse(str(once))

    assert twice == once
    assert str(twice) == str(once)


def test_empty_restriction_is_falsy_and_a_non_empty_one_truthy() -> None:
    assert not IPRestriction.parse(" , ")
    assert IPRestriction.parse("192.0.2.7")


def test_equal_restrictions_are_equal_and_hash_alike() -> None:
    first = IPRestriction.parse("192.0.2.7/32, 10.0.0.0/8")
    second = IPRestriction.parse("192.0.2.7,10.0.0.0/8")

    assert first == second
    assert hash(first) == hash(second)
    assert first != IPRestriction.parse("10.0.0.0/8,192.0.2.7")


def test_exactly_the_maximum_number_of_entries_is_accepted() -> None:
    text = ",".join(f"192.0.2.{n}" for n in range(MAX_ENTRIES))

    assert len(IPRestriction.parse(text).networks) == MAX_ENTRIES == 50


def test_more_entries_than_the_maximum_are_refused() -> None:
    text = ",".join(f"192.0.2.{n}" for n in range(51))

    with pytest.raises(IPRestrictionError, match="50"):
        IPRestriction.parse(text)


def test_over_long_text_is_refused() -> None:
    text = " " * 10_000 + "192.0.2.7"

    with pytest.raises(IPRestrictionError, match="too long"):
        IPRestriction.parse(text)


def test_huge_text_is_refused_quickly_as_a_restriction_error() -> None:
    with pytest.raises(IPRestrictionError):
        IPRestriction.parse("1" * 1_000_000)


# --- errors name the entry ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("10.0.0.300", "10.0.0.300"),
        (" 10.0.0.300 ", "10.0.0.300"),
        ("192.0.2.7, 10.0.0.300", "10.0.0.300"),
        ("192.0.2.7,nope", "nope"),
        ("example.com", "example.com"),
        ("localhost", "localhost"),
        ("*", "*"),
        ("10.0.0.*", "10.0.0.*"),
        ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"),
        ("192.0.2.7;198.51.100.9", "192.0.2.7;198.51.100.9"),
        ("192.0.2.7 198.51.100.9", "192.0.2.7 198.51.100.9"),
        ("10.0.0.0/33", "10.0.0.0/33"),
        ("10.0.0.0/-1", "10.0.0.0/-1"),
        ("10.0.0.0/", "10.0.0.0/"),
        ("/8", "/8"),
        ("010.0.0.1", "010.0.0.1"),
        ("1.2.3", "1.2.3"),
        ("2001:db8::/129", "2001:db8::/129"),
        ("2001:db8:::1", "2001:db8:::1"),
        ("2001:db8::g", "2001:db8::g"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("fe80::%eth0/64", "fe80::%eth0/64"),
        ("fe80::1%1", "fe80::1%1"),
        ("[2001:db8::1]", "[2001:db8::1]"),
        ("192.0.2.7:443", "192.0.2.7:443"),
        ("\uff11\uff19\uff12.0.2.7", "\uff11\uff19\uff12.0.2.7"),
        # CIDR only: netmask and hostmask notations are refused.
        ("10.0.0.0/255.0.0.0", "10.0.0.0/255.0.0.0"),
        ("10.0.0.0/0.255.255.255", "10.0.0.0/0.255.255.255"),
        ("10.0.0.0/\uff18", "10.0.0.0/\uff18"),
    ],
)
def test_invalid_entry_is_named_in_the_error(text: str, entry: str) -> None:
    with pytest.raises(IPRestrictionError) as raised:
        IPRestriction.parse(text)

    assert f"'{entry}'" in str(raised.value)


def test_invalid_entry_message_matches_the_contract() -> None:
    with pytest.raises(IPRestrictionError) as raised:
        IPRestriction.parse("192.0.2.7, 10.0.0.300")

    assert str(raised.value) == "'10.0.0.300' is not a valid IP address or network"


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("10.0.0.5/8", "10.0.0.5/8"),
        ("192.0.2.7/24", "192.0.2.7/24"),
        ("192.0.2.7, 10.0.0.5/8", "10.0.0.5/8"),
        ("2001:db8::1/32", "2001:db8::1/32"),
    ],
)
def test_host_bits_set_is_refused_naming_the_entry(text: str, entry: str) -> None:
    with pytest.raises(IPRestrictionError) as raised:
        IPRestriction.parse(text)

    message = str(raised.value)
    assert f"'{entry}'" in message
    assert "host bits" in message


def test_host_bits_error_suggests_the_network() -> None:
    with pytest.raises(IPRestrictionError, match=r"10\.0\.0\.0/8"):
        IPRestriction.parse("10.0.0.5/8")


def test_restriction_error_is_a_value_error() -> None:
    assert issubclass(IPRestrictionError, ValueError)


# --- allows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("restriction", "client", "allowed"),
    [
        ("192.0.2.7", "192.0.2.7", True),
        ("192.0.2.7", "192.0.2.8", False),
        ("192.0.2.7/32", "192.0.2.7", True),
        ("10.0.0.0/8", "10.0.0.0", True),
        ("10.0.0.0/8", "10.255.255.255", True),
        ("10.0.0.0/8", "11.0.0.0", False),
        ("10.0.0.0/8", "9.255.255.255", False),
        ("192.0.2.7,198.51.100.0/24", "198.51.100.200", True),
        ("192.0.2.7,198.51.100.0/24", "203.0.113.1", False),
        ("0.0.0.0/0", "203.0.113.1", True),
        ("2001:db8::/32", "2001:db8:ffff::1", True),
        ("2001:db8::/32", "2001:db9::1", False),
        ("2001:db8::1", "2001:db8::1", True),
        ("2001:db8::1", "2001:db8::2", False),
        # Different families never match each other, and never crash.
        ("10.0.0.0/8", "2001:db8::1", False),
        ("::/0", "192.0.2.7", False),
        ("2001:db8::/32", "192.0.2.7", False),
    ],
)
def test_allows(restriction: str, client: str, allowed: bool) -> None:
    assert IPRestriction.parse(restriction).allows(addr(client)) is allowed


@pytest.mark.parametrize(
    ("restriction", "client", "allowed"),
    [
        ("192.0.2.7", "::ffff:192.0.2.7", True),
        ("192.0.2.0/24", "::ffff:192.0.2.200", True),
        ("192.0.2.7", "::ffff:192.0.2.8", False),
        ("10.0.0.0/8", "::FFFF:10.1.2.3", True),
        ("10.0.0.0/8", "::ffff:a01:203", True),
    ],
)
def test_ipv4_mapped_client_matches_ipv4_entry(
    restriction: str, client: str, allowed: bool
) -> None:
    address = parse_address(client)

    assert address is not None
    assert IPRestriction.parse(restriction).allows(address) is allowed


def test_ipv4_mapped_entry_matches_the_same_client_address() -> None:
    # A user who copies the address from a dual-stack server's log writes the
    # mapped form; the client written the same way must match it.
    restriction = IPRestriction.parse("::ffff:192.0.2.7")
    client = parse_address("::ffff:192.0.2.7")

    assert client is not None
    assert restriction.allows(client)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0::1", "2001:db8::1"),
        ("::1", "::1"),
    ],
)
def test_parse_address(text: str, expected: str) -> None:
    assert parse_address(text) == addr(expected)


@pytest.mark.parametrize(
    "text", ["", "unknown", "10.0.0.300", "192.0.2.7:443", "10.0.0.0/8", " 192.0.2.7x"]
)
def test_parse_address_returns_none_for_non_addresses(text: str) -> None:
    assert parse_address(text) is None


# --- within: a child token's restriction inside its parent's ----------------


@pytest.mark.parametrize(
    ("child", "parent", "within"),
    [
        ("10.1.0.0/16", "10.0.0.0/8", True),
        ("10.0.0.0/8", "10.1.0.0/16", False),
        ("192.0.2.7", "192.0.2.0/24", True),
        ("192.0.2.0/24", "192.0.2.7", False),
        ("192.0.2.7/32", "192.0.2.7", True),
        ("192.0.2.7", "192.0.2.7", True),
        ("192.0.2.7", "192.0.2.8", False),
        ("10.1.0.0/16,192.0.2.7", "10.0.0.0/8,192.0.2.0/24", True),
        ("10.1.0.0/16,198.51.100.1", "10.0.0.0/8,192.0.2.0/24", False),
        ("192.0.2.7,192.0.2.9", "192.0.2.9,192.0.2.7", True),
        ("2001:db8:1::/48", "2001:db8::/32", True),
        ("2001:db8::/32", "2001:db8:1::/48", False),
        # Different families never contain each other, and never crash.
        ("2001:db8::1", "10.0.0.0/8", False),
        ("10.0.0.1", "::/0", False),
        # No restriction (any address) is the widest of all.
        ("192.0.2.7", "", True),
        ("", "", True),
        ("", "192.0.2.0/24", False),
        ("", "0.0.0.0/0", False),
    ],
)
def test_within(child: str, parent: str, within: bool) -> None:
    assert IPRestriction.parse(child).within(IPRestriction.parse(parent)) is within


def test_within_a_union_of_networks_that_covers_it() -> None:
    # 10.0.0.0/8 allows exactly the addresses the two halves allow together,
    # so it is not wider than them (CONTRACT 4: "no wider ipRestriction").
    child = IPRestriction.parse("10.0.0.0/8")
    parent = IPRestriction.parse("10.0.0.0/9,10.128.0.0/9")

    assert child.within(parent)
