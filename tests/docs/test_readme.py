"""README.md is the entry page: short, its two commands the ones .ci/run runs,
its links to pages that exist."""

from __future__ import annotations

import re

from tests.docs.examples import ROOT, examples

README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"


def test_readme_is_an_entry_page() -> None:
    assert len(README.read_text().splitlines()) < 300


def test_ci_installs_as_readme_says_and_runs_its_test_command() -> None:
    """README's first command, less the server it ends with, and its second,
    are lines of .ci/run."""
    try_it, test_command = [e.code.strip() for e in examples(README) if e.language == "bash"][:2]
    install = try_it.removesuffix(" && .venv/bin/python manage.py runserver")
    ci = CI.read_text()

    assert install != try_it, "README's first command no longer ends by serving the site"
    assert install.replace(" && .venv/bin/python manage.py demo", "") in ci.splitlines()
    assert ".venv/bin/python manage.py demo" in ci.splitlines()
    assert test_command == ".venv/bin/nox"
    assert test_command in ci.splitlines()


def test_readmes_links_reach_files_that_exist() -> None:
    targets = re.findall(r"\]\((?!https?:|#)([^)#]+)", README.read_text())

    assert targets, "README links to nothing"
    assert [target for target in targets if not (ROOT / target).exists()] == []
