"""Fill every scheme's token table with N other users' tokens, fast.

Each filler user owns one token of every scheme (DRF's authtoken allows only
one per user), so N tokens means N users and N rows in each of the four
token tables. The values are random but well-formed: digests of the right
length, unique keys, expiries in the future. None of them is a usable secret.

PostgreSQL is filled with ``COPY``; SQLite with ``executemany`` in batches,
each table in one transaction. A database that already holds N fillers is
left as it is, so that a second run starts measuring at once.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, models, transaction
from knox.models import AuthToken as KnoxToken
from rest_framework.authtoken.models import Token as AuthToken
from rest_framework_api_key.models import APIKey

from benchmarks import routing
from django_pat.models import PersonalAccessToken

FILLER = "filler-"
BATCH = 20_000
TOKEN_MODELS: tuple[type[models.Model], ...] = (AuthToken, KnoxToken, APIKey, PersonalAccessToken)


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def filler_count() -> int:
    User = get_user_model()
    return User.objects.filter(username__startswith=FILLER).count()


def ensure(n: int) -> None:
    """Make the database hold exactly ``n`` filler users and their tokens."""
    counts = {model: model._default_manager.count() for model in TOKEN_MODELS}
    if filler_count() == n and all(count >= n for count in counts.values()):
        return
    log(f"filling the tables with {n:,} users and {n:,} tokens of each scheme ...")
    started = time.perf_counter()
    _clear()
    user_ids = _insert_users(n)
    now = datetime.now(timezone.utc)
    later = now + timedelta(days=365)
    rand = os.urandom

    insert_rows(
        AuthToken, ("key", "user_id", "created"), ((rand(20).hex(), uid, now) for uid in user_ids)
    )
    insert_rows(
        KnoxToken,
        ("digest", "token_key", "user_id", "created", "expiry"),
        ((rand(64).hex(), rand(8).hex()[:15], uid, now, later) for uid in user_ids),
    )

    def api_keys() -> Iterator[tuple[Any, ...]]:
        for index in range(n):
            # "z" is no hex digit, so a filler prefix never equals a real one.
            prefix = f"z{index:07x}"
            hashed = "sha512$$" + rand(64).hex()
            yield (f"{prefix}.{hashed}", prefix, hashed, now, "filler", False, later)

    insert_rows(
        APIKey,
        ("id", "prefix", "hashed_key", "created", "name", "revoked", "expiry_date"),
        api_keys(),
    )
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
        ),
        (
            (
                uuid_value(uuid.uuid4()),
                uid,
                "filler",
                "read_write",
                rand(32).hex(),
                "pat_0000",
                "",
                now,
                later,
            )
            for uid in user_ids
        ),
    )
    connection = connections[routing.current()]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    log(f"filled in {time.perf_counter() - started:.0f} s")


def _clear() -> None:
    User = get_user_model()
    alias = routing.current()
    with transaction.atomic(using=alias):
        for model in TOKEN_MODELS:
            model._default_manager.all()._raw_delete(alias)  # type: ignore[attr-defined]
        User.objects.filter(username__startswith=FILLER)._raw_delete(alias)  # type: ignore[attr-defined]


def _insert_users(n: int) -> list[int]:
    User = get_user_model()
    now = datetime.now(timezone.utc)
    rows = (
        ("!unusable", False, f"{FILLER}{index:07d}", "", "", "", False, True, now)
        for index in range(n)
    )
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
        rows,
    )
    return list(
        User.objects.filter(username__startswith=FILLER).order_by("pk").values_list("pk", flat=True)
    )


def converter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    connection = connections[routing.current()]

    def convert(value: Any) -> Any:
        return field.get_db_prep_value(value, connection)

    return convert


def insert_rows(
    model: type[models.Model], attnames: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> None:
    connection = connections[routing.current()]
    table = model._meta.db_table
    # NOT NULL columns the rows leave out get their field's constant default
    # (the database has none: Django keeps defaults in Python).
    missing = [
        field
        for field in model._meta.concrete_fields
        if field.attname not in attnames
        and not field.null
        and field.has_default()
        and not callable(field.default)
    ]
    if missing:
        constants = tuple(field.get_default() for field in missing)
        attnames = (*attnames, *(field.attname for field in missing))
        rows = (row + constants for row in rows)
    columns = [model._meta.get_field(name.removesuffix("_id")).column for name in attnames]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    started = time.perf_counter()
    count = 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            sqlite_row = _sqlite_adapter(model, attnames)
            sql = (
                f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})"
            )
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(sqlite_row(row))
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    log(f"{table}: {count:,} rows in {time.perf_counter() - started:.1f} s")


def _sqlite_adapter(
    model: type[models.Model], attnames: tuple[str, ...]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """SQLite takes datetimes as text; convert those columns once per row."""
    datetimes = [
        index
        for index, name in enumerate(attnames)
        if isinstance(model._meta.get_field(name.removesuffix("_id")), models.DateTimeField)
    ]
    adapt = connections[routing.current()].ops.adapt_datetimefield_value

    def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not datetimes:
            return row
        values = list(row)
        for index in datetimes:
            values[index] = adapt(values[index])
        return tuple(values)

    return convert
