"""A realistic credential inventory for the scale benchmark (``benchmarks.scale``).

``fill(tokens)`` makes the current database hold ``tokens`` tokens over
``tokens // 10`` users, as a site that has issued tokens for a year and a
half would hold them:

* about 55% active, 20% revoked, 22% expired; 3% of users deactivated;
* 30% ``read_only``, 10% restricted to addresses, a few never expiring;
* a third never used, the rest last used some time before they died;
* most users own a few tokens; one in a hundred is a service account that
  has been issued hundreds (most of them revoked or expired by now, since at
  most 100 may be active);
* names a person would give (``ci``, ``laptop``, ``terraform-prod`` ...),
  usernames and email addresses of people.

Every value is made from a fixed seed, so both sizes are the same mix and a
run is repeatable. Filled with ``COPY`` on PostgreSQL (batched inserts on
SQLite) through :func:`benchmarks.populate.insert_rows`. A database that
already holds the mix of this size is left as it is.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, transaction

from benchmarks import routing
from benchmarks.populate import converter, insert_rows, log
from django_pat.models import PersonalAccessToken

# The users of the mix; the benchmark's own users are named otherwise.
PEOPLE = "person-"
SEED = 17
USERS_PER_TOKEN = 10

FIRST = """
olivia emma ava sophia isabella mia amelia harper evelyn abigail emily ella elizabeth
camila luna sofia avery mila aria scarlett penelope layla chloe victoria madison eleanor
grace nora riley zoey hannah hazel lily ellie violet lillian zoe stella aurora natalie
emilia everly leah aubrey willow addison lucy audrey bella liam noah william james
oliver benjamin elijah lucas mason logan alexander ethan jacob michael daniel henry
jackson sebastian aiden matthew samuel david joseph carter owen wyatt john jack luke
jayden dylan grayson levi isaac gabriel julian mateo anthony jaxon lincoln joshua
christopher andrew theodore caleb ryan asher nathan thomas leo isaiah charles josiah
hudson christian hunter
""".split()  # noqa: SIM905
LAST = """
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez
lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson
white harris sanchez clark ramirez lewis robinson walker young allen king wright scott
torres nguyen hill flores green adams nelson baker hall rivera campbell mitchell carter
roberts gomez phillips evans turner diaz parker cruz edwards collins reyes stewart
morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson bailey reed
kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett gray
mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez
powell jenkins perry
""".split()  # noqa: SIM905
DOMAINS = ("example.com", "example.org", "corp.example", "mail.example.net")
TOKEN_NAMES = (
    "ci",
    "deploy",
    "laptop",
    "desktop",
    "backup",
    "grafana",
    "prometheus",
    "terraform",
    "terraform-prod",
    "github-actions",
    "gitlab-runner",
    "jenkins",
    "cli",
    "script",
    "cron nightly",
    "monitoring",
    "data export",
    "analytics",
    "staging",
    "production",
    "mobile app",
    "home server",
    "zapier",
    "slack bot",
    "local dev",
)
RESTRICTIONS = ("10.0.0.0/8", "192.0.2.7", "203.0.113.0/24,2001:db8::/32", "198.51.100.14")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Person:
    """Someone of the mix the benchmark looks up: searches, owner filters, pages."""

    pk: int
    username: str
    tokens: int


def username_of(index: int) -> str:
    rng = random.Random(index)
    return f"{PEOPLE}{rng.choice(FIRST)}.{rng.choice(LAST)}{index:06d}"


def present(tokens: int) -> bool:
    """Whether the database holds the mix of this size."""
    users = get_user_model()._default_manager
    return (
        users.filter(username__startswith=PEOPLE).count() == tokens // USERS_PER_TOKEN
        and PersonalAccessToken.objects.filter(user__username__startswith=PEOPLE).count() == tokens
    )


def fill(tokens: int) -> None:
    """Make the database hold the mix of ``tokens`` tokens (and nothing else of the mix)."""
    if present(tokens):
        return
    log(f"filling the mix: {tokens:,} tokens over {tokens // USERS_PER_TOKEN:,} users ...")
    started = time.perf_counter()
    _clear()
    user_ids = _insert_people(tokens // USERS_PER_TOKEN)
    now = datetime.now(timezone.utc)
    counts = _tokens_per_user(len(user_ids), tokens)
    uuid_value = converter(PersonalAccessToken._meta.get_field("id"))
    insert_rows(
        PersonalAccessToken,
        (
            "id",
            "user_id",
            "name",
            "type",
            "digest",
            "display_prefix",
            "ip_restriction",
            "created_at",
            "expire_at",
            "last_used_at",
            "revoked_at",
        ),
        (
            (uuid_value(row[0]), *row[1:])
            for row in _token_rows(user_ids, counts, now, random.Random(SEED))
        ),
    )
    connection = connections[routing.current()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"filled in {time.perf_counter() - started:.0f} s")


def people(tokens: int) -> dict[str, Person]:
    """Users of the mix to look up: a typical one and the busiest service account."""
    users = get_user_model()._default_manager.filter(username__startswith=PEOPLE)
    counts = _tokens_per_user(tokens // USERS_PER_TOKEN, tokens)
    typical = next(index for index, count in enumerate(counts) if count == 8)
    busiest = max(range(len(counts)), key=counts.__getitem__)
    found = {}
    for role, index in (("typical", typical), ("service", busiest)):
        username = username_of(index)
        found[role] = Person(users.get(username=username).pk, username, counts[index])
    return found


def _clear() -> None:
    alias = routing.current()
    users = get_user_model()._default_manager.filter(username__startswith=PEOPLE)
    with transaction.atomic(using=alias):
        PersonalAccessToken.objects.filter(user__in=users)._raw_delete(alias)  # type: ignore[attr-defined]
        users._raw_delete(alias)  # type: ignore[attr-defined]


def _insert_people(count: int) -> list[int]:
    User = get_user_model()
    joined = datetime.now(timezone.utc) - timedelta(days=800)

    def rows() -> Iterator[tuple[Any, ...]]:
        for index in range(count):
            username = username_of(index)
            first, _, rest = username.removeprefix(PEOPLE).partition(".")
            last = rest.rstrip("0123456789")
            email = f"{first}.{last}{index}@{DOMAINS[index % len(DOMAINS)]}"
            # One user in 33 deactivated: their tokens read "user inactive".
            active = index % 33 != 5
            yield ("!unusable", False, username, first, last, email, False, active, joined)

    insert_rows(
        User,
        (
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ),
        rows(),
    )
    pks = dict(
        User._default_manager.filter(username__startswith=PEOPLE).values_list("username", "pk")
    )
    return [pks[username_of(index)] for index in range(count)]


def _tokens_per_user(users: int, tokens: int) -> list[int]:
    """How many tokens each user has: a few for most, hundreds for 1 in 100."""
    rng = random.Random(SEED)
    weights = [
        rng.uniform(30, 60) if index % 100 == 50 else rng.expovariate(1) + 0.2
        for index in range(users)
    ]
    scale = tokens / sum(weights)
    counts = [max(1, round(weight * scale)) for weight in weights]
    # Make the total exact, taking from or giving to the busiest accounts.
    order = sorted(range(users), key=counts.__getitem__, reverse=True)
    difference = tokens - sum(counts)
    step = 1 if difference > 0 else -1
    position = 0
    while difference:
        index = order[position % len(order)]
        if counts[index] + step >= 1:
            counts[index] += step
            difference -= step
        position += 1
    return counts


def _token_rows(
    user_ids: list[int], counts: list[int], now: datetime, rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    day = timedelta(days=1)
    for user_id, count in zip(user_ids, counts, strict=True):
        # At most 100 of a user's tokens are active: the cap of the default settings.
        active_left = 100
        for sequence in range(count):
            draw = rng.random()
            if draw < 0.55 and active_left:
                state = "active"
                active_left -= 1
            elif draw < 0.77:
                state = "expired"
            else:
                state = "revoked"
            lifetime = rng.choice((30, 90, 90, 90, 365)) * day
            revoked_at = None
            if state == "active":
                created = now - rng.uniform(0, 1) * lifetime
                expire_at: datetime | None = created + lifetime
                if rng.random() < 0.05:
                    created, expire_at = now - rng.uniform(0, 540) * day, None
            elif state == "expired":
                expire_at = now - rng.uniform(0, 300) * day
                created = expire_at - lifetime
            else:
                created = now - rng.uniform(1, 540) * day
                expire_at = created + lifetime
                end = min(now, expire_at)
                revoked_at = created + (end - created) * rng.random()
            last_used = None
            if rng.random() < 0.65:
                end = min(filter(None, (now, expire_at, revoked_at)))
                last_used = created + (end - created) * rng.random()
            name = rng.choice(TOKEN_NAMES)
            yield (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                user_id,
                f"{name} {sequence + 1}" if sequence else name,
                "read_only" if rng.random() < 0.3 else "read_write",
                rng.getrandbits(256).to_bytes(32, "big").hex(),
                "pat_" + "".join(rng.choice(BASE62) for _ in range(4)),
                rng.choice(RESTRICTIONS) if rng.random() < 0.1 else "",
                created,
                expire_at,
                last_used,
                revoked_at,
            )
