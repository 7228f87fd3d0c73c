"""The one query of an authenticated request, compiled once.

Looking a token up is the same query on every request: its row and its
user's, by the digest's unique index. Building and compiling that query with
the ORM costs several times what the database spends answering it, so it is
compiled once and then only executed; the values go through the ORM's own
converters and ``Model.from_db``, so the token and its user are exactly what
``select_related("user").get(digest=...)`` would give.

Compiled queries are kept per thread and, in each thread, per database
alias: Django's connections are per thread, and the converters are methods
of the connection that compiled them. A change to ``AUTH_USER_MODEL``,
``DATABASES``, ``DATABASE_ROUTERS`` or ``INSTALLED_APPS`` (``setting_changed``)
makes every thread compile again.

Compiling uses Django's compiler internals (``get_compiler()``, ``select``,
``get_converters()``), which a future Django may change. If compiling fails,
for any reason but a database error, the failure is logged once (a warning
on the ``django_pat`` logger, with its traceback) and every lookup on that
alias uses the plain ORM query instead: slower, still one query, never a 500.

The query goes to the database that writes tokens,
``router.db_for_write(PersonalAccessToken)``, not to the one the project's
routers pick for reads: a replica that lags would let a token revoked on the
primary (or a user deactivated there) go on authenticating until it caught
up. Revocation takes effect on the next request, whatever the routing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed
from django.db import Error, connections, router
from django.db.models import ForeignKey
from django.dispatch import receiver

from .models import PersonalAccessToken

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Model

__all__ = ["fetch"]

logger = logging.getLogger("django_pat")

Converter = Callable[[Any, Any, "BaseDatabaseWrapper"], Any]

# Stands in for the digest while the query is compiled; never sent anywhere.
_MARK = "<django_pat digest>"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    digest_index: int
    # Column position -> the ORM's converters for it and the expression they expect.
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]
    token_names: tuple[str, ...]
    user_field: ForeignKey[Any, Any]
    user_model: type[Model]
    user_names: tuple[str, ...]


class _Cache(threading.local):
    """Compiled queries of this thread, by alias; None for an alias whose
    query could not be compiled (the ORM's query is used instead).

    Per thread because Django's connections are: the converters are methods
    of the connection that compiled them.
    """

    def __init__(self) -> None:
        self.compiled: dict[str, _Compiled | None] = {}
        self.generation = 0


_cache = _Cache()
# Bumped when a setting the query depends on changes; each thread then recompiles.
_generation = 0
# Alias -> the generation in which compiling its query failed, in any thread:
# no other thread tries again, or logs again, until a setting changes.
_failed: dict[str, int] = {}
_failed_lock = threading.Lock()


def _compile(alias: str) -> _Compiled:
    user_field = PersonalAccessToken._meta.get_field("user")
    assert isinstance(user_field, ForeignKey)
    user_model: type[Model] = user_field.related_model
    token_names = tuple(f.attname for f in PersonalAccessToken._meta.concrete_fields)
    user_names = tuple(f.attname for f in user_model._meta.concrete_fields)
    queryset = (
        PersonalAccessToken._default_manager.using(alias)
        .filter(digest=_MARK)
        .order_by()
        .values_list(*token_names, *(f"user__{name}" for name in user_names))
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    expressions = [column for column, _sql, _alias in compiler.select]
    if len(expressions) != len(token_names) + len(user_names):
        raise AssertionError("the token query selected unexpected columns")
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(expressions).items()
    )
    return _Compiled(
        sql=sql,
        params=tuple(params),
        digest_index=list(params).index(_MARK),
        converters=converters,
        token_names=token_names,
        user_field=user_field,
        user_model=user_model,
        user_names=user_names,
    )


def _for(alias: str) -> _Compiled | None:
    """This thread's compiled query for ``alias``; None: use the ORM's."""
    generation = _generation
    if _cache.generation != generation:
        _cache.compiled, _cache.generation = {}, generation
    try:
        return _cache.compiled[alias]
    except KeyError:
        pass
    compiled = None
    if _failed.get(alias) != generation:
        try:
            compiled = _compile(alias)
        except Error:
            raise  # the database did not answer (connecting, say): not the compiler's fault
        except Exception:
            with _failed_lock:
                first = _failed.get(alias) != generation
                _failed[alias] = generation
            if first:
                logger.warning(
                    "django_pat: could not compile the token query for database %r; "
                    "using the ORM's query instead (slower, still one query)",
                    alias,
                    exc_info=True,
                )
    _cache.compiled[alias] = compiled
    return compiled


def fetch(digest: str) -> PersonalAccessToken | None:
    """The token with this digest, its user loaded with it; None if none.

    One query, whatever the state of the token: the rules are checked by the
    caller, on the objects returned. Read from the database that writes
    tokens, never a replica (see the module's docstring).
    """
    alias = router.db_for_write(PersonalAccessToken)
    compiled = _for(alias)
    if compiled is None:
        return _fetch_with_the_orm(alias, digest)
    params = list(compiled.params)
    params[compiled.digest_index] = digest
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if compiled.converters:
        row = list(row)
        for position, functions, expression in compiled.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
    split = len(compiled.token_names)
    token = PersonalAccessToken.from_db(alias, compiled.token_names, row[:split])
    user = compiled.user_model.from_db(alias, compiled.user_names, row[split:])
    compiled.user_field.set_cached_value(token, user)
    return token


def _fetch_with_the_orm(alias: str, digest: str) -> PersonalAccessToken | None:
    try:
        return (
            PersonalAccessToken._default_manager.using(alias)
            .select_related("user")
            .get(digest=digest)
        )
    except PersonalAccessToken.DoesNotExist:
        return None


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    # The query depends on the user model and on each database's backend.
    global _generation
    if setting in {"AUTH_USER_MODEL", "DATABASES", "DATABASE_ROUTERS", "INSTALLED_APPS"}:
        _generation += 1
