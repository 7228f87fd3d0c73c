"""Which of the benchmark's databases a request uses: one per table size.

Every table size lives in a database of its own (an alias per size, the
smallest being ``default``), and all of them are measured in the same rounds,
so that 1,000 and 1,000,000 tokens are compared interleaved, like the schemes.
A view sets the alias for its request (``benchmarks.views``); set-up code
wraps itself in :func:`using`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_current: ContextVar[str] = ContextVar("benchmark_database", default="default")


def current() -> str:
    return _current.get()


@contextmanager
def using(alias: str) -> Iterator[None]:
    token = _current.set(alias)
    try:
        yield
    finally:
        _current.reset(token)


class Router:
    """Reads and writes go to the current alias, for every app."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return _current.get()

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return _current.get()

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return True
