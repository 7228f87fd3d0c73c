"""``python -m benchmarks.scale``: the credential inventory at 1,000 and 1,000,000 tokens.

Fills one database per size with the same realistic mix (:mod:`benchmarks.mix`:
a tenth as many users as tokens; active, revoked, expired and restricted
tokens; service accounts with hundreds), then measures, at both sizes:

* the admin: the token list (default page, searches, each filter, "Show
  counts"), the confirmation page of revoking 100 selected tokens, a token's
  page, a user's page with their tokens, find-by-value;
* the token page a user sees, and the API's list of a user's 100 tokens;
* the commands: ``pat_list`` (table and JSON lines, every token) and
  ``pat_purge --days 90`` (on a throwaway copy of the database), each in a
  process of its own, for its time and its peak memory (RSS).

Pages are timed in process through Django's test client, interleaved: every
round times a batch of each page at each size, in a shuffled order; a
page's time is the median over rounds of each batch's median request. Then
it prints each page's times, their ratio (1,000,000 over 1,000), the queries
it ran, and whether each target is met:

* every page: at 1,000,000 tokens within 3x its time at 1,000 and under 300 ms;
* "Show counts": well under a second (500 ms);
* each command: under 200 MB at its peak; ``pat_purge`` in batches, each
  transaction short (the longest batch under a second).

Examples::

    python -m benchmarks.scale                              # PostgreSQL, 1,000 and 1,000,000
    python -m benchmarks.scale --tokens 1000 --quick        # a minute
    python -m benchmarks.scale --databases sqlite --tokens 1000 20000

PostgreSQL databases are named ``<--postgres name>_<size>`` and kept, so a
second run starts measuring at once; SQLite files go to ``benchmarks/.data/``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / ".data"
SETTINGS = "benchmarks.scale_settings"
ADMIN = "/admin/django_pat/personalaccesstoken/"

# Targets (milliseconds, ratio, megabytes).
PAGE_MS, PAGE_RATIO, FACETS_MS, PEAK_MB, BATCH_S = 300, 3.0, 500, 200, 1.0


# --- the parent: start a child per database, print the report ------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.scale", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--tokens", type=int, nargs=2, default=[1_000, 1_000_000])
    parser.add_argument(
        "--databases", nargs="+", default=["postgres"], choices=["sqlite", "postgres"]
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "BENCH_SCALE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/django_pat_scale"
        ),
        help="server and database-name prefix (one database per size: NAME_1000, ...)",
    )
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--batch", type=int, default=5, help="requests per page per round")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 3: a smoke run")
    parser.add_argument("--no-commands", action="store_true", help="pages only")
    parser.add_argument(
        "--no-trigram",
        action="store_true",
        help="measure without the trigram indexes of django_pat.trigram (dropped for the run; "
        "the next run without this option builds them again)",
    )
    parser.add_argument("--json", type=Path, help="also write the samples here")
    parser.add_argument("--from-json", type=Path, help="print the report of a --json file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.command:
        run_command(args.command)
        return
    if args.child:
        child(args)
        return
    if args.from_json:
        report(json.loads(args.from_json.read_text()))
        return
    if args.quick:
        args.rounds, args.batch = 3, 3
    results: dict[str, Any] = {"machine": machine(), "runs": {}}
    for database in args.databases:
        urls = {size: database_url(database, size, args.postgres) for size in args.tokens}
        print(f"== {database}, {' and '.join(f'{n:,}' for n in urls)} tokens", file=sys.stderr)
        started = time.monotonic()
        command = [sys.executable, "-m", "benchmarks.scale", "--child"]
        command += ["--tokens", *map(str, urls), f"--rounds={args.rounds}", f"--batch={args.batch}"]
        command += ["--no-commands"] * args.no_commands + ["--no-trigram"] * args.no_trigram
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=child_environment(urls),
            stdout=subprocess.PIPE,
            check=True,
        )
        print(f"   ({time.monotonic() - started:.0f} s)", file=sys.stderr)
        results["runs"][database] = json.loads(done.stdout)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    report(results)


def database_url(database: str, size: int, postgres: str) -> str:
    if database == "sqlite":
        DATA.mkdir(exist_ok=True)
        return f"sqlite:///{DATA / f'scale-{size}.sqlite3'}"
    import psycopg

    parts = urlsplit(postgres)
    name = f"{parts.path.lstrip('/') or 'django_pat_scale'}_{size}"
    with psycopg.connect(
        urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=5
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def child_environment(urls: dict[int, str]) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "BENCH_DATABASE_URLS": json.dumps(urls),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def machine() -> dict[str, str]:
    import platform
    from importlib.metadata import version

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "django": version("django"),
    }


# --- the child: fill, count queries, time pages, run commands ------------------------


@dataclass
class Page:
    name: str
    path: str
    method: str = "GET"
    data: dict[str, Any] = field(default_factory=dict)
    # "staff" (a superuser in the admin), "owner" (a user with 30 tokens, by
    # session) or "api" (a user with 100 tokens, by one of them).
    who: str = "staff"
    target_ms: int = PAGE_MS


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from benchmarks import mix, routing

    out: dict[str, Any] = {"sizes": {}}
    clients: dict[tuple[int, str], Any] = {}
    pages: dict[int, list[Page]] = {}
    for size in args.tokens:
        alias = settings.BENCH_ALIASES[size]
        with routing.using(alias):
            call_command("migrate", database=alias, verbosity=0)
            if args.no_trigram:
                call_command("migrate", "django_pat_trigram", "zero", database=alias, verbosity=0)
            mix.fill(size)
            prepared = prepare(size)
            pages[size] = prepared.pop("pages")
            clients.update({(size, who): client for who, client in prepared["clients"].items()})
            connection = connections[alias]
            out["sizes"][size] = {
                "vendor": connection.vendor,
                "server": server_version(connection),
                "rows": rows(),
                "service_tokens": mix.people(size)["service"].tokens,
                "queries": {},
                "times": {},
                "status": {},
            }

    # Queries per page, and a first request of each (warm-up).
    from django.test.utils import CaptureQueriesContext

    for size, size_pages in pages.items():
        alias = settings.BENCH_ALIASES[size]
        for page in size_pages:
            with routing.using(alias):
                request(clients[size, page.who], page)
                with CaptureQueriesContext(connections[alias]) as queries:
                    response = request(clients[size, page.who], page)
            out["sizes"][size]["queries"][page.name] = len(queries)
            out["sizes"][size]["status"][page.name] = response.status_code
            out["sizes"][size].setdefault("shown", {})[page.name] = rows_shown(response)

    rng = random.Random(17)
    work = [(size, page) for size, size_pages in pages.items() for page in size_pages]
    for _ in range(args.rounds):
        rng.shuffle(work)
        for size, page in work:
            alias = settings.BENCH_ALIASES[size]
            with routing.using(alias):
                times = []
                for _ in range(args.batch):
                    started = time.perf_counter()
                    request(clients[size, page.who], page)
                    times.append(time.perf_counter() - started)
            samples = out["sizes"][size]["times"].setdefault(page.name, [])
            samples.append(statistics.median(times))
    out["targets_ms"] = {page.name: page.target_ms for page in pages[args.tokens[0]]}
    out["trigram"] = not args.no_trigram

    if not args.no_commands:
        for size in args.tokens:
            out["sizes"][size]["commands"] = commands(size, settings.BENCH_ALIASES[size])
    connections.close_all()
    json.dump(out, sys.stdout)


def request(client: Any, page: Page) -> Any:
    if page.method == "POST":
        response = client.post(page.path, page.data)
    else:
        response = client.get(page.path, page.data)
    if response.status_code not in (200, 302):
        raise SystemExit(f"{page.name}: {response.status_code}")
    return response


def rows_shown(response: Any) -> int | None:
    """How many tokens a list page shows (a page of fewer renders faster):
    its rows' checkboxes, counted in the HTML."""
    if b'id="changelist-form"' not in response.content:
        return None
    return int(response.content.count(b'<td class="action-checkbox">'))


def prepare(size: int) -> dict[str, Any]:
    """The benchmark's own users and clients in the current database, and its pages."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from benchmarks import mix
    from django_pat.models import PersonalAccessToken

    User = get_user_model()
    User._default_manager.filter(username__in=["scale-staff", "scale-owner", "scale-api"]).delete()
    staff = User._default_manager.create_superuser("scale-staff", "staff@example.com", "x")
    owner = User._default_manager.create_user("scale-owner", "owner@example.com", "x")
    api = User._default_manager.create_user("scale-api", "api@example.com", "x")
    for index in range(30):
        PersonalAccessToken.objects.provision(owner, name=f"owner {index}")
    secret = ""
    for index in range(100):
        _token, secret = PersonalAccessToken.objects.provision(api, name=f"api {index}")
    _found, found_secret = PersonalAccessToken.objects.provision(staff, name="find me")

    clients = {"staff": Client(), "owner": Client(), "api": Client()}
    clients["staff"].force_login(staff)
    clients["owner"].force_login(owner)
    clients["api"].defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"

    people = mix.people(size)
    typical, service = people["typical"], people["service"]
    tokens = PersonalAccessToken.objects.filter(user__username__startswith=mix.PEOPLE)
    one = tokens.filter(user_id=typical.pk).order_by("-created_at").first()
    assert one is not None
    # The 100 newest active tokens, as staff would tick them on the list of active ones.
    selected = list(
        tokens.filter(revoked_at__isnull=True)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:100]
    )
    revoke = {
        "action": "revoke_selected",
        "index": "0",
        "_selected_action": [str(pk) for pk in selected],
    }
    pages = [
        Page("admin list, default page", ADMIN),
        Page("admin list, page 2", ADMIN, data={"p": "2"}),
        Page("admin search by username", ADMIN, data={"q": typical.username}),
        Page("admin search by email", ADMIN, data={"q": typical.username.removeprefix(mix.PEOPLE)}),
        Page("admin search by token name", ADMIN, data={"q": "prometheus"}),
        # One token at both sizes: the benchmark owner's "owner 17".
        Page("admin search, a name one token has", ADMIN, data={"q": '"owner 17"'}),
        Page("admin search by display prefix", ADMIN, data={"q": one.display_prefix}),
        Page("admin search matching nothing", ADMIN, data={"q": "no-such-token-anywhere"}),
        Page("admin list, status = active", ADMIN, data={"status": "active"}),
        Page("admin list, status = revoked", ADMIN, data={"status": "revoked"}),
        Page("admin list, status = expired", ADMIN, data={"status": "expired"}),
        Page("admin list, status = not active", ADMIN, data={"status": "inactive"}),
        Page("admin list, type = read_only", ADMIN, data={"type": "read_only"}),
        Page("admin list, expires within 7 days", ADMIN, data={"expires": "7d"}),
        Page("admin list, never expires", ADMIN, data={"expires": "never"}),
        Page("admin list, used in the last 7 days", ADMIN, data={"used": "7d"}),
        Page("admin list, not used in 90 days", ADMIN, data={"used": "stale"}),
        Page("admin list, one owner's tokens", ADMIN, data={"owner": str(service.pk)}),
        Page(
            "admin list with Show counts",
            ADMIN,
            data={"_facets": "1"},
            target_ms=FACETS_MS,
        ),
        Page(
            "admin Show counts, status = active",
            ADMIN,
            data={"_facets": "1", "status": "active"},
            target_ms=FACETS_MS,
        ),
        Page(
            "admin Show counts, search by username",
            ADMIN,
            data={"_facets": "1", "q": typical.username},
            target_ms=FACETS_MS,
        ),
        Page("revoke 100 selected: confirmation page", ADMIN, "POST", revoke),
        Page("admin token page", f"{ADMIN}{one.pk}/change/"),
        Page("admin user page with 8 tokens", f"/admin/auth/user/{typical.pk}/change/"),
        Page("admin user page, service account", f"/admin/auth/user/{service.pk}/change/"),
        Page("admin find by value", f"{ADMIN}find/", "POST", {"token": found_secret}),
        Page("token page (self-service)", "/settings/tokens/", who="owner"),
        Page("API list, 30 tokens, by session", "/api/personal-access-tokens", who="owner"),
        Page("API list, 100 tokens, by token", "/api/personal-access-tokens", who="api"),
    ]
    return {"clients": clients, "pages": pages}


def server_version(connection: Any) -> str:
    if connection.vendor != "postgresql":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def rows() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    from django_pat.models import PersonalAccessToken

    tokens = PersonalAccessToken.objects
    return {
        "tokens": tokens.count(),
        "users": get_user_model()._default_manager.count(),
        "active": tokens.active().count(),
        "revoked": tokens.revoked().count(),
        "expired": tokens.expired().count(),
    }


# --- the commands, each in a process of its own -----------------------------------------


def commands(size: int, alias: str) -> dict[str, Any]:
    """Time and peak memory of each command against the database of this size."""
    from django.conf import settings
    from django.db import connections

    database = settings.DATABASES[alias]
    url = _url_of(database)
    results = {
        "pat_list": run_child_command(url, ["pat_list"]),
        "pat_list --format jsonl": run_child_command(url, ["pat_list", "--format", "jsonl"]),
        "pat_purge --days 90 --dry-run": run_child_command(
            url, ["pat_purge", "--days", "90", "--dry-run"]
        ),
    }
    # The purge deletes: it runs on a copy, made for it and dropped after.
    connections.close_all()
    with _copy_of(database) as copy:
        results["pat_purge --days 90"] = run_child_command(copy, ["pat_purge", "--days", "90"])
    return results


def _url_of(database: dict[str, Any]) -> str:
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    user, host, port = database["USER"], database["HOST"], database["PORT"]
    return f"postgres://{user}@{host}:{port}/{database['NAME']}"


class _copy_of:
    """A copy of a database, dropped on exit: ``CREATE DATABASE … TEMPLATE`` or a file copy."""

    def __init__(self, database: dict[str, Any]) -> None:
        self.database = database
        self.name = f"{database['NAME']}_purge"

    def __enter__(self) -> str:
        if self.database["ENGINE"].endswith("sqlite3"):
            shutil.copyfile(self.database["NAME"], self.name)
            return f"sqlite:///{self.name}"
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.database["NAME"]}"')
        return _url_of({**self.database, "NAME": self.name})

    def __exit__(self, *exc: object) -> None:
        if self.database["ENGINE"].endswith("sqlite3"):
            Path(self.name).unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')

    def _admin(self, sql: str) -> None:
        import psycopg

        url = _url_of({**self.database, "NAME": "postgres"})
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)


def run_child_command(url: str, arguments: list[str]) -> dict[str, Any]:
    """Run ``manage.py <arguments>`` in a process of its own; its time, peak RSS and output."""
    env = {
        **os.environ,
        "BENCH_DATABASE_URLS": json.dumps({1: url}),
        "DJANGO_SETTINGS_MODULE": SETTINGS,
    }
    print(f"   {' '.join(arguments)} ...", file=sys.stderr)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--command", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        check=True,
    )
    return dict(json.loads(done.stdout))


def run_command(arguments: list[str]) -> None:
    """In the command's own process: run it, its output counted and dropped."""
    import django

    django.setup()
    from django.core.management import call_command

    class Sink:
        def __init__(self) -> None:
            self.lines = 0
            self.text: list[str] = []

        def write(self, text: str) -> int:
            self.lines += text.count("\n")
            if len(self.text) < 50:
                self.text.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    out, err = Sink(), Sink()
    started = time.perf_counter()
    call_command(*arguments, stdout=out, stderr=err)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {
            "seconds": seconds,
            "peak_mb": peak_kb / 1024,
            "lines": out.lines,
            "first_lines": "".join(out.text)[:2000],
            "stderr": "".join(err.text)[:4000],
        },
        sys.stdout,
    )


# --- the report ------------------------------------------------------------------------


def report(results: dict[str, Any]) -> None:
    info = results["machine"]
    print("django-pat scale benchmark")
    print(
        f"machine: {info['cpu']}, {info['cores']} cores; python {info['python']}, "
        f"Django {info['django']}"
    )
    checks: list[tuple[str, str, bool]] = []
    for database, run in results["runs"].items():
        sizes = sorted(run["sizes"], key=int)
        small, large = run["sizes"][sizes[0]], run["sizes"][sizes[-1]]
        n_small, n_large = int(sizes[0]), int(sizes[-1])
        trigram = "with" if run.get("trigram", True) else "without"
        print(
            f"\n## {large['server']}: {n_small:,} and {n_large:,} tokens "
            f"({trigram} the trigram indexes of django_pat.trigram)"
        )
        for size in sizes:
            found = run["sizes"][size]["rows"]
            print(f"  {int(size):,}: " + ", ".join(f"{k} {v:,}" for k, v in found.items()))
        print(f"  service account: {large['service_tokens']:,} tokens at {n_large:,}\n")
        print(
            f"| page | {n_small:,} tokens | {n_large:,} tokens | ratio | tokens shown | queries "
            "| target | met |"
        )
        print("|---|---:|---:|---:|---:|---:|---|---|")
        for name, target in run["targets_ms"].items():
            a = statistics.median(small["times"][name]) * 1000
            b = statistics.median(large["times"][name]) * 1000
            ratio = b / a
            ok = b < target and (target != PAGE_MS or ratio <= PAGE_RATIO)
            rule = f"< {target} ms" + (f", <= {PAGE_RATIO:g}x" if target == PAGE_MS else "")
            queries = f"{small['queries'][name]} / {large['queries'][name]}"
            shown = [
                run["sizes"][size].get("shown", {}).get(name) for size in (sizes[0], sizes[-1])
            ]
            rows = " / ".join(str(n) for n in shown) if None not in shown else ""
            print(
                f"| {name} | {a:.0f} ms | {b:.0f} ms | {ratio:.2f} | {rows} | {queries} | {rule} | "
                f"{'yes' if ok else 'NO'} |"
            )
            checks.append((f"{database}: {name}", f"{b:.0f} ms, {ratio:.2f}x", ok))
        if "commands" in large:
            print(f"\n| command | {n_small:,} tokens | {n_large:,} tokens | target | met |")
            print("|---|---:|---:|---|---|")
            for name, result in large["commands"].items():
                before = small["commands"][name]
                ok = result["peak_mb"] < PEAK_MB
                rule = f"< {PEAK_MB} MB"
                if name == "pat_purge --days 90":
                    longest = _longest_batch(result["stderr"])
                    ok = ok and longest is not None and longest < BATCH_S
                    rule += f", each batch < {BATCH_S:g} s"
                print(
                    f"| {name} | {_command_cell(before)} | {_command_cell(result)} | {rule} | "
                    f"{'yes' if ok else 'NO'} |"
                )
                checks.append((f"{database}: {name}", _command_cell(result), ok))
            purge = large["commands"].get("pat_purge --days 90")
            if purge:
                print(f"\n  pat_purge at {n_large:,}, its standard error:")
                for line in purge["stderr"].strip().splitlines():
                    print(f"    {line}")
    missed = [check for check in checks if not check[2]]
    print(f"\n{len(checks) - len(missed)} of {len(checks)} targets met")
    for what, measured, _ok in missed:
        print(f"  NOT MET: {what}: {measured}")


def _command_cell(result: dict[str, Any]) -> str:
    return f"{result['seconds']:.1f} s, {result['peak_mb']:.0f} MB"


def _longest_batch(stderr: str) -> float | None:
    """The longest batch pat_purge reported (its last line says)."""
    for line in reversed(stderr.splitlines()):
        if "longest batch" in line:
            return float(line.rsplit("longest batch ", 1)[1].split(" ")[0])
    return None


if __name__ == "__main__":
    main()
