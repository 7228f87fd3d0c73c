"""Cache mode's in-process copy (django_pat/cache_copy.py), against this
machine's Redis: a hit answered from the copy costs no Redis read and no
query, and nothing Redis reports as changed is ever answered from the copy.

Every test uses a key prefix of its own and deletes its keys afterwards.
What two processes see of each other's changes is in test_cache_processes.py.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import select
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from rest_framework import exceptions
from rest_framework.request import Request

from django_pat import cache as pat_cache
from django_pat import cache_copy, process_copy, redis_wire
from django_pat.authentication import PersonalAccessTokenAuthentication
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def prefix(redis_server: Any) -> Iterator[str]:
    prefix = f"django-pat-tests-{uuid.uuid4().hex}"
    yield prefix
    for key in redis_server.scan_iter(match=f"{prefix}:*"):
        redis_server.delete(key)


def redis_cache(prefix: str, **extra: Any) -> dict[str, Any]:
    return {"BACKEND": REDIS_CACHE, "LOCATION": REDIS_URL, "KEY_PREFIX": prefix, **extra}


@pytest.fixture
def cache_mode(prefix: str) -> Iterator[None]:
    """Cache mode with the copy on this machine's Redis, through Django's RedisCache."""
    with override_settings(
        CACHES={"default": {"BACKEND": LOCMEM}, "pat": redis_cache(prefix)},
        DJANGO_PAT={"CACHE": "pat", "CACHE_IN_PROCESS": True},
    ):
        yield


class RedisReads:
    """Counts the reads of cache mode's cache, that is, the round trips to Redis."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        cache = caches["pat"]
        read = cache.get

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return read(*args, **kwargs)

        monkeypatch.setattr(cache, "get", counting)


@pytest.fixture
def redis_reads(cache_mode: None, monkeypatch: pytest.MonkeyPatch) -> RedisReads:
    return RedisReads(monkeypatch)


def authenticate(secret: str) -> Any:
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    result = PersonalAccessTokenAuthentication().authenticate(Request(request))
    assert result is not None
    return result


def warm(secret: str) -> None:
    """The first lookup fills Redis, the second the copy."""
    authenticate(secret)
    authenticate(secret)


def the_copy() -> cache_copy.Copy:
    copy = cache_copy.copy_for("pat", pat_cache._entry_key)
    assert copy is not None
    return copy


def redis_key(digest: str) -> str:
    return str(caches["pat"].make_key(pat_cache._entry_key(digest)))


def test_a_hit_from_the_copy_reads_neither_redis_nor_the_database(
    redis_reads: RedisReads, token: Any, django_assert_num_queries: Any
) -> None:
    instance, secret = token
    warm(secret)
    redis_reads.count = 0

    with django_assert_num_queries(0):
        user, authenticated = authenticate(secret)

    assert redis_reads.count == 0
    assert authenticated.pk == instance.pk
    assert user.pk == instance.user_id


def test_every_hit_gets_its_own_objects(redis_reads: RedisReads, token: Any) -> None:
    _instance, secret = token
    warm(secret)

    first_user, first = authenticate(secret)
    second_user, second = authenticate(secret)

    assert first is not second
    assert first_user is not second_user
    first_user.first_name = "changed by a view"
    assert authenticate(secret)[0].first_name == ""


def test_any_change_to_an_entry_in_redis_is_seen_by_the_next_lookup(
    redis_reads: RedisReads, token: Any, redis_server: Any
) -> None:
    """Another process's write, expiry or delete: the copy drops the entry at once."""
    instance, secret = token
    for change in (
        lambda key: redis_server.delete(key),
        lambda key: redis_server.pexpire(key, 1),
        lambda key: redis_server.set(key, 7),  # last: no lookup refills over it
    ):
        warm(secret)
        redis_reads.count = 0
        authenticate(secret)
        assert redis_reads.count == 0

        change(redis_key(instance.digest))
        time.sleep(0.01)  # the expiry of pexpire
        authenticate(secret)

        assert redis_reads.count == 1, change


def test_revocation_is_refused_on_the_very_next_request(
    redis_reads: RedisReads, token: Any
) -> None:
    instance, secret = token
    warm(secret)

    instance.revoke()

    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate(secret)


def test_an_entry_changed_while_it_was_read_is_not_kept(
    cache_mode: None, redis_server: Any
) -> None:
    copy = the_copy()
    digest = "d" * 64
    assert copy.get(digest) is None  # connects
    ticket = copy.expect(digest)

    redis_server.set(redis_key(digest), b"changed meanwhile")
    copy.keep(digest, ("an", "entry"), ticket)

    assert copy.get(digest) is None


def test_a_message_arrives_before_the_change_is_answered(
    cache_mode: None, redis_server: Any
) -> None:
    """What the copy rests on: once a change has been answered, the next lookup
    in any process sees it. Repeated, since a race would show only sometimes."""
    copy = the_copy()
    digest = "e" * 64
    key = redis_key(digest)
    for attempt in range(500):
        copy.get(digest)
        ticket = copy.expect(digest)
        copy.keep(digest, ("an", "entry"), ticket)
        # The copy answers once none of its PINGs is unanswered (it may have
        # sent one just now): wait for that, briefly, before the change.
        deadline = time.monotonic() + 2
        while copy.get(digest) is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert copy.get(digest) == ("an", "entry"), f"attempt {attempt}: never answered"

        redis_server.set(key, attempt)

        assert copy.get(digest) is None, f"attempt {attempt}"


def _command(*parts: bytes) -> bytes:
    """One command as a client sends it (RESP)."""
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


def _busy(microseconds: int) -> bytes:
    """A Lua script that keeps Redis busy: what arrives meanwhile waits, and
    is then read in one pass."""
    return _command(
        b"EVAL",
        b"local s = redis.call('TIME') repeat local n = redis.call('TIME') "
        b"until (n[1] - s[1]) * 1000000 + n[2] - s[2] >= %d return 1" % microseconds,
        b"0",
    )


def test_while_a_ping_is_unanswered_the_copy_does_not_answer(
    redis_reads: RedisReads, token: Any, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PONG may come after the answer to a change (see the next test): until
    it has come, a hit reads Redis. Here Redis is kept too busy to send it."""
    monkeypatch.setattr(process_copy, "PING_SECONDS", 3600.0)  # PINGs only where sent here
    _instance, secret = token
    warm(secret)
    copy = the_copy()
    holder = redis_server.connection_pool.make_connection()
    holder.connect()
    try:
        holder.send_packed_command([_busy(200_000)])  # no PONG for 0.2 s
        copy._next_ping = 0.0
        redis_reads.count = 0
        authenticate(secret)  # from the copy; sends a PING
        assert redis_reads.count == 0

        authenticate(secret)

        assert redis_reads.count == 1
    finally:
        assert holder.read_response() == 1
        holder.disconnect()


def test_a_change_answered_in_the_same_pass_as_a_ping_is_not_missed(
    cache_mode: None,
    prefix: str,
    redis_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    figure: Any,
) -> None:
    """At the end of a pass Redis writes out what it has for each connection,
    the connection it gave something to last first. A change run in the same
    pass as a PING of the copy, after it, is therefore answered before the
    copy's connection gets the PONG and, with it, the message naming the
    change: a client quick enough after that answer could be let in with
    what the change replaced. The copy must not answer while its PING is
    unanswered.

    Each round sends a PING and a change while Redis is busy (a Lua script),
    so that both run in one pass; other clients answered in that pass (as on
    a busy server) widen the gap; the writer reads its answer without
    sleeping and asks the copy at once. Before that rule, tens of rounds in
    300 were let in."""
    # PINGs only where the test sends them; without them the copy stays usable.
    monkeypatch.setattr(process_copy, "PING_SECONDS", 3600.0)
    monkeypatch.setattr(process_copy, "ALIVE_SECONDS", 3600.0)
    copy = the_copy()
    digest = "9" * 64
    entry = ((), ("an", "entry"), (), ())
    key = redis_key(digest).encode()
    assert copy.get(digest) is None  # connects
    # Not under the copy's prefix: reading it sends no message.
    large = f"{prefix}:large".encode()
    redis_server.set(large, b"x" * 65000)

    pool = redis_server.connection_pool
    holder, writer = pool.make_connection(), pool.make_connection()
    others = [pool.make_connection() for _ in range(4)]
    for connection in (holder, writer, *others):
        connection.connect()
    writer._sock.setblocking(False)
    rounds, let_in, before_pong = 300, 0, 0
    try:
        for attempt in range(rounds):
            copy.keep(digest, entry, copy.expect(digest))
            holder.send_packed_command([_busy(2000)])
            time.sleep(0.0005)  # the script runs when the PING and the change arrive
            copy._next_ping = 0.0  # this lookup sends a PING
            assert copy.get(digest) == entry
            for other in others:
                other.send_packed_command([_command(b"GET", large)])
            writer._sock.sendall(_command(b"SET", key, b"%d" % attempt))
            answer = b""
            while not answer.endswith(b"\r\n"):
                with contextlib.suppress(BlockingIOError):
                    answer += writer._sock.recv(64)
            assert answer == b"+OK\r\n"

            if copy.get(digest) is not None:
                let_in += 1
            if copy._ping_sent_at is not None:
                before_pong += 1  # the answer came first: what this test is after

            assert holder.read_response() == 1
            for other in others:
                other.read_response()
            deadline = time.monotonic() + 5
            while copy._ping_sent_at is not None:  # the PONG, and the message with it
                assert time.monotonic() < deadline, "no PONG"
                select.select([copy._socket], [], [], 1)
                copy.get(digest)
    finally:
        for connection in (holder, writer, *others):
            connection.disconnect()

    figure(
        f"{before_pong} of {rounds} changes answered before the copy's PONG; "
        f"{let_in} let in from the copy after their answer"
    )
    assert let_in == 0


def test_unknown_tokens_leave_nothing_behind(redis_reads: RedisReads) -> None:
    """A flood of well-formed unknown tokens must not grow the process's memory."""
    from django_pat import tokens

    for _ in range(50):
        with pytest.raises(exceptions.AuthenticationFailed):
            authenticate(tokens.generate("pat"))

    copy = the_copy()
    assert copy._entries == {}
    assert copy._pending == {}


def test_a_flush_empties_the_copy(cache_mode: None) -> None:
    copy = the_copy()
    for digest in ("a" * 64, "b" * 64):
        copy.get(digest)
        copy.keep(digest, ("entry", digest), copy.expect(digest))

    # What Redis sends on FLUSHDB or FLUSHALL (not run here: the server is shared).
    copy._buffer = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*-1\r\n"
    copy._apply_buffer()

    assert copy.get("a" * 64) is None
    assert copy.get("b" * 64) is None


def test_a_lost_connection_empties_the_copy_then_a_new_one_fills_it(
    redis_reads: RedisReads, token: Any, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_copy, "RETRY_SECONDS", 0.0)
    _instance, secret = token
    warm(secret)
    name = cache_copy.client_name()
    mine = [c["id"] for c in redis_server.client_list() if c["name"] == name]
    assert len(mine) == 1
    redis_server.client_kill_filter(_id=mine[0])
    redis_reads.count = 0

    authenticate(secret)  # finds the connection closed: the copy is emptied
    assert redis_reads.count == 1

    warm(secret)
    redis_reads.count = 0
    authenticate(secret)
    assert redis_reads.count == 0
    assert [c["name"] for c in redis_server.client_list() if c["name"] == name] == [name]


def test_the_copy_answers_only_while_a_recent_pong_proves_the_connection_works(
    redis_reads: RedisReads, token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _instance, secret = token
    warm(secret)
    redis_reads.count = 0
    authenticate(secret)
    assert redis_reads.count == 0

    # As if no PONG had come for longer than ALIVE_SECONDS (a cut-off network).
    later = time.monotonic() + cache_copy.ALIVE_SECONDS + 1
    monkeypatch.setattr(process_copy.time, "monotonic", lambda: later)
    authenticate(secret)
    assert redis_reads.count == 1

    # The PING that lookup sent is answered: the copy answers again.
    deadline = time.time() + 5
    while time.time() < deadline:
        redis_reads.count = 0
        authenticate(secret)
        if redis_reads.count == 0:
            break
        time.sleep(0.01)
    assert redis_reads.count == 0


def test_the_copy_is_bounded(cache_mode: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process_copy, "MAX_ENTRIES", 2)
    copy = the_copy()
    digests = ["1" * 64, "2" * 64, "3" * 64]
    for digest in digests:
        copy.get(digest)
        copy.keep(digest, ("entry", digest), copy.expect(digest))

    assert [copy.get(digest) for digest in digests] == [
        None,
        ("entry", digests[1]),
        ("entry", digests[2]),
    ]


# The child only checks a dict and exits, so fork's warning about threads is moot.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_process_starts_without_the_parents_copy(cache_mode: None) -> None:
    the_copy().get("f" * 64)
    assert cache_copy._copies

    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os._exit(0 if not cache_copy._copies else 1)
    _pid, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert cache_copy._copies, "the parent keeps its own"


def test_off_by_default_every_hit_reads_redis(prefix: str, token: Any, monkeypatch: Any) -> None:
    _instance, secret = token
    with override_settings(
        CACHES={"default": {"BACKEND": LOCMEM}, "pat": redis_cache(prefix)},
        DJANGO_PAT={"CACHE": "pat"},
    ):
        reads = RedisReads(monkeypatch)
        for _ in range(3):
            authenticate(secret)
        reads.count = 0

        authenticate(secret)

        assert reads.count == 1
        assert cache_copy._copies == {}


@pytest.mark.parametrize(
    "cache",
    [
        pytest.param({"BACKEND": LOCMEM}, id="not Redis"),
        pytest.param({"LOCATION": [REDIS_URL, REDIS_URL]}, id="two servers"),
        pytest.param({"LOCATION": f"{REDIS_URL},{REDIS_URL}"}, id="two servers, one string"),
        pytest.param({"LOCATION": f"{REDIS_URL};{REDIS_URL}"}, id="two servers, semicolon"),
        pytest.param({"KEY_FUNCTION": lambda key, prefix, version: key[::-1]}, id="key function"),
    ],
)
def test_no_copy_where_it_could_not_be_kept_current(prefix: str, cache: dict[str, Any]) -> None:
    with override_settings(
        CACHES={"default": {"BACKEND": LOCMEM}, "pat": {**redis_cache(prefix), **cache}},
        DJANGO_PAT={"CACHE": "pat", "CACHE_IN_PROCESS": True},
    ):
        assert cache_copy.copy_for("pat", pat_cache._entry_key) is None


@pytest.mark.parametrize("location", [[REDIS_URL] * 2, f"{REDIS_URL};{REDIS_URL}"])
def test_a_cache_with_replicas_is_warned_about(prefix: str, location: Any) -> None:
    with override_settings(
        CACHES={
            "default": {"BACKEND": LOCMEM},
            "pat": redis_cache(prefix, LOCATION=location),
        },
        DJANGO_PAT={"CACHE": "pat"},
    ):
        found = checks.run_checks()

    ours = [message for message in found if message.id.startswith("django_pat")]
    assert [message.id for message in ours] == ["django_pat.W001"]
    assert "replica" in ours[0].msg


def test_a_redis_that_cannot_be_reached_falls_back_to_the_database(
    token: Any, caplog: pytest.LogCaptureFixture, django_assert_num_queries: Any
) -> None:
    instance, secret = token
    unreachable = "redis://127.0.0.1:1/0"
    with (
        override_settings(
            CACHES={
                "default": {"BACKEND": LOCMEM},
                "pat": {
                    "BACKEND": REDIS_CACHE,
                    "LOCATION": unreachable,
                    "OPTIONS": {"socket_connect_timeout": 0.5},
                },
            },
            DJANGO_PAT={"CACHE": "pat", "CACHE_IN_PROCESS": True},
        ),
        caplog.at_level(logging.WARNING, logger="django_pat"),
    ):
        for _ in range(3):
            assert authenticate(secret)[1].pk == instance.pk

    copy_warnings = [r for r in caplog.records if "invalidation messages" in r.getMessage()]
    assert len(copy_warnings) == 1, "one attempt to connect, then none until RETRY_SECONDS"
    assert secret not in caplog.text


def test_a_copy_that_cannot_be_set_up_is_warned_about_once_then_retried_quietly(
    cache_mode: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = []
    monkeypatch.setattr(process_copy, "RETRY_SECONDS", 0.0)
    copy = the_copy()

    def refused() -> None:
        attempts.append(1)
        raise ConnectionRefusedError("no")

    monkeypatch.setattr(copy, "_connect", refused)
    with caplog.at_level(logging.WARNING, logger="django_pat"):
        for _ in range(5):
            assert copy.get("a" * 64) is None

    assert len(attempts) == 5
    assert len([r for r in caplog.records if "invalidation messages" in r.getMessage()]) == 1


def test_a_client_name_of_the_cache_does_not_stop_the_copy(
    prefix: str, token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _instance, secret = token
    with override_settings(
        CACHES={
            "default": {"BACKEND": LOCMEM},
            "pat": redis_cache(prefix, OPTIONS={"client_name": "the-sites-own"}),
        },
        DJANGO_PAT={"CACHE": "pat", "CACHE_IN_PROCESS": True},
    ):
        reads = RedisReads(monkeypatch)
        warm(secret)
        reads.count = 0
        authenticate(secret)
        assert reads.count == 0


def test_an_idle_process_asks_redis_first_even_with_an_old_pong_waiting(
    redis_reads: RedisReads, token: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _instance, secret = token
    warm(secret)
    time.sleep(cache_copy.PING_SECONDS)
    authenticate(secret)  # sends a PING; its PONG arrives and waits, unread
    time.sleep(0.05)

    # Idle for a while: the PONG proves only what Redis had sent when it was asked.
    later = time.monotonic() + 3 * cache_copy.ALIVE_SECONDS
    monkeypatch.setattr(process_copy.time, "monotonic", lambda: later)
    redis_reads.count = 0
    authenticate(secret)

    assert redis_reads.count == 1


def test_a_ping_left_unanswered_counts_as_a_lost_connection(
    redis_reads: RedisReads, token: Any
) -> None:
    _instance, secret = token
    warm(secret)
    copy = the_copy()
    # As if a PING had gone out long ago and no PONG came (a half-open connection).
    copy._ping_sent_at = time.monotonic() - cache_copy.PING_TIMEOUT_SECONDS - 1
    redis_reads.count = 0

    authenticate(secret)

    assert redis_reads.count == 1
    assert copy._connection is None, "dropped, to be made again"


def test_values_that_can_change_in_place_are_not_shared_between_requests(
    cache_mode: None,
) -> None:
    copy = the_copy()
    digest = "c" * 64
    copy.get(digest)
    copy.keep(digest, (("settings",), ({"theme": "dark"},), (), ()), copy.expect(digest))

    first = copy.get(digest)
    first[1][0]["theme"] = "changed by a view"

    assert copy.get(digest)[1][0] == {"theme": "dark"}


def test_the_least_recently_used_entry_goes_first(
    cache_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process_copy, "MAX_ENTRIES", 2)
    copy = the_copy()
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    copy.get(a)
    for digest in (a, b):
        copy.keep(digest, ((), (digest,), (), ()), copy.expect(digest))
    assert copy.get(a) is not None

    copy.keep(c, ((), (c,), (), ()), copy.expect(c))

    assert copy.get(b) is None
    assert copy.get(a) is not None
    assert copy.get(c) is not None


def test_while_part_of_a_message_has_arrived_the_copy_does_not_answer(
    cache_mode: None,
) -> None:
    copy = the_copy()
    digest = "a" * 64
    copy.get(digest)
    copy.keep(digest, ((), (digest,), (), ()), copy.expect(digest))
    assert copy.get(digest) is not None

    copy._buffer = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:inv"

    assert copy.get(digest) is None


def test_the_invalidation_messages_are_read_whole_or_not_at_all() -> None:
    key = b":1:django_pat:1:token:" + b"a" * 64
    frames = [
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$86\r\n" + key + b"\r\n",
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*-1\r\n",
        b"*2\r\n$4\r\npong\r\n$0\r\n\r\n",
        b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
    ]
    expected = [
        [b"message", cache_copy.CHANNEL, [key]],
        [b"message", cache_copy.CHANNEL, None],
        [b"pong", b""],
        [b"subscribe", cache_copy.CHANNEL, 1],
    ]
    for frame, value in zip(frames, expected, strict=True):
        assert redis_wire.parse(frame, 0) == (value, len(frame))
        for cut in range(len(frame)):
            assert redis_wire.parse(frame[:cut], 0) is None, (frame, cut)
    stream = b"".join(frames)
    position, found = 0, []
    while (parsed := redis_wire.parse(stream, position)) is not None:
        value, position = parsed
        found.append(value)
    assert found == expected


def test_an_error_answer_on_the_connection_counts_as_a_broken_connection(cache_mode: None) -> None:
    copy = the_copy()
    digest = "a" * 64
    copy.get(digest)
    copy.keep(digest, ((), (digest,), (), ()), copy.expect(digest))

    copy._buffer = b"-ERR something went wrong\r\n"

    with pytest.raises(ConnectionError):
        copy._apply_buffer()


def test_a_read_begun_before_a_reconnection_is_not_kept(
    cache_mode: None, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a lost connection and the next, no message can say what changed."""
    monkeypatch.setattr(process_copy, "RETRY_SECONDS", 0.0)
    copy = the_copy()
    digest, other = "a" * 64, "b" * 64
    copy.get(digest)  # connects
    mine = [c["id"] for c in redis_server.client_list() if c["name"] == cache_copy.client_name()]
    redis_server.client_kill_filter(_id=mine[0])
    time.sleep(0.05)
    assert copy.get(digest) is None  # finds the connection closed

    ticket = copy.expect(digest)  # a read of Redis begins, with no connection
    redis_server.set(redis_key(digest), b"changed, and nobody told")
    copy.get(other)  # another request makes a new connection meanwhile
    copy.keep(digest, ((), ("what the read saw",), (), ()), ticket)

    assert copy.get(digest) is None


def test_setup_is_retried_less_and_less_often(
    cache_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(process_copy.time, "monotonic", lambda: clock[0])
    copy = the_copy()
    attempts: list[float] = []

    def refused() -> None:
        attempts.append(clock[0])
        raise ConnectionRefusedError("no")

    monkeypatch.setattr(copy, "_connect", refused)
    for _ in range(400):  # 40 s of requests, ten a second
        copy.get("a" * 64)
        clock[0] += 0.1

    gaps = [round(later - earlier) for earlier, later in itertools.pairwise(attempts)]
    assert gaps == [1, 2, 4, 8, 16]


def test_a_slow_connection_setup_holds_up_no_other_request(
    cache_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = the_copy()
    release = threading.Event()
    connect = copy._connect

    def slow() -> Any:
        release.wait(10)
        return connect()

    monkeypatch.setattr(copy, "_connect", slow)
    opening = threading.Thread(target=copy.get, args=("a" * 64,))
    opening.start()
    try:
        started = time.monotonic()
        for _ in range(5):
            assert copy.get("b" * 64) is None
            copy.keep("b" * 64, None, copy.expect("b" * 64))
        assert time.monotonic() - started < 5, "other requests waited for the connection"
    finally:
        release.set()
        opening.join(10)
    assert copy._connection is not None


def test_a_large_message_is_parsed_once(
    cache_mode: None, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One message naming thousands of keys arrives in many reads; parsing it
    must not start over at each of them."""
    copy = the_copy()
    copy.get("a" * 64)  # connects
    keys = [redis_key(f"{index:064x}") for index in range(5000)]
    redis_server.mset(dict.fromkeys(keys, b"x"))
    redis_server.delete(*keys)
    time.sleep(0.3)  # both messages (about 450 kB each) have arrived
    calls = [0]
    parse = redis_wire.parse

    def counting(buffer: bytes, position: int) -> Any:
        calls[0] += 1
        return parse(buffer, position)

    monkeypatch.setattr(process_copy, "parse", counting)
    copy.get("a" * 64)

    # One call per key and a few per message, for the two messages.
    assert calls[0] < 2 * len(keys) + 100


def test_asking_for_a_copy_of_a_cache_that_cannot_have_one_is_warned_about(
    tmp_path: Any,
) -> None:
    with override_settings(
        CACHES={
            "default": {"BACKEND": LOCMEM},
            "pat": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path),
            },
        },
        DJANGO_PAT={"CACHE": "pat", "CACHE_IN_PROCESS": True},
    ):
        found = checks.run_checks()

    ours = [message for message in found if message.id.startswith("django_pat")]
    assert [message.id for message in ours] == ["django_pat.W001"]
    assert "CACHE_IN_PROCESS" in ours[0].msg
