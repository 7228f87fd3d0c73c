"""Profile one scheme's requests: ``python -m benchmarks.profile [SCHEME]``.

Runs requests through Django's WSGI handler, as the benchmark does, under
pyinstrument (a statistical profiler: the tree shows where a request's time
goes without cProfile's per-call overhead); ``--cprofile`` prints cProfile's
table instead. The database is the benchmark's SQLite file for 1,000 tokens
unless ``--database`` names another (a database URL).

    python -m benchmarks.profile "django-pat"
    python -m benchmarks.profile "drf authtoken" --requests 5000
    python -m benchmarks.profile "django-pat cached, local copy" --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
# The database is the benchmark's default one, whatever it holds.
SIZE = 1000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("scheme", nargs="?", default="django-pat")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database", default=f"sqlite:///{DATA / 'bench-1000.sqlite3'}")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--cprofile", action="store_true")
    args = parser.parse_args()

    DATA.mkdir(exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ["BENCH_DATABASE_URLS"] = json.dumps({SIZE: args.database})
    os.environ["BENCH_REDIS_URL"] = args.redis
    os.environ.setdefault("BENCH_CACHE_PREFIX", f"bench-profile-{os.getpid()}")
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks import measure, populate

    call_command("migrate", verbosity=0)
    if populate.filler_count() == 0:
        populate.ensure(SIZE)
    schemes, _extra = measure.prepare(SIZE)
    chosen = {scheme.name: scheme for scheme in schemes}.get(args.scheme)
    if chosen is None:
        raise SystemExit(f"no scheme {args.scheme!r}; choose one of {[s.name for s in schemes]}")
    client = measure.Client()
    environ = measure.base_environ(chosen.path, chosen.authorization)
    with measure.pat_overrides(chosen.pat_settings):
        client.batch(environ, 300)  # warm up
        if args.cprofile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(client.batch, environ, args.requests)
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
        else:
            from pyinstrument import Profiler

            with Profiler(interval=0.0001) as profiler:
                client.batch(environ, args.requests)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    measure.clear_cache()


if __name__ == "__main__":
    main()
