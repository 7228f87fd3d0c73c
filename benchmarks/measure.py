"""One database of the benchmark, at every table size, interleaved.

Run by ``python -m benchmarks`` in a child process per database engine
(Django settings are per process); each table size is a database of its own
(``benchmarks.routing``). Prints one JSON document on stdout. Steps:

1. migrate and fill the tables of each size (:mod:`benchmarks.populate`);
2. make one credential per scheme and size for a user ``bench``;
3. count queries and writes per request, and check every answer is a 200;
4. time requests in process, through Django's WSGI handler, interleaved:
   every round runs a batch of each scheme at each size, in a shuffled order;
5. the same over HTTP against gunicorn on 127.0.0.1 (one sync worker, one
   client connection at a time: a bounded load, not a stress test).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parent.parent


REDIS_ONLY = ":redis-only"


@dataclass
class Scheme:
    name: str
    size: int
    path: str
    authorization: str
    # DJANGO_PAT overrides this scheme runs under, in process.
    pat_settings: dict[str, Any] | None = None
    # Which gunicorn server serves it over HTTP: "plain", or the cache alias of
    # cache mode, followed by REDIS_ONLY for cache mode without the in-process copy.
    server: str = "plain"
    environ: dict[str, Any] = field(default_factory=dict)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, nargs="+", required=True)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--http-rounds", type=int, default=15)
    parser.add_argument("--http-batch", type=int, default=60)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from benchmarks import populate, routing

    schemes: list[Scheme] = []
    sizes: dict[int, dict[str, Any]] = {}
    for size in args.tokens:
        alias = settings.BENCH_ALIASES[size]
        with routing.using(alias):
            call_command("migrate", database=alias, verbosity=0)
            populate.ensure(size)
            mine, extra = prepare(size)
            sizes[size] = {
                "tokens": size,
                "rows": table_sizes(),
                "counts": count_queries(mine),
                "counts_extra": extra_counts(size, extra),
            }
        schemes.extend(mine)
    rng = random.Random(args.seed)
    timings = {"inprocess": time_in_process(schemes, args.rounds, args.batch, rng)}
    if not args.no_http:
        timings["http"] = time_over_http(schemes, args.http_rounds, args.http_batch, rng)
    for where, samples in timings.items():
        for (size, name), values in samples.items():
            sizes[size].setdefault(where, {})[name] = values
    clear_cache()
    json.dump({"servers": server_versions(), "sizes": sizes}, sys.stdout)


def clear_cache() -> None:
    """Delete this run's keys from Redis (they carry a per-run prefix)."""
    import redis
    from django.conf import settings

    prefix = settings.CACHES["pat"]["KEY_PREFIX"]
    server = redis.Redis.from_url(settings.CACHES["pat"]["LOCATION"])
    for key in server.scan_iter(match=f"{prefix}:*"):
        server.delete(key)


# --- credentials -----------------------------------------------------------------


def prepare(size: int) -> tuple[list[Scheme], dict[str, Any]]:
    """Credentials of every scheme in the current database (table size ``size``)."""
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken as KnoxToken
    from rest_framework.authtoken.models import Token
    from rest_framework_api_key.models import APIKey

    from django_pat.models import PersonalAccessToken

    User = get_user_model()
    User.objects.filter(username__in=["bench", "lister-1", "lister-100"]).delete()
    APIKey.objects.filter(name="bench").delete()
    user = User.objects.create_user("bench", "bench@example.com", None)

    authtoken = Token.objects.create(user=user).key
    _knox_token, knox = KnoxToken.objects.create(user=user)
    _api_key, api_key = APIKey.objects.create_key(name="bench")
    _pat, pat = PersonalAccessToken.objects.provision(user, name="bench")
    _pat_ip, pat_ip = PersonalAccessToken.objects.provision(
        user, name="bench ip", ip_restriction="127.0.0.0/8, ::1"
    )
    # Restricted by scope, to a view that checks it: what checking scopes costs.
    _pat_scoped, pat_scoped = PersonalAccessToken.objects.provision(
        user, name="bench scoped", scopes=["bench:read", "tokens:read"]
    )
    _pat_cached, pat_cached = PersonalAccessToken.objects.provision(user, name="bench cached")
    _pat_cached2, pat_cached2 = PersonalAccessToken.objects.provision(user, name="bench cached 2")

    # Users with 1 and with 100 tokens, to count the list endpoint's queries.
    listers = {}
    for count in (1, 100):
        lister = User.objects.create_user(f"lister-{count}", None, None)
        _token, secret = PersonalAccessToken.objects.provision(lister, name="list 0")
        for index in range(1, count):
            PersonalAccessToken.objects.provision(lister, name=f"list {index}")
        listers[count] = secret

    at = f"/{size}"
    schemes = [
        Scheme("floor", size, f"{at}/floor", ""),
        Scheme("drf authtoken", size, f"{at}/authtoken", f"Token {authtoken}"),
        Scheme("knox", size, f"{at}/knox", f"Token {knox}"),
        Scheme("api-key", size, f"{at}/apikey", f"Api-Key {api_key}"),
        Scheme("django-pat", size, f"{at}/pat", f"Bearer {pat}"),
        Scheme("django-pat ip", size, f"{at}/pat", f"Bearer {pat_ip}"),
        Scheme("django-pat scoped", size, f"{at}/pat-scoped", f"Bearer {pat_scoped}"),
        Scheme(
            "django-pat cached, local copy",
            size,
            f"{at}/pat",
            f"Bearer {pat_cached}",
            pat_settings={"CACHE": "pat", "CACHE_IN_PROCESS": True},
            server="pat",
        ),
        Scheme(
            "django-pat cached, Redis only",
            size,
            f"{at}/pat",
            f"Bearer {pat_cached2}",
            pat_settings={"CACHE": "pat", "CACHE_IN_PROCESS": False},
            server=f"pat{REDIS_ONLY}",
        ),
    ]
    return schemes, {"pat": pat, "pat_cached": pat_cached, "listers": listers}


def server_versions() -> dict[str, str]:
    import sqlite3
    from importlib.metadata import version

    import redis
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    versions = {"sqlite": sqlite3.sqlite_version}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            versions["postgresql"] = cursor.fetchone()[0].split()[0]
    server = redis.Redis.from_url(settings.CACHES["pat"]["LOCATION"])
    versions["redis"] = str(server.info("server")["redis_version"])
    for package in ("redis", "django-redis", "hiredis", "psycopg"):
        versions[f"{package} (py)"] = version(package)
    return versions


def table_sizes() -> dict[str, int]:
    from benchmarks.populate import TOKEN_MODELS

    return {model._meta.label: model._default_manager.count() for model in TOKEN_MODELS}


# --- in process ------------------------------------------------------------------


def base_environ(path: str, authorization: str) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if authorization:
        environ["HTTP_AUTHORIZATION"] = authorization
    return environ


class Client:
    """Django's WSGI handler, called as a WSGI server would call it."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.status = ""

    def _start_response(self, status: str, headers: Any, exc_info: Any = None) -> None:
        self.status = status

    def request(self, environ: dict[str, Any]) -> tuple[int, bytes]:
        environ = environ.copy()
        environ["wsgi.input"] = io.BytesIO()
        response = self.handler(environ, self._start_response)
        body = b"".join(response)
        response.close()  # type: ignore[attr-defined]
        return int(self.status[:3]), body

    def batch(self, environ: dict[str, Any], count: int) -> float:
        """Median seconds per request over ``count`` requests, all of which must be 200s.

        The median of single requests, not the mean of the batch: a request
        during which the machine ran someone else's process is an outlier
        that the median ignores and a mean would spread over the batch.
        """
        handler, start_response, clock = self.handler, self._start_response, time.perf_counter
        bad = 0
        durations = []
        for _ in range(count):
            env = environ.copy()
            env["wsgi.input"] = io.BytesIO()
            started = clock()
            response = handler(env, start_response)
            for _chunk in response:
                pass
            response.close()  # type: ignore[attr-defined]
            durations.append(clock() - started)
            if self.status[:3] != "200":
                bad += 1
        if bad:
            raise SystemExit(f"{bad} of {count} requests were refused ({self.status})")
        return statistics.median(durations)


@contextmanager
def pat_overrides(overrides: dict[str, Any] | None) -> Iterator[None]:
    if not overrides:
        yield
        return
    from django.conf import settings
    from django.test import override_settings

    with override_settings(DJANGO_PAT={**settings.DJANGO_PAT, **overrides}):
        yield


class QueryCounter:
    def __init__(self) -> None:
        self.queries = 0
        self.writes = 0
        self.statements: list[str] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.queries += 1
        if sql.lstrip().split(None, 1)[0].upper() in {"UPDATE", "INSERT", "DELETE"}:
            self.writes += 1
        self.statements.append(sql)
        return execute(sql, params, many, context)


def counted(client: Client, environ: dict[str, Any], times: int) -> dict[str, Any]:
    """Queries and writes per request on the current database."""
    from django.db import connections

    from benchmarks import routing

    connection = connections[routing.current()]
    client.request(environ)  # the first use may write lastUsedAt or fill a cache
    counter = QueryCounter()
    statuses = []
    with connection.execute_wrapper(counter):
        for _ in range(times):
            status, _body = client.request(environ)
            statuses.append(status)
    return {
        "status": sorted(set(statuses)),
        "queries": counter.queries / times,
        "writes": counter.writes / times,
    }


def count_queries(schemes: list[Scheme]) -> dict[str, Any]:
    """Queries and writes per request in the steady state (after a first use)."""
    client = Client()
    counts = {}
    for scheme in schemes:
        scheme.environ = base_environ(scheme.path, scheme.authorization)
        with pat_overrides(scheme.pat_settings):
            status, body = client.request(scheme.environ)
            if status != 200:
                raise SystemExit(f"{scheme.name}: {status} {body[:200]!r}")
            counts[scheme.name] = counted(client, scheme.environ, 20)
    return counts


def extra_counts(size: int, extra: dict[str, Any]) -> dict[str, Any]:
    """django-pat's other paths: a stale lastUsedAt, bad tokens, the list endpoint."""
    client = Client()
    pat = extra["pat"]
    out: dict[str, Any] = {}
    with pat_overrides({"LAST_USED_UPDATE_INTERVAL": timedelta(0)}):
        out["beyond the last-used interval"] = counted(
            client, base_environ(f"/{size}/pat", f"Bearer {pat}"), 20
        )
    cached = {"LAST_USED_UPDATE_INTERVAL": timedelta(0), "CACHE": "pat", "CACHE_IN_PROCESS": True}
    with pat_overrides(cached):
        out["cached, beyond the last-used interval"] = counted(
            client, base_environ(f"/{size}/pat", f"Bearer {extra['pat_cached']}"), 20
        )
    malformed = pat[:-8] + "!" + pat[-7:]
    bad_checksum = pat[:-1] + ("0" if pat[-1] != "0" else "1")
    unknown_body = pat[:-6]
    from django_pat import tokens

    unknown = unknown_body[: -tokens.RANDOM_LENGTH] + "0" * tokens.RANDOM_LENGTH
    unknown += tokens.checksum(unknown)
    out["malformed token"] = counted(
        client, base_environ(f"/{size}/pat", f"Bearer {malformed}"), 20
    )
    out["checksum-failing token"] = counted(
        client, base_environ(f"/{size}/pat", f"Bearer {bad_checksum}"), 20
    )
    out["unknown well-formed token"] = counted(
        client, base_environ(f"/{size}/pat", f"Bearer {unknown}"), 20
    )
    for size, secret in sorted(extra["listers"].items()):
        out[f"list endpoint, {size} token{'s' if size > 1 else ''}"] = counted(
            client, base_environ("/api/personal-access-tokens", f"Bearer {secret}"), 5
        )
    return out


Samples = dict[tuple[int, str], list[float]]


def time_in_process(schemes: list[Scheme], rounds: int, batch: int, rng: random.Random) -> Samples:
    client = Client()
    # Warm up every path (imports, caches, the database's pages).
    for scheme in schemes:
        with pat_overrides(scheme.pat_settings):
            client.batch(scheme.environ, batch)
    samples: Samples = {(scheme.size, scheme.name): [] for scheme in schemes}
    for _ in range(rounds):
        order = schemes[:]
        rng.shuffle(order)
        for scheme in order:
            with pat_overrides(scheme.pat_settings):
                gc.collect()
                samples[scheme.size, scheme.name].append(client.batch(scheme.environ, batch))
    return samples


# --- over HTTP -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(port: int, raw: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head = b"".join(chunks)[:12]
    return int(head[9:12])


def http_request(path: str, authorization: str) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Accept: application/json",
        "Connection: close",
    ]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@contextmanager
def gunicorn(server: str) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    env["BENCH_PAT_CACHE"] = server.removesuffix(REDIS_ONLY)
    env["BENCH_PAT_IN_PROCESS"] = "0" if server.endswith(REDIS_ONLY) else "1"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "benchmarks.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # Any answer (a 404 for this path) means the server is up.
                if http_get(port, http_request("/", "")):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http_batch(port: int, raw: bytes, count: int) -> float:
    """Median seconds per request, connection included (the sync worker closes it)."""
    bad = 0
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        status = http_get(port, raw)
        durations.append(time.perf_counter() - started)
        if status != 200:
            bad += 1
    if bad:
        raise SystemExit(f"{bad} of {count} HTTP requests were refused")
    return statistics.median(durations)


def time_over_http(schemes: list[Scheme], rounds: int, batch: int, rng: random.Random) -> Samples:
    with ExitStack() as stack:
        ports = {
            server: stack.enter_context(gunicorn("" if server == "plain" else server))
            for server in dict.fromkeys(scheme.server for scheme in schemes)
        }
        raws = {(s.size, s.name): http_request(s.path, s.authorization) for s in schemes}
        for scheme in schemes:
            http_batch(ports[scheme.server], raws[scheme.size, scheme.name], batch)
        samples: Samples = {(scheme.size, scheme.name): [] for scheme in schemes}
        for _ in range(rounds):
            order = schemes[:]
            rng.shuffle(order)
            for scheme in order:
                key = (scheme.size, scheme.name)
                samples[key].append(http_batch(ports[scheme.server], raws[key], batch))
    return samples


if __name__ == "__main__":
    main()
