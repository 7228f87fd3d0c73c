"""Properties of the pure core, checked on inputs Hypothesis makes up.

Every parser turns any text into either a value or its own error, never
another exception; the values agree with the standard library's ipaddress
module, or with counting addresses one by one on networks small enough to
count.
"""

from __future__ import annotations

import ipaddress
import string
from itertools import chain, cycle

import pytest
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from django_pat import tokens
from django_pat.client_ip import MAX_TRUSTED_HOPS, client_ip
from django_pat.ip import IPRestriction, IPRestrictionError, parse_address, parse_network

settings.register_profile(
    "django_pat",
    deadline=None,  # the machine is shared; time is not the property
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("django_pat")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# --- tokens ----------------------------------------------------------------------

prefixes = st.from_regex(r"[a-z][a-z0-9]{1,15}", fullmatch=True)


def made_up_token(prefix: str, random: str) -> str:
    """A well-formed token with a chosen random part (tokens.generate draws it
    from ``secrets``, which Hypothesis cannot replay)."""
    head = f"{prefix}_{random}"
    return head + tokens.checksum(head)


randoms = st.text(alphabet=tokens.ALPHABET, min_size=32, max_size=32)
# Characters a parser can trip on: look-alike digits and letters, separators,
# controls, and the two halves of a surrogate pair.
odd = st.sampled_from("_-+/= \t\n\x00\u00e9\u0663\uff13\uff21\u00df\u0130\u212a\u200b\ud800\udc00")


@st.composite
def mistyped(draw: st.DrawFn, prefix: str) -> str:
    """A valid token with up to three characters inserted, deleted or replaced."""
    text = made_up_token(prefix, draw(randoms))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        char = draw(st.one_of(odd, st.sampled_from(tokens.ALPHABET), st.characters()))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        rest = text[position + (action != "insert") :]
        text = text[:position] + ("" if action == "delete" else char) + rest
    return text


shaped = st.one_of(
    st.text(alphabet=st.one_of(odd, st.sampled_from(tokens.ALPHABET)), min_size=36, max_size=40),
    st.text(min_size=38, max_size=38),
)


def token_like(prefix: str) -> st.SearchStrategy[str]:
    """Text shaped more or less like a token: what a fuzzer of the format tries."""
    return st.one_of(
        st.text(), mistyped(prefix), shaped.map(lambda body: f"{prefix}_{body}"), shaped
    )


@given(prefix=prefixes, data=st.data())
def test_parse_raises_only_token_format_error(prefix, data):
    text = data.draw(token_like(prefix))

    try:
        parsed = tokens.parse(text, prefix)
    except tokens.TokenFormatError:
        return

    # Accepted: then it is exactly a token of that prefix, checksum and all.
    assert f"{parsed.prefix}_{parsed.random}{parsed.checksum}" == text
    assert parsed.checksum == tokens.checksum(f"{prefix}_{parsed.random}")


@given(prefix=prefixes)
def test_generated_token_round_trips(prefix):
    secret = tokens.generate(prefix)

    parsed = tokens.parse(secret, prefix)

    assert f"{parsed.prefix}_{parsed.random}{parsed.checksum}" == secret
    assert len(parsed.random) == tokens.RANDOM_LENGTH
    assert len(parsed.checksum) == tokens.CHECKSUM_LENGTH
    assert tokens.display_prefix(secret).startswith(f"{prefix}_")
    assert secret.startswith(tokens.display_prefix(secret))
    assert all(c in string.hexdigits for c in tokens.digest(secret))


@given(prefix=prefixes, other=prefixes)
def test_generated_token_is_refused_under_another_prefix(prefix, other):
    assume(prefix != other)

    with pytest.raises(tokens.TokenFormatError):
        tokens.parse(tokens.generate(prefix), other)


@given(
    prefix=prefixes,
    random=randoms,
    offset=st.integers(0, tokens.RANDOM_LENGTH + tokens.CHECKSUM_LENGTH - 1),
    shift=st.integers(1, len(tokens.ALPHABET) - 1),
)
def test_any_single_character_typo_is_caught_by_the_checksum(prefix, random, offset, shift):
    secret = made_up_token(prefix, random)
    assert tokens.parse(secret, prefix)
    position = len(prefix) + 1 + offset
    replacement = tokens.ALPHABET[(tokens.ALPHABET.index(secret[position]) + shift) % 62]
    typo = secret[:position] + replacement + secret[position + 1 :]

    with pytest.raises(tokens.TokenFormatError):
        tokens.parse(typo, prefix)


@given(st.integers(0, 2**32 - 1))
def test_checksum_digits_are_the_crc_in_base62(number):
    text = tokens._base62(number, tokens.CHECKSUM_LENGTH)

    assert len(text) == tokens.CHECKSUM_LENGTH
    assert sum(tokens.ALPHABET.index(c) * 62**i for i, c in enumerate(reversed(text))) == number


# --- IP restrictions: parsing ------------------------------------------------------


def _unmapped(network: Network) -> Network:
    """The oracle's own view of IPv4-mapped IPv6: the IPv4 network it carries."""
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network(f"{mapped}/{network.prefixlen - 96}")
    return network


@st.composite
def networks(draw: st.DrawFn) -> Network:
    address = draw(st.ip_addresses())
    length = draw(st.integers(0, address.max_prefixlen))
    return ipaddress.ip_network(f"{address}/{length}", strict=False)


@st.composite
def entry_text(draw: st.DrawFn) -> str:
    """One entry as people write them: right, nearly right, or wrong."""
    address = draw(st.ip_addresses())
    return draw(
        st.sampled_from(
            [
                str(address),
                f"{address}/{draw(st.integers(-1, 130))}",
                str(draw(networks())),
                f"{address.exploded}",
                f"{address}%eth0",
                f"[{address}]",
                f"{address}:80",
                str(address).upper(),
                draw(st.text(max_size=12)),
                draw(st.text(alphabet="0123456789abcdef.:/%", max_size=20)),
            ]
        )
    )


restriction_text = st.one_of(
    st.text(),
    st.lists(entry_text(), max_size=8).flatmap(
        lambda entries: st.sampled_from([",", ", ", " ,", ",,", "\t,\n"]).map(
            lambda glue: glue.join(entries)
        )
    ),
)


@given(restriction_text)
@example(",".join(f"10.0.0.{n}" for n in range(51)))
@example("1" * 5000)
@example("10.0.0.5/8")
@example("::ffff:10.0.0.0/104")
def test_restriction_parse_gives_a_value_or_its_own_error(text):
    try:
        restriction = IPRestriction.parse(text)
    except IPRestrictionError as error:
        message = str(error)
        restriction = None
    if restriction is None:
        assert message  # the error says what is wrong
        return
    normalised = str(restriction)
    assert " " not in normalised
    assert len(restriction.networks) == len(set(restriction.networks)) <= 50
    for network in restriction.networks:
        assert network == _unmapped(network)  # mapped entries are stored as IPv4


@given(restriction_text)
def test_normalising_is_idempotent(text):
    try:
        restriction = IPRestriction.parse(text)
    except IPRestrictionError:
        return

    again = IPRestriction.parse(str(restriction))

    assert again == restriction
    assert str(again) == str(restriction)


@given(st.lists(networks(), max_size=10))
def test_parsed_networks_are_ipaddress_networks_in_order_without_duplicates(nets):
    text = ", ".join(str(n) for n in nets)

    restriction = IPRestriction.parse(text)

    expected = list(dict.fromkeys(_unmapped(n) for n in nets))
    assert list(restriction.networks) == expected


@given(address=st.ip_addresses(), length=st.integers(0, 128))
def test_an_entry_with_host_bits_is_refused_naming_it(address, length):
    assume(length <= address.max_prefixlen)
    entry = f"{address}/{length}"
    strict_ok = ipaddress.ip_network(entry, strict=False).network_address == address

    if strict_ok:
        assert parse_network(entry) == _unmapped(ipaddress.ip_network(entry))
    else:
        with pytest.raises(IPRestrictionError, match="host bits"):
            parse_network(entry)


# --- IP restrictions: matching ------------------------------------------------------


@given(nets=st.lists(networks(), max_size=6), address=st.ip_addresses())
def test_allows_agrees_with_ipaddress(nets, address):
    restriction = IPRestriction.parse(",".join(str(n) for n in nets))
    client = parse_address(str(address))
    assert client is not None
    oracle_nets = [_unmapped(n) for n in nets]
    oracle_client = address.ipv4_mapped if getattr(address, "ipv4_mapped", None) else address

    expected = not nets or any(
        oracle_client.version == n.version and oracle_client in n for n in oracle_nets
    )

    assert restriction.allows(client) is expected


@given(nets=st.lists(networks(), max_size=6), address=st.ip_addresses(v=4))
def test_an_ipv4_mapped_client_matches_as_its_ipv4_address(nets, address):
    restriction = IPRestriction.parse(",".join(str(n) for n in nets))
    mapped = parse_address(f"::ffff:{address}")

    assert mapped == address
    assert restriction.allows(mapped) is restriction.allows(address)


# Two universes small enough to count: 16 IPv4 and 16 IPv6 addresses.
V4 = ipaddress.IPv4Network("192.0.2.0/28")
V6 = ipaddress.IPv6Network("2001:db8::/124")
UNIVERSE = list(chain(V4, V6))


@st.composite
def small_networks(draw: st.DrawFn) -> Network:
    universe = draw(st.sampled_from([V4, V6]))
    length = draw(st.integers(universe.prefixlen, universe.max_prefixlen))
    return draw(st.sampled_from(list(universe.subnets(new_prefix=length))))


def allowed(restriction: IPRestriction) -> set[Address]:
    return {a for a in UNIVERSE if any(a in n for n in restriction.networks)}


@given(mine=st.lists(small_networks(), max_size=5), theirs=st.lists(small_networks(), max_size=5))
@example(mine=[V4], theirs=list(V4.subnets(new_prefix=29)))
def test_within_agrees_with_counting_addresses(mine, theirs):
    a = IPRestriction.parse(",".join(map(str, mine)))
    b = IPRestriction.parse(",".join(map(str, theirs)))

    if not b:
        expected = True  # no restriction allows everything
    elif not a:
        expected = False  # everything is more than any restriction allows
    else:
        expected = allowed(a) <= allowed(b)

    assert a.within(b) is expected


# --- client address -------------------------------------------------------------------

remote_addrs = st.one_of(st.ip_addresses().map(str), st.text(max_size=50), st.just(""))
forwarded = st.one_of(
    st.lists(st.one_of(st.ip_addresses().map(str), st.text(max_size=20)), max_size=20).map(
        ", ".join
    ),
    st.text(max_size=200),
)
trusted = st.one_of(
    st.just([]),
    st.integers(1, 20),
    st.lists(networks().map(str), min_size=1, max_size=4),
)


@given(remote=remote_addrs, header=forwarded, proxies=trusted)
def test_client_ip_never_raises(remote, header, proxies):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=header)

    with override_settings(DJANGO_PAT={"TRUSTED_PROXIES": proxies}):
        address = client_ip(request)

    assert address is None or isinstance(address, Address)
    if not proxies:
        assert address == parse_address(remote)


@given(remote=st.ip_addresses(), header=forwarded, proxies=st.lists(networks(), max_size=4))
def test_an_untrusted_peer_is_the_client_whatever_it_forwards(remote, header, proxies):
    peer = parse_address(str(remote))
    assume(not any(peer in n for n in map(_unmapped, proxies)))
    request = RequestFactory().get("/", REMOTE_ADDR=str(remote), HTTP_X_FORWARDED_FOR=header)

    with override_settings(DJANGO_PAT={"TRUSTED_PROXIES": [str(n) for n in proxies]}):
        assert client_ip(request) == peer


# What a client may put in its own X-Forwarded-For: anything, and in particular
# the pieces lenient parsers trip on (quotes, escapes, brackets, RFC 7239 syntax).
client_pieces = st.one_of(
    st.ip_addresses().map(str),
    st.sampled_from(['"', "'", "\\", "[", "]", "for=", ";", ",", ", ", " ", "\t", ":", "%", ""]),
    st.text(max_size=8),
)
client_text = st.one_of(st.none(), st.text(max_size=60), st.lists(client_pieces).map("".join))
# How a proxy writes what it appends: the glue before it (nginx writes ", ",
# servers join repeated lines with ","), which spelling, and a port.
spellings = st.lists(
    st.tuples(
        st.sampled_from([",", ", ", " ,", " , ", ",\t"]), st.integers(0, 4), st.integers(0, 65535)
    ),
    min_size=1,
    max_size=4,
)
PLAIN = [(", ", 0, 0)]


def spelled(address: Address, form: int, port: int) -> str:
    """``address`` in one of the spellings a proxy may write."""
    if address.version == 4:
        forms = [
            f"{address}",
            f"{address}:{port}",
            f"::ffff:{address}",
            f"[::ffff:{address}]:{port}",
        ]
    else:
        forms = [f"{address}", address.exploded, f"{address}".upper(), f"[{address}]:{port}"]
    return forms[form % len(forms)]


def appended(sent: str | None, hops: list[Address], spellings: list[tuple[str, int, int]]) -> str:
    """X-Forwarded-For once proxies have appended ``hops``, outermost first, to
    what the client ``sent``."""
    header = sent
    for hop, (glue, form, port) in zip(hops, cycle(spellings)):
        entry = spelled(hop, form, port)
        header = entry if header is None else header + glue + entry
    return header or ""


@given(
    sent=client_text,
    hops=st.lists(st.ip_addresses(), min_size=1, max_size=MAX_TRUSTED_HOPS + 4),
    spellings=spellings,
    remote=remote_addrs,
)
@example(sent='127.0.0.2, "', hops=[ipaddress.ip_address("127.0.0.3")], spellings=PLAIN, remote="")
@example(sent="127.0.0.2\\", hops=[ipaddress.ip_address("127.0.0.3")], spellings=PLAIN, remote="")
def test_with_a_count_the_client_is_what_the_outermost_proxy_wrote(sent, hops, spellings, remote):
    # N proxies each append the address they saw; the first of the N entries is
    # the client, whatever the client itself sent before them.
    header = appended(sent, hops, spellings)
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=header)

    with override_settings(DJANGO_PAT={"TRUSTED_PROXIES": len(hops)}):
        assert client_ip(request) == parse_address(str(hops[0]))


@given(
    sent=client_text,
    proxies=st.lists(networks(), min_size=1, max_size=4),
    client=st.ip_addresses(),
    picks=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2**128)), min_size=1, max_size=MAX_TRUSTED_HOPS
    ),
    spellings=spellings,
)
@example(
    sent='"',
    proxies=[ipaddress.ip_network("10.0.0.0/8")],
    client=ipaddress.ip_address("203.0.113.9"),
    picks=[(0, 1)],
    spellings=PLAIN,
)
def test_with_networks_the_client_is_the_first_untrusted_hop(
    sent, proxies, client, picks, spellings
):
    # The client connects to proxy 1, which appends the client's address;
    # proxy k appends proxy k-1's; the last proxy connects to Django.
    def trusted(address: Address) -> bool:
        unmapped = parse_address(str(address))
        return any(unmapped in _unmapped(network) for network in proxies)

    hops = [
        proxies[i % len(proxies)][n % proxies[i % len(proxies)].num_addresses] for i, n in picks
    ]
    assume(not trusted(client) and all(map(trusted, hops)))
    header = appended(sent, [client, *hops[:-1]], spellings)
    request = RequestFactory().get("/", REMOTE_ADDR=str(hops[-1]), HTTP_X_FORWARDED_FOR=header)

    with override_settings(DJANGO_PAT={"TRUSTED_PROXIES": [str(n) for n in proxies]}):
        assert client_ip(request) == parse_address(str(client))
