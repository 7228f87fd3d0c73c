"""The checks CI runs, one command: ``.venv/bin/nox``.

Sessions run inside the project's own virtual environment (made by README's
first command), so they cost no extra installs:

* ``lint``: ruff (lint and format) and mypy;
* ``tests(database='sqlite')`` and ``tests(database='postgres')``: the whole
  suite on each database. PostgreSQL comes from ``TEST_POSTGRES_URL``
  (default ``postgres://postgres@127.0.0.1:5432/test``);
* ``package``: builds the wheel and sdist and installs the wheel into a fresh
  virtual environment.

``.venv/bin/nox -s "tests(database='sqlite')"`` runs one session.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.error_on_missing_interpreters = True

PYTHON = sys.executable
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
DATABASES = {"sqlite": "sqlite://:memory:", "postgres": POSTGRES_URL}


@nox.session
def lint(session: nox.Session) -> None:
    session.run(PYTHON, "-m", "ruff", "check", ".")
    session.run(PYTHON, "-m", "ruff", "format", "--check", ".")
    session.run(PYTHON, "-m", "mypy")


@nox.session
@nox.parametrize("database", list(DATABASES))
def tests(session: nox.Session, database: str) -> None:
    session.run(PYTHON, "-m", "pytest", *session.posargs, env={"DATABASE_URL": DATABASES[database]})


@nox.session
def package(session: nox.Session) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        dist = Path(scratch, "dist")
        session.run(PYTHON, "-m", "build", "--outdir", str(dist), ".")
        wheel = next(dist.glob("*.whl"))
        venv = Path(scratch, "venv")
        session.run(PYTHON, "-m", "venv", str(venv))
        python = str(venv / "bin" / "python")
        session.run(python, "-m", "pip", "install", "--quiet", str(wheel))
        session.run(python, str(Path("tests", "check_installed_package.py")))
