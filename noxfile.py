"""The checks CI runs, one command: ``.venv/bin/nox``.

The quick sessions run inside the project's own virtual environment (made by
README's first command), so they cost no extra installs:

* ``lint``: ruff (lint and format) and mypy;
* ``tests(database='sqlite')`` and ``tests(database='postgres')``: the whole
  suite on each database, under coverage. PostgreSQL comes from
  ``TEST_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432/test``);
* ``coverage``: line and branch coverage of ``django_pat/`` from both runs,
  failing under the floor set in pyproject.toml.

The rest is the evidence that django-pat holds on what users run:

* ``matrix``: the suite on Python 3.11 with Django 5.2 LTS and on Python 3.13
  with the newest Django 6, each on SQLite and PostgreSQL, in virtual
  environments of their own under ``.nox/`` (kept between runs);
* ``minimum``: the suite on Python 3.10, the lowest supported, with the lowest
  version of every dependency (and of the example site's) that pyproject.toml
  allows, on SQLite and PostgreSQL, in a virtual environment under ``.nox/``
  (kept too);
* ``load``: the example site under gunicorn, hammered by 32 client threads
  over several users; fails on any 5xx, any request a revoked token got
  through, or, on PostgreSQL, more server connections than the pools hold;
* ``docs``: the docs site, built by Sphinx into ``docs/_build/html`` with
  every warning an error (also in ``-t quick``);
* ``package``: builds the wheel and sdist, checks the metadata PyPI shows, and
  installs the wheel into a fresh virtual environment.

``.venv/bin/nox -s "tests(database='sqlite')"`` runs one session; ``-t quick``
runs lint, tests, coverage and docs; arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import os
import sys
import tempfile
import zipfile
from pathlib import Path

import nox
from packaging.metadata import Metadata
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest brings tomli to Python 3.10
    import tomli as tomllib

nox.options.default_venv_backend = "none"
nox.options.error_on_missing_interpreters = True
# Use the pythons this machine has; never fetch one from the internet.
nox.options.download_python = "never"

PYTHON = sys.executable
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
DATABASES = {"sqlite": "sqlite://:memory:", "postgres": POSTGRES_URL}
# Two corners of what users run: Python 3.11 with the LTS Django, and Python
# 3.13 with the newest Django 6 release on the index.
MATRIX = [("3.11", "5.2", "django>=5.2,<5.3"), ("3.13", "6", "django>=6,<7")]
# The lowest Python supported, for the lowest versions of the dependencies.
MINIMUM_PYTHON = "3.10"


def _find_pyenv_pythons() -> None:
    """Let nox find the pythons pyenv installed, whichever one is global.

    pyenv's shims answer only for the selected version; its per-version bin
    directories, appended to PATH, make every installed one available. Pythons
    already on PATH keep precedence.
    """
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    extra = [str(bin_dir) for bin_dir in sorted(versions.glob("*/bin")) if bin_dir.is_dir()]
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), *extra])


_find_pyenv_pythons()


@nox.session(tags=["quick"])
def lint(session: nox.Session) -> None:
    session.run(PYTHON, "-m", "ruff", "check", ".")
    session.run(PYTHON, "-m", "ruff", "format", "--check", ".")
    session.run(PYTHON, "-m", "mypy")


@nox.session(tags=["quick"])
@nox.parametrize("database", list(DATABASES))
def tests(session: nox.Session, database: str) -> None:
    """The suite in the project's environment, measured for ``coverage``."""
    env = {"DATABASE_URL": DATABASES[database], "COVERAGE_FILE": f".coverage.{database}"}
    session.run(PYTHON, "-m", "coverage", "run", "-m", "pytest", *session.posargs, env=env)
    session.notify("coverage")


@nox.session(tags=["quick"])
def coverage(session: nox.Session) -> None:
    """Combine what the ``tests`` sessions measured; fail under the floor."""
    data = [name for name in (f".coverage.{db}" for db in DATABASES) if Path(name).exists()]
    if not data:
        session.error("no coverage data: run the tests sessions first")
    session.run(PYTHON, "-m", "coverage", "combine", "--keep", *data)
    session.run(PYTHON, "-m", "coverage", "report")


@nox.session(venv_backend="venv", reuse_venv=True)
@nox.parametrize(
    ("python", "django", "requirement"),
    [nox.param(*row, id=f"python={row[0]}, django={row[1]}") for row in MATRIX],
)
def matrix(session: nox.Session, django: str, requirement: str) -> None:
    """The suite on one supported Python and Django, on SQLite and PostgreSQL."""
    if (session.python, django) == _project_environment():
        session.skip(
            f"Python {session.python} with Django {django} is the project's own "
            "environment, which the tests sessions ran on both databases"
        )
    session.install("--quiet", "-e", ".[dev]", requirement)
    _suite(session, ["django"])


@nox.session(python=MINIMUM_PYTHON, venv_backend="venv", reuse_venv=True)
def minimum(session: nox.Session) -> None:
    """The suite on the lowest Python with the lowest dependencies allowed.

    Each of pyproject.toml's ``dependencies``, and of the ``example`` and
    ``github`` extras (the example site, PostgreSQL and Redis, GitHub's
    signatures, which the suite runs too), at the lowest version it allows,
    on SQLite and PostgreSQL: the floors it states are floors the suite
    passed on. The test tools come at their newest.
    """
    floors = _floors()
    session.install("--quiet", "-e", ".[dev]", *(str(floor) for floor in floors))
    _suite(session, [floor.name for floor in floors])


def _floors() -> list[Requirement]:
    """``name==lowest`` for each of pyproject.toml's ``dependencies`` and
    ``example`` and ``github`` extras."""
    with Path("pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    floors = []
    extras = project["optional-dependencies"]
    for line in project["dependencies"] + extras["example"] + extras["github"]:
        requirement = Requirement(line)
        lowest = [s.version for s in requirement.specifier if s.operator in {">=", "==", "~="}]
        if len(lowest) != 1:
            raise ValueError(f"{line!r} in pyproject.toml states no single lowest version")
        requirement.specifier = SpecifierSet(f"=={lowest[0]}")
        floors.append(requirement)
    return floors


def _suite(session: nox.Session, shown: list[str]) -> None:
    """The suite in the session's own environment, on SQLite and PostgreSQL,
    after printing the Python and the ``shown`` distributions' versions."""
    versions = (
        "import sys; from importlib.metadata import version; "
        f"print('Python', sys.version.split()[0], *(f'/ {{n}} {{version(n)}}' for n in {shown!r}))"
    )
    session.run("python", "-c", versions)
    for database in DATABASES:
        session.log(f"The suite on {database}")
        env = {"DATABASE_URL": DATABASES[database]}
        session.run("python", "-m", "pytest", "-p", "no:cacheprovider", *session.posargs, env=env)


def _project_environment() -> tuple[str, str]:
    """(Python major.minor, Django release series) of the project's .venv."""
    import django

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    major, minor = django.VERSION[:2]
    return python, f"{major}.{minor}" if major < 6 else str(major)


@nox.session
@nox.parametrize("database", list(DATABASES))
def load(session: nox.Session, database: str) -> None:
    """The example site under gunicorn and a bounded mixed load."""
    url = POSTGRES_URL if database == "postgres" else "sqlite"
    session.run(PYTHON, "-m", "tests.load", "--database", url, *session.posargs)


# Strict: every warning an error (all of them reported first), and nitpicky
# about references. tests/docs/test_build.py builds with the same arguments.
SPHINX_ARGUMENTS = ["-W", "--keep-going", "-n", "-b", "html", "docs"]


@nox.session(tags=["quick"])
def docs(session: nox.Session) -> None:
    """The docs site, offline, into docs/_build/html."""
    session.run(PYTHON, "-m", "sphinx", *SPHINX_ARGUMENTS, str(Path("docs", "_build", "html")))


@nox.session
def package(session: nox.Session) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        dist = Path(scratch, "dist")
        session.run(PYTHON, "-m", "build", "--outdir", str(dist), ".")
        wheel = next(dist.glob("*.whl"))
        _check_metadata(session, wheel)
        venv = Path(scratch, "venv")
        session.run(PYTHON, "-m", "venv", str(venv))
        python = str(venv / "bin" / "python")
        session.run(python, "-m", "pip", "install", "--quiet", str(wheel))
        session.run(python, str(Path("tests", "check_installed_package.py")))


def _check_metadata(session: nox.Session, wheel: Path) -> None:
    """The wheel's metadata is valid, and PyPI knows every classifier in it
    (an upload with one it does not know is refused)."""
    from trove_classifiers import classifiers, deprecated_classifiers

    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        raw = archive.read(name).decode()
    metadata = Metadata.from_email(raw, validate=True)
    unknown = [c for c in metadata.classifiers or [] if c not in classifiers]
    deprecated = [c for c in metadata.classifiers or [] if c in deprecated_classifiers]
    if unknown or deprecated:
        session.error(f"classifiers PyPI refuses: {unknown}; deprecated: {deprecated}")
    session.log(f"{metadata.name} {metadata.version}: {metadata.summary}")
