"""Cache mode across processes: two workers of one site (tests/worker.py)
share a database and this machine's Redis. What process A changes, process B
sees on its very next request, although B answered from the cache just before.

Every test runs twice: without the in-process copy (cache mode's default:
every hit reads Redis), and with it (``CACHE_IN_PROCESS``: B then answers
from its memory, with no Redis read, and only Redis's invalidation messages
can tell it of A's change).

Redis comes from ``TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``);
every run uses keys of its own and deletes them afterwards. Without a Redis
server these tests skip, saying so (in CI they fail: see tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import uuid
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent
ANSWER_TIMEOUT = 60


class Worker:
    """A worker process; ``call(op, **args)`` runs one command in it."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.in_process = env["WORKER_IN_PROCESS"] == "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.selector = selectors.DefaultSelector()
        assert self.process.stdout is not None
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def call(self, op: str, **arguments: Any) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()
        if not self.selector.select(timeout=ANSWER_TIMEOUT):
            raise TimeoutError(f"worker {self.name} did not answer {op}")
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise AssertionError(f"worker {self.name} failed {op}:\n{answer['error']}")
        return answer["result"]

    def get(self, url: str, secret: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call("get", url=url, secret=secret)
        return result

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module", params=[True, False], ids=["in-process-copy", "redis-only"])
def in_process(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(scope="module")
def workers(
    tmp_path_factory: pytest.TempPathFactory, in_process: bool, redis_server: Any
) -> Iterator[tuple[Worker, Worker]]:
    server = redis_server
    prefix = f"django-pat-tests-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "WORKER_DATABASE": str(tmp_path_factory.mktemp("shared") / "db.sqlite3"),
        "WORKER_REDIS_URL": REDIS_URL,
        "WORKER_CACHE_PREFIX": prefix,
        "WORKER_IN_PROCESS": "1" if in_process else "0",
    }
    a = Worker("A", env)
    a.call("migrate")
    b = Worker("B", env)
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        for key in server.scan_iter(match=f"{prefix}:*"):
            server.delete(key)


_names = count(1)


@pytest.fixture
def account(workers: tuple[Worker, Worker]) -> dict[str, str]:
    """A fresh user with one token, made in process A."""
    a, _b = workers
    username = f"user{next(_names)}"
    a.call("make_user", username=username)
    token = a.call("provision", username=username, name="ci")
    return {"username": username, **token}


def token_queries(response: dict[str, Any]) -> list[str]:
    return [sql for sql in response["queries"] if "django_pat_personalaccesstoken" in sql]


def warm(worker: Worker, secret: str, url: str = "/whoami") -> dict[str, Any]:
    """Requests in ``worker`` until the token is served without the database:
    the first fills Redis, the second (with the in-process copy on) the copy;
    the third must read neither the database nor, with the copy, Redis. The
    copy does not answer while one of its PINGs is unanswered (it then reads
    Redis, as it should), so with the copy a few more tries are allowed for
    the one answered locally. A request that ``url`` refuses records no use
    (it never counts): an allowed one comes first, so that the use is
    recorded and no later request writes it."""
    worker.get("/whoami", secret)
    worker.get(url, secret)
    worker.get(url, secret)
    for _attempt in range(20):
        third = worker.get(url, secret)
        assert token_queries(third) == [], "the third request should not read the token"
        if not worker.in_process:
            assert third["cache_reads"] == 1, "every hit reads Redis once"
            return third
        if third["cache_reads"] == 0:
            return third
        assert third["cache_reads"] == 1, "a miss of the copy reads Redis once"
    raise AssertionError("the copy never answered on its own in 20 requests")


def test_b_answers_from_the_cache(workers: tuple[Worker, Worker], account: dict[str, str]) -> None:
    a, b = workers
    assert a.get("/whoami", account["secret"])["status"] == 200

    first = b.get("/whoami", account["secret"])

    assert first["status"] == 200
    assert first["queries"] == [], "A filled the cache, so B needs no query"


def test_revoked_in_a_is_refused_by_b_on_its_very_next_request(
    workers: tuple[Worker, Worker], account: dict[str, str]
) -> None:
    a, b = workers
    assert warm(b, account["secret"])["status"] == 200

    a.call("revoke", token_id=account["id"])

    assert b.get("/whoami", account["secret"])["status"] == 401


def test_every_revocation_in_a_is_refused_by_b_on_its_very_next_request(
    workers: tuple[Worker, Worker], account: dict[str, str]
) -> None:
    """Many times over: an invalidation must never arrive a request too late."""
    a, b = workers
    for round_ in range(100):
        token = a.call("provision", username=account["username"], name=f"round {round_}")
        warm(b, token["secret"])

        a.call("revoke", token_id=token["id"])

        assert b.get("/whoami", token["secret"])["status"] == 401, f"round {round_}"


def test_revoked_through_the_endpoint_in_a_is_refused_by_b(
    workers: tuple[Worker, Worker], account: dict[str, str]
) -> None:
    a, b = workers
    other = a.call("provision", username=account["username"], name="admin")
    assert warm(b, account["secret"])["status"] == 200

    response = a.call(
        "delete", url=f"/api/personal-access-tokens/{account['id']}", secret=other["secret"]
    )

    assert response["status"] == 200
    assert b.get("/whoami", account["secret"])["status"] == 401
    assert b.get("/whoami", other["secret"])["status"] == 200


def test_user_deactivated_in_a_is_refused_by_b_on_its_very_next_request(
    workers: tuple[Worker, Worker], account: dict[str, str]
) -> None:
    a, b = workers
    assert warm(b, account["secret"])["status"] == 200

    a.call("set_user", username=account["username"], is_active=False)

    assert b.get("/whoami", account["secret"])["status"] == 401


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_user_flags_changed_in_a_are_seen_by_b_on_its_very_next_request(
    workers: tuple[Worker, Worker], account: dict[str, str], flag: str
) -> None:
    a, b = workers
    assert warm(b, account["secret"])["body"][flag] is False

    a.call("set_user", username=account["username"], **{flag: True})

    assert b.get("/whoami", account["secret"])["body"][flag] is True


def test_permission_granted_and_denied_in_a_is_seen_by_b_on_its_very_next_request(
    workers: tuple[Worker, Worker], account: dict[str, str]
) -> None:
    a, b = workers
    assert warm(b, account["secret"], "/users")["status"] == 403

    a.call("grant", username=account["username"], codename="view_user")

    granted = b.get("/users", account["secret"])
    assert granted["status"] == 200
    assert token_queries(granted) == [], "permissions are read, the token still cached"

    a.call("deny", username=account["username"], codename="view_user")

    assert b.get("/users", account["secret"])["status"] == 403


def test_last_used_at_is_written_once_per_interval_across_processes(
    workers: tuple[Worker, Worker], account: dict[str, str]
) -> None:
    a, b = workers
    first = a.get("/whoami", account["secret"])
    assert any(sql.startswith("UPDATE") for sql in first["queries"])
    written = a.call("last_used_at", token_id=account["id"])
    assert written is not None

    for worker in (b, a, b):
        assert worker.get("/whoami", account["secret"])["queries"] == []

    assert a.call("last_used_at", token_id=account["id"]) == written
