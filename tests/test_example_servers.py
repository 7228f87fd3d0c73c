"""The example site on PostgreSQL under the servers people run it with, each
under 32 concurrent clients for a few seconds: ``manage.py runserver`` (as
README's first command serves it: a new thread for every connection) and
gunicorn's ASGI worker (Django runs the sync views in a new thread for every
request). The clients open a new connection for every request, as curl and
scripts do, so each request is a new thread on the server. Every request must
succeed, and the site must hold no more server connections than its pool's
size, however many threads come and go."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import load
from tests.test_example_project import MANAGE, Browser, Reply, bearer, runserver

pytestmark = pytest.mark.postgres

CLIENTS = 32
SESSION_CLIENTS = 4  # of CLIENTS; the others authenticate with tokens
TOKEN_USERS = 7
SECONDS = 5
API = "api/personal-access-tokens"
SESSION_USER = "session-user"
SESSION_PASSWORD = "a-session-password-for-the-load"

SETUP_CODE = """
import json, os
from django.contrib.auth import get_user_model
from django_pat.models import PersonalAccessToken
users = get_user_model()
users.objects.create_user({session_user!r}, password={password!r})
secrets = []
for n in range({users}):
    user = users.objects.create_user(f"token-user-{{n}}", password=None)
    secrets.append(PersonalAccessToken.objects.provision(user, name="bootstrap")[1])
with open(os.environ["SECRETS_FILE"], "w") as output:
    json.dump(secrets, output)
"""


@dataclass
class Database:
    url: str
    secrets: list[str] = field(repr=False)  # never in a failure report
    pool_size: int | None


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[Database]:
    """A migrated scratch database with token users and one password user."""
    directory = tmp_path_factory.mktemp("servers")
    with load.scratch_database(os.environ["DATABASE_URL"], directory, "servers") as url:
        environment = load.production_environment(url)
        load.manage(environment, "migrate", "--noinput", "--verbosity", "0")
        # The secrets go through a file of our own, never through stdout.
        secrets_file = directory / "secrets.json"
        code = SETUP_CODE.format(
            session_user=SESSION_USER, password=SESSION_PASSWORD, users=TOKEN_USERS
        )
        load.manage({**environment, "SECRETS_FILE": str(secrets_file)}, "shell", "-c", code)
        secrets = json.loads(secrets_file.read_text())
        secrets_file.unlink()
        yield Database(url, secrets, load.pool_size(url))


@dataclass
class Outcome:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def check(self, operation: str, send: Callable[[], Reply]) -> Reply | None:
        """Send one request; count its answer, or the connection error it met."""
        try:
            reply = send()
        except OSError as error:  # urllib.error.URLError included
            with self.lock:
                self.failures.append(f"{operation}: connection error {error!r}")
            return None
        with self.lock:
            self.statuses[operation, reply.status] += 1
            if reply.status != 200:
                # Error bodies only: a 200 may carry a secret.
                self.failures.append(f"{operation}: {reply.status} {reply.body[:200]!r}")
        return reply

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(count for (_, status), count in self.statuses.items() if status >= 500)


def round_of_requests(site: Browser, outcome: Outcome, **credentials: str) -> None:
    """List, provision, use and revoke a token, authenticated by ``credentials``."""
    json_body = {"Content-Type": "application/json", **credentials}
    outcome.check("list", lambda: site.get(f"{API}?limit=20", **credentials))
    body = json.dumps({"name": f"load {uuid.uuid4().hex[:12]}", "type": "read_only"})
    made = outcome.check("provision", lambda: site.request("POST", API, body.encode(), json_body))
    if made is None or made.status != 200:
        return
    child = made.json()
    outcome.check("use", lambda: site.get(f"{API}/{child['id']}", **bearer(child["token"])))
    outcome.check(
        "revoke", lambda: site.request("DELETE", f"{API}/{child['id']}", headers=credentials)
    )


def hammer(base: str, secrets: list[str], outcome: Outcome) -> None:
    """CLIENTS threads sending rounds of requests for SECONDS seconds."""
    sessions = []
    for _ in range(SESSION_CLIENTS):
        site = Browser(base)
        assert site.log_in("accounts/login/", SESSION_USER, SESSION_PASSWORD).status == 302
        sessions.append(site)
    stop = threading.Event()

    def client(site: Browser, credentials: Callable[[], dict[str, str]]) -> None:
        while not stop.is_set():
            round_of_requests(site, outcome, **credentials())

    def session(site: Browser) -> Callable[[], dict[str, str]]:
        return lambda: {"X-CSRFToken": site.cookie("csrftoken") or ""}

    def token(secret: str) -> Callable[[], dict[str, str]]:
        return lambda: bearer(secret)

    clients = [(site, session(site)) for site in sessions]
    clients += [
        (Browser(base), token(secrets[n % len(secrets)])) for n in range(CLIENTS - len(clients))
    ]
    threads = [threading.Thread(target=client, args=arguments) for arguments in clients]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join()


def assert_bounded_and_served(
    database: Database, outcome: Outcome, count: load.ConnectionCount, log: Path, figure
) -> None:
    figure(
        f"{outcome.requests} requests from {CLIENTS} clients in {SECONDS} s, "
        f"{outcome.server_errors} 5xx; at most {count.peak} server connections "
        f"(pool size {database.pool_size}, {count.samples} samples)"
    )
    assert outcome.failures == [], (
        f"{outcome.failures[:10]}\n{log.read_text(errors='replace')[-3000:]}"
    )
    assert outcome.server_errors == 0
    # Every client got through several rounds: the load was real.
    assert outcome.requests >= CLIENTS * 4
    assert {operation for operation, _ in outcome.statuses} == {
        "list",
        "provision",
        "use",
        "revoke",
    }
    assert database.pool_size is not None, "the example site has no connection pool"
    assert database.pool_size < CLIENTS
    assert count.samples > 0
    assert 0 < count.peak <= database.pool_size


def test_runserver_keeps_connections_bounded_under_concurrent_clients(database, tmp_path, figure):
    environment = load.site_environment(database.url)  # DEBUG on, as runserver is run
    log = tmp_path / "runserver.log"
    outcome = Outcome()

    with runserver(MANAGE, environment, log) as base, load.ConnectionCount(database.url) as count:
        hammer(base, database.secrets, outcome)

    assert_bounded_and_served(database, outcome, count, log, figure)


def test_asgi_keeps_connections_bounded_under_concurrent_clients(database, tmp_path, figure):
    outcome = Outcome()

    with (
        load.serve(database.url, tmp_path, workers=1, asgi=True) as site,
        load.ConnectionCount(database.url) as count,
    ):
        hammer(f"http://{site.host}:{site.port}/", database.secrets, outcome)

    assert_bounded_and_served(database, outcome, count, site.log, figure)
