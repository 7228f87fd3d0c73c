"""Races on real threads and real connections.

The PostgreSQL tests drive the endpoints over HTTP through a live server that
answers each connection in a thread of its own, with its own database
connection, so requests really overlap in the database. They check what must
hold however requests interleave: the per-user cap and unique names under a
burst of provisions, no request getting through once a revoke has returned,
and concurrent uses recording ``lastUsedAt`` without errors or deadlocks.
No request may answer 5xx.

The last tests serve the example project from an SQLite file under gunicorn
(several processes, several threads each), as README's first command leaves it.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from django_pat import tokens
from django_pat.models import PersonalAccessToken

from . import load
from .conftest import LIST_URL, detail_url

THREADS = 20
JOIN_TIMEOUT = 60


@dataclass
class Reply:
    status: int
    body: Any
    started: float
    ended: float

    def __repr__(self) -> str:
        # Never a secret in a failing test's output.
        body = self.body if self.status >= 400 else "..."
        return f"Reply({self.status}, {body!r})"


def call(base: str, method: str, path: str, secret: str, body: object | None = None) -> Reply:
    """One request on a connection of its own."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Authorization": f"Bearer {secret}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic()
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return Reply(response.status, json.loads(data) if data else None, started, time.monotonic())


def outcome(replies: list[Reply]) -> str:
    """``20 requests in 1.23 s: 200 x5, 400 x15`` for the figures."""
    statuses = Counter(r.status for r in replies)
    took = max(r.ended for r in replies) - min(r.started for r in replies)
    answers = ", ".join(f"{status} x{n}" for status, n in sorted(statuses.items()))
    return f"{len(replies)} requests in {took:.2f} s: {answers}"


def race(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(0..count-1)`` on ``count`` threads released together."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[index] = work(index)
        except BaseException as error:  # handed to the test's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "threads hung: deadlock?"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def site(live_server) -> str:
    return str(live_server.url)


@pytest.fixture
def slow_secrets(monkeypatch):
    """Make generating a secret take 50 ms.

    provision() generates the secret between counting the user's tokens and
    inserting the new one; slowed down, that window is wide enough that
    racing requests are all inside it at once, and only the lock keeps them
    from all passing the same count. (A pause there can happen in production
    too: a busy CPU, a garbage collection.)
    """
    generate = tokens.generate

    def slow(prefix: str) -> str:
        time.sleep(0.05)
        return generate(prefix)

    monkeypatch.setattr(tokens, "generate", slow)


# --- PostgreSQL: provisioning --------------------------------------------------


# Each racing request authenticates with a token of its own, as separate CI
# jobs of one person would: requests sharing one token would also queue on
# that token's row, which provision() locks too.


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cap_holds_when_20_provisions_race(site, user, make_token, settings, slow_secrets, figure):
    secrets = [make_token()[1] for _ in range(THREADS)]
    settings.DJANGO_PAT = {"MAX_ACTIVE_TOKENS_PER_USER": THREADS + 5}

    replies = race(
        THREADS, lambda n: call(site, "POST", LIST_URL, secrets[n], {"name": f"race {n}"})
    )

    figure(f"cap {THREADS + 5}, {THREADS} in use: {outcome(replies)}")
    assert Counter(r.status for r in replies) == {200: 5, 400: THREADS - 5}
    for reply in replies:
        if reply.status == 400:
            assert f"{THREADS + 5} active tokens" in reply.body["message"]
    assert PersonalAccessToken.objects.active().for_user(user).count() == THREADS + 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_names_stay_unique_when_20_provisions_race(site, user, make_token, slow_secrets, figure):
    secrets = [make_token()[1] for _ in range(THREADS)]

    replies = race(THREADS, lambda n: call(site, "POST", LIST_URL, secrets[n], {"name": "deploy"}))

    figure(f"one name: {outcome(replies)}")
    assert Counter(r.status for r in replies) == {200: 1, 400: THREADS - 1}
    for reply in replies:
        if reply.status == 400:
            assert "deploy" in reply.body["errors"]["name"][0]
    assert PersonalAccessToken.objects.for_user(user).filter(name="deploy").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_each_user_gets_the_cap_when_two_users_race(
    site, user, other_user, make_token, settings, slow_secrets
):
    secrets = [make_token(user if n % 2 else other_user)[1] for n in range(THREADS)]
    settings.DJANGO_PAT = {"MAX_ACTIVE_TOKENS_PER_USER": THREADS // 2 + 3}

    replies = race(
        THREADS, lambda n: call(site, "POST", LIST_URL, secrets[n], {"name": f"race {n}"})
    )

    assert Counter(r.status for r in replies) == {200: 6, 400: THREADS - 6}
    for owner in (user, other_user):
        assert PersonalAccessToken.objects.active().for_user(owner).count() == THREADS // 2 + 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_sharing_one_token_also_keep_the_cap(site, user, token, settings, slow_secrets):
    _, secret = token
    settings.DJANGO_PAT = {"MAX_ACTIVE_TOKENS_PER_USER": 6}

    replies = race(THREADS, lambda n: call(site, "POST", LIST_URL, secret, {"name": f"race {n}"}))

    assert Counter(r.status for r in replies) == {200: 5, 400: THREADS - 5}
    assert PersonalAccessToken.objects.active().for_user(user).count() == 6


# --- PostgreSQL: revoking while the token is in use ----------------------------


def hammer_until_revoked(
    request: Callable[[], Reply], revoke: Callable[[], Reply]
) -> tuple[list[Reply], Reply, Reply]:
    """``request()`` in a loop on 8 threads; ``revoke()`` once 10 succeeded.

    Goes on until 20 requests started after the revoke returned. Returns every
    reply, the revoke's, and that of the request the revoking thread sent the
    moment the revoke returned.
    """
    replies: list[Reply] = []
    lock = threading.Lock()
    stop = threading.Event()

    def use(_: int) -> None:
        while not stop.is_set():
            reply = request()
            with lock:
                replies.append(reply)

    def count(predicate: Callable[[Reply], bool]) -> int:
        with lock:
            return sum(map(predicate, replies))

    workers = threading.Thread(target=race, args=(8, use))
    workers.start()
    try:
        deadline = time.monotonic() + JOIN_TIMEOUT
        while count(lambda r: r.status == 200) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        revoked = revoke()
        very_next = request()
        while count(lambda r: r.started > revoked.ended) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        workers.join(timeout=JOIN_TIMEOUT)
    assert not workers.is_alive(), "threads hung: deadlock?"
    return replies, revoked, very_next


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_no_use_gets_through_once_the_revoke_returned(site, make_token, round_, figure):
    _, admin_secret = make_token(name="revoker")
    victim, secret = make_token(name="victim")

    replies, revoked, very_next = hammer_until_revoked(
        lambda: call(site, "GET", detail_url(victim.pk), secret),
        lambda: call(site, "DELETE", detail_url(victim.pk), admin_secret),
    )

    after = [r for r in replies if r.started > revoked.ended]
    figure(
        f"{outcome(replies)}; {len(after)} started after the revoke returned: "
        f"{outcome(after) if after else 'none'}"
    )
    assert revoked.status == 200
    assert very_next.status == 401
    assert len(after) >= 20
    assert {r.status for r in after} == {401}
    assert {r.status for r in replies} <= {200, 401}
    assert any(r.status == 200 for r in replies if r.ended < revoked.started)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_token_revoked_while_it_provisions_makes_nothing_afterwards(
    site, user, make_token, slow_secrets, figure
):
    """Children asked for with a token while it is revoked: once the revoke has
    returned, no new child appears, not even from requests already running."""
    parent, secret = make_token(name="parent")
    children = PersonalAccessToken.objects.for_user(user).exclude(pk=parent.pk)
    names = (f"child {n}" for n in range(1_000_000))
    counted: list[int] = []

    def revoke() -> Reply:
        reply = call(site, "DELETE", detail_url(parent.pk), secret)
        counted.append(children.count())
        return reply

    replies, revoked, very_next = hammer_until_revoked(
        lambda: call(site, "POST", LIST_URL, secret, {"name": next(names)}), revoke
    )

    figure(
        f"{outcome(replies)}; children when the revoke returned: {counted[0]}, at the end: "
        f"{children.count()}"
    )
    assert revoked.status == 200
    assert very_next.status == 401
    assert {r.status for r in replies} <= {200, 401}
    assert {r.status for r in replies if r.started > revoked.ended} == {401}
    assert children.count() == counted[0]
    assert {str(pk) for pk in children.values_list("pk", flat=True)} == {
        r.body["id"] for r in replies if r.status == 200
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_revokes_of_one_token_all_answer_200(site, make_token):
    victim, _ = make_token(name="victim")
    _, secret = make_token(name="revoker")

    replies = race(THREADS, lambda _: call(site, "DELETE", detail_url(victim.pk), secret))

    assert {r.status for r in replies} == {200}
    victim.refresh_from_db()
    assert victim.revoked_at is not None


# --- PostgreSQL: rotation ---------------------------------------------------------


def rotate_path(token_id: object) -> str:
    return f"{detail_url(token_id)}/rotate"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_rotations_of_one_token_give_one_successor(
    site, user, make_token, slow_secrets, round_, figure
):
    """Each request authenticated by a token of its own, as separate jobs
    would: they meet only on the token they rotate."""
    victim, victim_secret = make_token(name="victim")
    secrets = [make_token(name=f"rotator {n}")[1] for n in range(THREADS)]

    replies = race(THREADS, lambda n: call(site, "POST", rotate_path(victim.pk), secrets[n]))

    figure(f"{THREADS} rotations of one token: {outcome(replies)}")
    assert Counter(r.status for r in replies) == {200: 1, 400: THREADS - 1}
    for reply in replies:
        if reply.status == 400:
            assert reply.body["message"] == (
                "Only an active token can be rotated; this one is revoked."
            )
    [winner] = [r.body for r in replies if r.status == 200]
    successors = PersonalAccessToken.objects.filter(previous=victim)
    assert [str(pk) for pk in successors.values_list("pk", flat=True)] == [winner["id"]]
    assert PersonalAccessToken.objects.active().for_user(user).filter(name="victim").count() == 1
    assert call(site, "GET", LIST_URL, victim_secret).status == 401
    assert call(site, "GET", LIST_URL, winner["token"]).status == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_token_rotating_itself_many_times_at_once_has_one_successor(
    site, make_token, slow_secrets, figure
):
    victim, secret = make_token(name="victim")

    replies = race(THREADS, lambda _: call(site, "POST", rotate_path(victim.pk), secret))

    figure(f"{THREADS} self-rotations at once: {outcome(replies)}")
    statuses = Counter(r.status for r in replies)
    # The losers either found it rotated (400) or were refused with it (401).
    assert statuses[200] == 1
    assert set(statuses) <= {200, 400, 401}
    assert PersonalAccessToken.objects.filter(previous=victim).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rotations_racing_provisions_under_the_same_token_never_deadlock(
    site, user, make_token, slow_secrets, figure
):
    """A rotation locks the owner before the token it rotates, as provision()
    locks the owner before the token that asks: a token provisioning while it
    is rotated waits its turn, never deadlocks."""
    victim, secret = make_token(name="victim")
    _, rotator = make_token(name="rotator")
    names = iter(f"child {n}" for n in range(THREADS))

    def work(n: int) -> Reply:
        if n % 2:
            return call(site, "POST", rotate_path(victim.pk), rotator)
        return call(site, "POST", LIST_URL, secret, {"name": next(names)})

    replies = race(THREADS, work)

    figure(f"rotations and provisions under the rotated token: {outcome(replies)}")
    assert {r.status for r in replies} <= {200, 400, 401}
    assert PersonalAccessToken.objects.filter(previous=victim).count() == 1


# --- PostgreSQL: lastUsedAt -------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "interval", [timedelta(0), timedelta(seconds=60)], ids=["every use", "once a minute"]
)
def test_concurrent_uses_record_last_used_without_errors(site, token, settings, interval, figure):
    settings.DJANGO_PAT = {"LAST_USED_UPDATE_INTERVAL": interval}
    victim, secret = token
    assert victim.last_used_at is None
    before = time.time()

    replies = race(
        THREADS, lambda _: [call(site, "GET", detail_url(victim.pk), secret) for _ in range(5)]
    )

    figure(outcome([r for batch in replies for r in batch]))
    assert {r.status for batch in replies for r in batch} == {200}
    victim.refresh_from_db()
    assert victim.last_used_at is not None
    assert before - 1 <= victim.last_used_at.timestamp() <= time.time() + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_uses_provisions_and_revokes_of_one_user_interleave_without_errors(
    site, user, make_token, settings
):
    """The lock provision() takes on the user and the row locks of revoke and
    of ``lastUsedAt`` never wait on each other in a cycle."""
    settings.DJANGO_PAT = {"LAST_USED_UPDATE_INTERVAL": timedelta(0)}
    tokens = [make_token(name=f"worker {n}") for n in range(THREADS)]

    def work(n: int) -> list[int]:
        own, secret = tokens[n]
        statuses = []
        for step in range(4):
            if n % 4 == 0:
                made = call(site, "POST", LIST_URL, secret, {"name": f"made {n}/{step}"})
                statuses.append(made.status)
                statuses.append(call(site, "DELETE", detail_url(made.body["id"]), secret).status)
            elif n % 4 == 1:
                statuses.append(call(site, "GET", f"{LIST_URL}?active=true", secret).status)
            else:
                statuses.append(call(site, "GET", detail_url(own.pk), secret).status)
        return statuses

    results = race(THREADS, work)

    assert {status for statuses in results for status in statuses} == {200}
    assert PersonalAccessToken.objects.active().for_user(user).count() == THREADS


# --- SQLite: the example site under gunicorn --------------------------------------


@dataclass
class SQLiteSite:
    base: str
    database: Path
    secrets: list[str]
    served: load.Site


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory) -> Iterator[SQLiteSite]:
    """The example site on an SQLite file, gunicorn with 2 workers x 8 threads."""
    directory = tmp_path_factory.mktemp("sqlite_site")
    database = directory / "db.sqlite3"
    database_url = f"sqlite:///{database}"
    secrets = load.prepare(database_url, 3, directory)
    with load.serve(database_url, directory, workers=2, threads=8) as served:
        yield SQLiteSite(f"http://{served.host}:{served.port}", database, secrets, served)


def test_sqlite_site_takes_a_burst_of_provisions_without_errors(sqlite_site, figure):
    base, secret = sqlite_site.base, sqlite_site.secrets[0]

    replies = race(THREADS, lambda n: call(base, "POST", LIST_URL, secret, {"name": f"burst {n}"}))

    figure(outcome(replies))
    assert [r.status for r in replies] == [200] * THREADS, sqlite_site.served.log_tail()
    listed = call(base, "GET", f"{LIST_URL}?active=true", secret)
    assert len(listed.body) == THREADS + 1


def test_sqlite_site_keeps_names_unique_under_a_burst(sqlite_site):
    base, secret = sqlite_site.base, sqlite_site.secrets[1]

    replies = race(THREADS, lambda _: call(base, "POST", LIST_URL, secret, {"name": "same"}))

    assert Counter(r.status for r in replies) == {200: 1, 400: THREADS - 1}, (
        sqlite_site.served.log_tail()
    )


def test_sqlite_site_queues_writes_behind_a_long_lock(sqlite_site, figure):
    """Another writer holds SQLite's write lock for 6 s, longer than SQLite's
    default 5 s busy timeout: reads go on (WAL), a provision waits its turn and
    succeeds instead of failing with "database is locked" (a 500)."""
    base, secret = sqlite_site.base, sqlite_site.secrets[2]
    assert call(base, "GET", LIST_URL, secret).status == 200  # lastUsedAt is fresh now
    blocker = sqlite3.connect(sqlite_site.database, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(6, blocker.execute, args=("COMMIT",))
    release.start()
    try:
        read = call(base, "GET", LIST_URL, secret)
        write = call(base, "POST", LIST_URL, secret, {"name": "queued"})
    finally:
        release.join()
        blocker.close()

    figure(
        f"read {read.status} in {read.ended - read.started:.2f} s, write {write.status} "
        f"after {write.ended - write.started:.2f} s behind a 6 s lock"
    )
    assert read.status == 200
    assert read.ended - read.started < 3
    assert write.status == 200, sqlite_site.served.log_tail()
    assert write.ended - write.started > 4
