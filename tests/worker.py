"""One process of a site in cache mode, driven by test_cache_processes.py.

``python -m tests.worker`` reads one JSON command a line on stdin and answers
with one JSON line on stdout. Requests go through Django's test client, that
is, through this process's own WSGI handler, authentication and cache client;
the database (a SQLite file) and Redis are shared with the other worker.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.worker_settings")
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from django_pat.models import PersonalAccessToken

    client = Client()

    # Counts this process's reads of the shared cache (the Redis round trips).
    cache = caches["pat"]
    cache_reads = [0]
    read = cache.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        cache_reads[0] += 1
        return read(*args, **kwargs)

    cache.get = counting_get  # type: ignore[method-assign]

    def request(method: str, url: str, secret: str) -> dict[str, Any]:
        reads_before = cache_reads[0]
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
        return {
            "status": response.status_code,
            "body": response.json() if response.content else None,
            "queries": [query["sql"] for query in queries.captured_queries],
            "cache_reads": cache_reads[0] - reads_before,
        }

    def user(username: str) -> Any:
        return User.objects.get(username=username)

    def provision(username: str, name: str) -> dict[str, str]:
        token, secret = PersonalAccessToken.objects.provision(user(username), name=name)
        return {"id": str(token.pk), "secret": secret}

    def set_user(username: str, **fields: Any) -> None:
        instance = user(username)
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save()

    def last_used_at(token_id: str) -> str | None:
        value = PersonalAccessToken.objects.get(pk=token_id).last_used_at
        return value.isoformat() if value else None

    commands = {
        "migrate": lambda: call_command("migrate", verbosity=0),
        "make_user": lambda username: User.objects.create_user(username, None, "pw").pk,
        "provision": provision,
        "get": lambda url, secret: request("get", url, secret),
        "delete": lambda url, secret: request("delete", url, secret),
        "revoke": lambda token_id: PersonalAccessToken.objects.get(pk=token_id).revoke(),
        "set_user": set_user,
        "grant": lambda username, codename: user(username).user_permissions.add(
            Permission.objects.get(codename=codename)
        ),
        "deny": lambda username, codename: user(username).user_permissions.remove(
            Permission.objects.get(codename=codename)
        ),
        "last_used_at": last_used_at,
    }
    for line in sys.stdin:
        command = json.loads(line)
        try:
            answer = {"result": commands[command.pop("op")](**command)}
        except Exception:
            answer = {"error": traceback.format_exc()}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
