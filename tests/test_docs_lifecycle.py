"""docs/lifecycle.md's examples, run as its reader runs them: each ``bash``
block with bash against the example site (runserver on SQLite, with the token
``manage.py demo`` printed in ``$TOKEN``), each ``python`` block in ``manage.py
shell`` of the same site. Where the page says what a block prints (a ``text``
block after "prints"), the output is that, ids and prefixes aside."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_example_project import (  # noqa: F401 (fixtures)
    MANAGE,
    ROOT,
    demo,
    environment,
    server,
    site_dir,
)

DOC = ROOT / "docs" / "lifecycle.md"
TIMEOUT = 120
FENCE = re.compile(r"^```(\w+)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


def examples(language: str) -> list[tuple[str, str | None]]:
    """Each block in ``language``, with the ``text`` block that says what it
    prints when one follows it after "prints"."""
    text = DOC.read_text()
    found = []
    fences = list(FENCE.finditer(text))
    for index, fence in enumerate(fences):
        if fence.group(1) != language:
            continue
        printed = None
        following = fences[index + 1] if index + 1 < len(fences) else None
        if following is not None and following.group(1) == "text":
            between = text[fence.end() : following.start()]
            if between.strip().startswith("prints"):
                printed = following.group(2)
        found.append((fence.group(2), printed))
    return found


def normalised(output: str) -> list[str]:
    """Lines, with what differs from run to run (ids, display prefixes, the
    demo token's own name aside) written alike."""
    output = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", output)
    output = re.sub(r"pat_[0-9A-Za-z]{4}…", "pat_…", output)
    return [line.rstrip() for line in output.strip().splitlines()]


def run(command: list[str], env: dict[str, str], stdin: str | None = None):
    path = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(  # noqa: S603
        command,
        cwd=ROOT,
        env={**env, "PATH": path},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_the_page_has_examples_to_run() -> None:
    assert len(examples("bash")) >= 5
    assert len(examples("python")) >= 4
    assert [printed for _, printed in examples("bash") if printed]


@pytest.mark.parametrize(("code", "printed"), examples("bash"))
def test_bash_example_runs(code, printed, server, demo, environment):  # noqa: F811
    on_site = code.replace("http://127.0.0.1:8000/", server)

    result = run(["bash", "-euo", "pipefail", "-c", on_site], {**environment, "TOKEN": demo.token})

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stdout + result.stderr
    assert demo.token not in result.stdout
    if printed is not None:
        assert normalised(result.stdout) == normalised(printed)


@pytest.mark.parametrize(("code", "printed"), examples("python"))
def test_python_example_runs_in_the_sites_shell(code, printed, demo, environment):  # noqa: F811
    result = run([sys.executable, str(MANAGE), "shell"], environment, stdin=code)

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
