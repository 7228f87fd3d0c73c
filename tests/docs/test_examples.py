"""Every code example in README.md and docs/*.md runs, or says why not
(``tests/docs/examples.py`` describes the kinds and their markers)."""

from __future__ import annotations

import contextlib
import copy
import doctest
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.docs.examples import (
    DOCUMENTED_BASE,
    PAGES,
    ROOT,
    Example,
    Mismatch,
    all_examples,
    bind,
    compare,
    examples,
    pages_with,
    steps,
)
from tests.test_example_project import manage, runserver, site_environment
from tests.test_fresh_project import block_after, install_section

KINDS = {"project", "site", "settings", "skip", "run by"}
TIMEOUT = 120


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


# --- every block is classified ------------------------------------------------


def test_every_block_is_classified() -> None:
    unclassified = [
        f"{e.where} ({e.language or 'no language'})" for e in all_examples() if e.kind not in KINDS
    ]

    assert unclassified == [], (
        "code blocks that neither run nor say why not; put <!-- example: ... --> "
        "before each (see tests/docs/examples.py)"
    )


def test_skipped_blocks_say_why() -> None:
    skipped = all_examples("skip")

    assert [e.where for e in skipped if len(e.detail.split()) < 5] == []


@pytest.mark.parametrize("example", all_examples("run by"), ids=lambda e: e.where)
def test_blocks_run_elsewhere_are_read_there(example: Example) -> None:
    """A block said to be run by a test module: that module exists and reads
    this page."""
    module = ROOT / example.detail
    assert module.is_file(), f"{example.where} names {example.detail}, which does not exist"
    assert page_id(example.page) in module.read_text() or (
        example.page.name == "README.md" and "README" in module.read_text()
    ), f"{example.detail} does not read {page_id(example.page)}"


def test_the_marker_syntax_is_not_mistyped() -> None:
    """An HTML comment that looks like a marker but is not one would leave its
    block to the language's default."""
    near_misses = [
        f"{page_id(page)}: {line.strip()}"
        for page in PAGES
        for line in page.read_text().splitlines()
        if re.match(r"\s*<!--\s*examples?\b", line) and not re.match(r"\s*<!-- example: ", line)
    ]
    assert near_misses == []


# --- Python, in the configured project ---------------------------------------


@pytest.mark.parametrize("page", pages_with("project"), ids=page_id)
def test_python_examples_run_in_the_project(page: Path, django_user_model, rf) -> None:
    """The page's ``python`` blocks, in order, in one namespace, with the
    test settings as the page's settings blocks change them, and the test
    database; ``>>>`` blocks are doctests there. The namespace starts with a
    ``user`` (alice), a ``request`` from 192.0.2.7 and an empty ``urlpatterns``."""
    user = django_user_model.objects.create_user("alice", email="alice@example.com")
    namespace: dict[str, object] = {
        "__name__": f"docs_{page.stem.replace('-', '_')}",
        "user": user,
        "request": rf.get("/", REMOTE_ADDR="192.0.2.7"),
        "urlpatterns": [],
    }
    with override_settings(**page_settings(page)):
        for example in examples(page):
            if example.kind != "project":
                continue
            if example.code.startswith(">>>"):
                run_doctest(example, namespace)
            else:
                code = compile(example.code, example.where, "exec")
                exec(code, namespace)  # noqa: S102 (the docs' own example)


def page_settings(page: Path) -> dict[str, object]:
    """What the page's settings blocks change in the test settings, less
    ``INSTALLED_APPS``: apps cannot be added to a running project's registry
    (the settings test checks them, in a fresh project of their own)."""
    current = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    namespace = copy.deepcopy(current)
    for example in examples(page):
        if example.kind == "settings":
            exec(compile(example.code, example.where, "exec"), namespace)  # noqa: S102
    return {
        name: value
        for name, value in namespace.items()
        if name.isupper()
        and name != "INSTALLED_APPS"
        and (name not in current or current[name] != value)
    }


def run_doctest(example: Example, namespace: dict[str, object]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(example.code, namespace, example.where, example.where, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    output: list[str] = []
    runner.run(test, out=output.append, clear_globs=False)
    assert runner.failures == 0, "".join(output)


# --- settings, in a fresh project --------------------------------------------


@pytest.fixture(scope="module")
def fresh_project(tmp_path_factory) -> Path:
    """A project from ``django-admin startproject`` with README's install
    steps' settings and urls."""
    project = tmp_path_factory.mktemp("docs_project")
    run(
        [sys.executable, "-m", "django", "startproject", "mysite", "."],
        project,
        project_environment("mysite.settings"),
    )
    section = install_section()
    with (project / "mysite" / "settings.py").open("a") as settings:
        settings.write("\n" + block_after(section, "In `settings.py`:"))
    with (project / "mysite" / "urls.py").open("a") as urls:
        urls.write("\n" + block_after(section, "In `urls.py`:"))
    return project


def project_environment(settings: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    return {**environment, "DJANGO_SETTINGS_MODULE": settings}


def run(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def settings_module(project: Path, example: Example) -> str:
    """The example added to the fresh project's settings, as a module of its own."""
    name = re.sub(r"\W", "_", f"docs_{example.page.stem}_{example.line}")
    (project / "mysite" / f"{name}.py").write_text(
        "from mysite.settings import *  # noqa: F403\n\n" + example.code
    )
    return f"mysite.{name}"


@pytest.mark.parametrize("example", all_examples("settings"), ids=lambda e: e.where)
def test_settings_examples_pass_the_system_checks(fresh_project: Path, example: Example) -> None:
    settings = settings_module(fresh_project, example)
    result = run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        fresh_project,
        project_environment(settings),
    )

    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


# --- console, against the example site ---------------------------------------


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> Path:
    """An example-site database, migrated once; each page gets a copy."""
    database = tmp_path_factory.mktemp("docs_site") / "template.sqlite3"
    result = manage(site_environment(database), "migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    return database


@contextlib.contextmanager
def example_site(template: Path, directory: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The example site on a copy of ``template``, after ``manage.py demo``:
    its base URL and the environment commands run with ($TOKEN set)."""
    database = directory / "db.sqlite3"
    shutil.copy(template, database)
    environment = site_environment(database)
    made = manage(environment, "demo")
    assert made.returncode == 0, made.stderr
    token = re.search(r"\b(pat_[0-9A-Za-z]{38})\b", made.stdout)
    assert token, made.stdout
    bin_dir = str(Path(sys.executable).parent)
    commands_environment = {
        **environment,
        "TOKEN": token.group(1),
        "PATH": os.pathsep.join([bin_dir, environment.get("PATH", "")]),
    }
    served = {**environment, "DJANGO_DEBUG": "0"}
    with runserver(ROOT / "manage.py", served, directory / "runserver.log") as url:
        yield url.rstrip("/"), commands_environment


def run_console_block(
    example: Example, bindings: dict[str, str], environment: dict[str, str], scratch: Path
) -> None:
    """Each ``$`` command of the block in one bash (so a variable set by one is
    there for the next), its output compared with the output shown."""
    block = steps(example.code)
    script = ["cd " + str(ROOT)]
    for index, step in enumerate(block):
        out = scratch / f"out.{index}"
        script.append(f"{{ {bind(step.command, bindings)}\n}} > {out} 2>> {scratch}/stderr")
        script.append(f"echo $? > {scratch}/status.{index}")
    subprocess.run(  # noqa: S603
        ["bash", "-c", "\n".join(script)],  # noqa: S607
        env=environment,
        timeout=TIMEOUT,
        check=False,
    )
    errors = (scratch / "stderr").read_text() if (scratch / "stderr").exists() else ""
    for index, step in enumerate(block):
        status = (scratch / f"status.{index}").read_text().strip()
        printed = (scratch / f"out.{index}").read_text()
        assert status == "0", f"{example.where}: `{step.command}` exited {status}:\n{errors}"
        try:
            compare(step.expected, printed, bindings)
        except Mismatch as mismatch:
            raise AssertionError(
                f"{example.where}: `{step.command}`: {mismatch}\nprinted:\n{printed}"
            ) from None


@pytest.mark.parametrize("page", pages_with("site"), ids=page_id)
def test_console_examples_run_against_the_example_site(
    page: Path, migrated_database: Path, tmp_path: Path
) -> None:
    """The page's ``console`` blocks, in order, against one example site of
    the page's own, its documented address replaced by the real one."""
    with example_site(migrated_database, tmp_path) as (base, environment):
        bindings = {DOCUMENTED_BASE: base}
        for number, example in enumerate(examples(page)):
            if example.kind == "site":
                scratch = tmp_path / f"block{number}"
                scratch.mkdir()
                run_console_block(example, bindings, environment, scratch)
