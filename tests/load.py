"""A bounded load on the example site under gunicorn.

``python -m tests.load --database postgres://postgres@127.0.0.1:5432/test``
(or ``--database sqlite``) migrates a scratch database (for PostgreSQL a new
database named after the given one with ``_load`` appended, dropped at the
end), makes ``--users`` users with one long-lived token each, starts gunicorn
on a free port of 127.0.0.1, and lets ``--clients`` threads (32 unless told) send
``--requests`` requests between them, mixing:

* ``use``: a child token reads itself (``GET .../{id}``, Bearer child);
* ``list``: the user's active tokens (``GET ...?active=true&limit=50``);
* ``provision``: a new child token (``POST``), sometimes authenticated by
  another child token instead of the user's own;
* ``revoke``: a child token (``DELETE``), then at once a request with it.

Child tokens are shared between the clients of a user, so revocations race
with uses of the same token. The run fails (exit status 1) on any 5xx, any
connection error, any status outside what each operation may answer, any
request with a token that got through although it started after the revoke of
that token had returned, any 401 for a token nobody had started to revoke, on
a final state that differs from what the clients did, and, on PostgreSQL, when
the site held more server connections than its workers' pools allow. It
prints the throughput and the latency of each operation.

The secrets stay in this process's memory: nothing here prints or logs one.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
API = "/api/personal-access-tokens"
STARTUP_TIMEOUT = 60
HTTP_TIMEOUT = 30
# Above this many live child tokens a user's clients revoke rather than make more.
POOL_HIGH = 25

SETUP_CODE = """
import json, os
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_pat.models import PersonalAccessToken
users = get_user_model()
made = []
for n in range({users}):
    user = users.objects.create_user(f"load{{n}}", password=None)
    _, secret = PersonalAccessToken.objects.provision(
        user, name="load bootstrap", expire_at=timezone.now() + timedelta(days=30)
    )
    made.append(secret)
with open(os.environ["LOAD_SECRETS_FILE"], "w") as output:
    json.dump(made, output)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def site_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The example site's environment: this one without its DJANGO_ settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return environment


def production_environment(database_url: str) -> dict[str, str]:
    """The site as it would be deployed: DEBUG off, one allowed host."""
    return site_environment(database_url, DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="127.0.0.1")


@contextlib.contextmanager
def scratch_database(database: str, directory: Path, suffix: str = "load") -> Iterator[str]:
    """A DATABASE_URL for an empty database that is gone afterwards; on
    PostgreSQL, named after the given one with ``_<suffix>`` appended."""
    if database == "sqlite":
        yield f"sqlite:///{(directory / 'load.sqlite3').resolve()}"
        return
    import psycopg  # the example extra installs it
    from psycopg import sql

    parts = urlsplit(database)
    name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class ConnectionCount:
    """The most server connections to one PostgreSQL database seen while it runs.

    A thread counts the database's client backends in ``pg_stat_activity``
    every few milliseconds, over a connection of its own to the ``postgres``
    database, which is not counted."""

    def __init__(self, database_url: str, interval: float = 0.02) -> None:
        parts = urlsplit(database_url)
        self.name = parts.path.lstrip("/")
        self.admin = urlunsplit(parts._replace(path="/postgres"))
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._count, name="connection-count")

    def _count(self) -> None:
        import psycopg  # the example extra installs it

        with psycopg.connect(self.admin, autocommit=True) as connection:
            while not self._stop.is_set():
                row = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND backend_type = 'client backend'",
                    [self.name],
                ).fetchone()
                self.peak = max(self.peak, row[0] if row else 0)
                self.samples += 1
                self._stop.wait(self.interval)

    def __enter__(self) -> ConnectionCount:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def pool_size(database_url: str) -> int | None:
    """The most connections the example site's pool opens in one process on
    ``database_url``; None without a pool."""
    code = (
        "from django.conf import settings; import json; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS'].get('pool')))"
    )
    environment = production_environment(database_url)
    pool = json.loads(manage(environment, "shell", "--verbosity", "0", "-c", code))
    return None if not pool else int(pool["max_size"])


@dataclass
class Site:
    """The example site served by gunicorn; ``base`` is host:port."""

    host: str
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def manage(environment: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(MANAGE), *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {arguments[0]} failed:\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def serve(
    database_url: str, directory: Path, *, workers: int = 2, threads: int = 4, asgi: bool = False
) -> Iterator[Site]:
    """Serve the example site from ``database_url`` (migrated) with gunicorn:
    WSGI with its gthread worker, or ASGI with its asgi worker."""
    environment = production_environment(database_url)
    port = free_port()
    log = directory / "gunicorn.log"
    if asgi:
        # Django's sync views run in a thread per request under ASGI.
        application = ["example_project.asgi:application", "--worker-class", "asgi"]
    else:
        application = [
            "example_project.wsgi:application", "--worker-class", "gthread",
            "--threads", str(threads),
        ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable, "-m", "gunicorn", *application,
                "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers),
                "--keep-alive", "75",
                "--timeout", "60",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    site = Site("127.0.0.1", port, log, process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{site.log_tail()}")
            try:
                socket.create_connection((site.host, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{site.log_tail()}") from None
                time.sleep(0.2)
        yield site
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def prepare(database_url: str, users: int, directory: Path) -> list[str]:
    """Migrate the database and make ``users`` users with one token each; their secrets."""
    environment = production_environment(database_url)
    manage(environment, "migrate", "--noinput", "--verbosity", "0")
    # A file in our own scratch directory, not stdout: nothing else may see them.
    secrets_file = directory / "secrets.json"
    environment["LOAD_SECRETS_FILE"] = str(secrets_file)
    manage(environment, "shell", "--verbosity", "0", "-c", SETUP_CODE.format(users=users))
    secrets: list[str] = json.loads(secrets_file.read_text())
    secrets_file.unlink()
    return secrets


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    started: float
    ended: float

    def json(self) -> object:
        return json.loads(self.body)


class Client:
    """One keep-alive HTTP connection to the site."""

    def __init__(self, site: Site) -> None:
        self.connection = http.client.HTTPConnection(site.host, site.port, timeout=HTTP_TIMEOUT)

    def request(self, method: str, path: str, secret: str, body: object | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return Reply(response.status, response.headers, data, started, time.monotonic())

    def close(self) -> None:
        self.connection.close()


@dataclass
class Child:
    id: str
    secret: str


@dataclass
class UserState:
    secret: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    pool: list[Child] = field(default_factory=list)
    revoked: int = 0


# Which statuses each operation may answer; anything else is a failure.
ALLOWED = {
    "use": {200, 401},
    "list": {200},
    "provision": {200},
    "provision by child": {200, 401},
    "revoke": {200},
    "use after revoke": {401},
}


@dataclass
class Results:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)
    # token id -> when its revoke was sent, and when it had returned.
    revoke_sent: dict[str, float] = field(default_factory=dict)
    revoke_returned: dict[str, float] = field(default_factory=dict)
    revoked_after: int = 0  # requests with a revoked token started after the revoke returned
    let_through: int = 0  # ... of which were not refused: must stay 0

    def record(self, operation: str, reply: Reply) -> None:
        with self.lock:
            self.latencies[operation].append(reply.ended - reply.started)
            self.statuses[operation][reply.status] += 1
            if reply.status not in ALLOWED[operation]:
                # Error bodies only: a 200 may carry a secret.
                shown = reply.body[:300] if reply.status >= 400 else b"..."
                self.failures.append(f"{operation}: status {reply.status}: {shown!r}")

    def record_with_child(self, operation: str, child: Child, reply: Reply) -> None:
        """Also check the answer against what is known of the child's revocation."""
        self.record(operation, reply)
        with self.lock:
            returned = self.revoke_returned.get(child.id)
            sent = self.revoke_sent.get(child.id)
            if returned is not None and returned < reply.started:
                self.revoked_after += 1
                if reply.status != 401:
                    self.let_through += 1
                    self.failures.append(
                        f"{operation}: a token revoked {reply.started - returned:.4f} s before "
                        f"the request started was answered {reply.status}"
                    )
            if reply.status == 401 and (sent is None or sent > reply.ended):
                self.failures.append(f"{operation}: 401 for a token nobody was revoking")

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


def client_loop(
    site: Site, user: UserState, budget: Iterator[int], results: Results, rng: random.Random
) -> None:
    client = Client(site)
    try:
        for _ in budget:
            try:
                step(client, user, results, rng)
            except (OSError, http.client.HTTPException) as error:
                results.fail(f"connection error: {error!r}")
                client.close()
                client = Client(site)
    finally:
        client.close()


def step(client: Client, user: UserState, results: Results, rng: random.Random) -> None:
    with user.lock:
        pool_size = len(user.pool)
        child = rng.choice(user.pool) if user.pool else None
    roll = rng.random()
    if child is None or (roll < 0.15 and pool_size < POOL_HIGH):
        provision(client, user, results, rng)
    elif roll < 0.30:
        revoke(client, user, child, results)
    elif roll < 0.45:
        reply = client.request("GET", f"{API}?active=true&limit=50", user.secret)
        results.record("list", reply)
    else:
        reply = client.request("GET", f"{API}/{child.id}", child.secret)
        results.record_with_child("use", child, reply)


def provision(client: Client, user: UserState, results: Results, rng: random.Random) -> None:
    body = {"name": f"load {uuid.uuid4().hex[:12]}", "type": "read_write"}
    with user.lock:
        parent = rng.choice(user.pool) if user.pool and rng.random() < 0.2 else None
    if parent is not None:
        reply = client.request("POST", API, parent.secret, body)
        results.record_with_child("provision by child", parent, reply)
    else:
        reply = client.request("POST", API, user.secret, body)
        results.record("provision", reply)
    if reply.status == 200:
        made = reply.json()
        assert isinstance(made, dict)
        with user.lock:
            user.pool.append(Child(made["id"], made["token"]))


def revoke(client: Client, user: UserState, child: Child, results: Results) -> None:
    with results.lock:
        if child.id in results.revoke_sent:
            return  # another client is revoking it
        results.revoke_sent[child.id] = time.monotonic()
    reply = client.request("DELETE", f"{API}/{child.id}", user.secret)
    results.record("revoke", reply)
    if reply.status != 200:
        return
    with results.lock:
        results.revoke_returned[child.id] = reply.ended
    # The very next request with it must fail, before anyone else forgets it.
    after = client.request("GET", f"{API}/{child.id}", child.secret)
    results.record_with_child("use after revoke", child, after)
    with user.lock:
        if child in user.pool:
            user.pool.remove(child)
            user.revoked += 1


def check_final_state(site: Site, users: list[UserState], results: Results) -> None:
    """What the API lists now must be what the clients did."""
    client = Client(site)
    try:
        for number, user in enumerate(users):
            active = client.request("GET", f"{API}?active=true&limit=1000", user.secret)
            inactive = client.request("GET", f"{API}?active=false&limit=1", user.secret)
            listed = {token["id"] for token in active.json()}  # type: ignore[union-attr]
            live = {child.id for child in user.pool}
            if active.status != 200 or not live < listed or len(listed) != len(live) + 1:
                results.fail(
                    f"user {number}: {len(listed)} active tokens listed, expected "
                    f"{len(live) + 1} (the bootstrap token and the live children)"
                )
            revoked = int(inactive.headers.get("X-Total-Count", "-1"))
            if inactive.status != 200 or revoked != user.revoked:
                results.fail(f"user {number}: {revoked} inactive tokens, {user.revoked} revoked")
    finally:
        client.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(
    site: Site,
    secrets: list[str],
    *,
    requests: int,
    clients: int,
    seed: int,
) -> tuple[Results, float, int]:
    """Send ``requests`` requests from ``clients`` threads; the results, seconds, count."""
    users = [UserState(secret) for secret in secrets]
    results = Results()
    counter = iter(range(requests))
    budget_lock = threading.Lock()

    def budget() -> Iterator[int]:
        while True:
            with budget_lock:
                number = next(counter, None)
            if number is None:
                return
            yield number

    threads = [
        threading.Thread(
            target=client_loop,
            args=(site, users[n % len(users)], budget(), results, random.Random(seed + n)),
            name=f"client-{n}",
        )
        for n in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    sent = sum(sum(counts.values()) for counts in results.statuses.values())
    check_final_state(site, users, results)
    return results, elapsed, sent


def report(results: Results, elapsed: float, sent: int, label: str) -> str:
    lines = [
        f"load on {label}: {sent} requests in {elapsed:.1f} s = {sent / elapsed:.0f} requests/s",
        f"  {'operation':<20}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  statuses",
    ]
    for operation, latencies in sorted(results.latencies.items()):
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(results.statuses[operation].items()))
        lines.append(
            f"  {operation:<20}{len(latencies):>7}{percentile(latencies, 0.5) * 1000:>9.1f}"
            f"{percentile(latencies, 0.95) * 1000:>9.1f}{max(latencies) * 1000:>9.1f}  {statuses}"
        )
    server_errors = sum(n for c in results.statuses.values() for s, n in c.items() if s >= 500)
    lines.append(
        f"  5xx: {server_errors}; requests with a revoked token started after its revoke "
        f"returned: {results.revoked_after}, of which not refused: {results.let_through}"
    )
    lines.append(f"  failures: {len(results.failures)}")
    lines.extend(f"    {failure}" for failure in results.failures[:20])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", help="'sqlite' or a postgres:// URL")
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    postgres = args.database != "sqlite"
    label = "PostgreSQL" if postgres else "SQLite"
    with (
        tempfile.TemporaryDirectory() as scratch,
        scratch_database(args.database, Path(scratch)) as database_url,
    ):
        secrets = prepare(database_url, args.users, Path(scratch))
        with serve(database_url, Path(scratch), workers=args.workers, threads=args.threads) as site:
            with ConnectionCount(database_url) if postgres else contextlib.nullcontext() as count:
                results, elapsed, sent = run(
                    site, secrets, requests=args.requests, clients=args.clients, seed=args.seed
                )
            if count is not None:
                check_connections(count, pool_size(database_url), args.workers, results)
            print(
                report(
                    results,
                    elapsed,
                    sent,
                    f"{label}, {args.workers} gunicorn workers x "
                    f"{args.threads} threads, {args.clients} clients, {args.users} users",
                )
            )
            if results.failures:
                print("gunicorn's log, last lines:\n" + site.log_tail(), file=sys.stderr)
    return 1 if results.failures else 0


def check_connections(
    count: ConnectionCount, pool: int | None, workers: int, results: Results
) -> None:
    """Each worker process may hold its pool's connections, and no more."""
    print(
        f"PostgreSQL: at most {count.peak} server connections during the run "
        f"({workers} workers, a pool of {pool} connections each)"
    )
    if pool is None:
        results.fail("the example site has no connection pool on PostgreSQL")
    elif not 0 < count.peak <= workers * pool:
        results.fail(f"{count.peak} server connections; the limit is {workers} x {pool}")


if __name__ == "__main__":
    sys.exit(main())
