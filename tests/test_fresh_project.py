"""README's "Install into your project", followed to the letter in a project
fresh from ``django-admin startproject``: the settings and urls blocks are
read out of README.md and appended as they stand, so this fails when README
stops being enough. Then: working endpoints, a schema that validates and that
Schemathesis accepts, and Swagger UI that works with no internet."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shlex
import subprocess
import sys
import termios
import time
from importlib import metadata
from pathlib import Path

import pytest

from tests.test_example_project import ROOT, Browser, bearer, runserver
from tests.test_fuzzing import CONFIG, ST, TIMEOUT

README = ROOT / "README.md"
USERNAME = "alice"
EMAIL = "alice@example.com"
PASSWORD = "typed-at-the-prompt-4f2a"
TOKEN_NAME = "my laptop"


def install_section() -> str:
    text = README.read_text()
    start = text.index("## Install into your project")
    return text[start : text.index("\n## ", start + 1)]


def block_after(section: str, lead: str, language: str = "python|bash") -> str:
    """The fenced code block that follows the line ``lead`` (past the comment
    that says how the docs tests classify it: tests/docs/examples.py)."""
    match = re.search(
        re.escape(lead) + rf"\s*(?:<!--.*?-->\s*)?```(?:{language})\n(.*?)```", section, re.S
    )
    assert match, f"README has no code block after {lead!r}"
    return match.group(1)


def console_commands() -> list[list[str]]:
    """The commands README runs after "Then:", as argument lists, less comments."""
    block = block_after(install_section(), "Then:", "console")
    return [shlex.split(line[2:], comments=True) for line in block.splitlines() if line[:2] == "$ "]


def manage_steps() -> list[list[str]]:
    """README's ``python manage.py ...`` commands in order, less ``python``."""
    return [c[1:] for c in console_commands() if c[:2] == ["python", "manage.py"]]


def command(name: str) -> list[str]:
    """README's ``python manage.py <name> ...`` command, less ``python``."""
    found = [step for step in manage_steps() if step[1] == name]
    assert len(found) == 1, f"README runs 'python manage.py {name}' {len(found)} times"
    return found[0]


def clean_environment() -> dict[str, str]:
    """Ours less the test suite's Django settings: the project uses its own."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }


def run(site: Path, *arguments: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, *arguments],
        cwd=site,
        env={**clean_environment(), **extra_env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _controlling_terminal() -> None:
    """In the child: a session of its own, with the terminal on stdin as its
    controlling terminal, so that getpass reads it as it would a person's."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def run_on_terminal(site: Path, arguments: list[str], answers: list[tuple[str, str]]) -> str:
    """Run a command on a terminal as a person would, typing each answer once
    its prompt has appeared; its output."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, *arguments],
        cwd=site,
        env=clean_environment(),
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        preexec_fn=_controlling_terminal,
    )
    os.close(secondary)
    output, pending = b"", list(answers)
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if not select.select([primary], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the command has exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith(pending[0][0].encode()):
                os.write(primary, pending.pop(0)[1].encode() + b"\n")
        assert process.wait(timeout=TIMEOUT) == 0, output.decode(errors="replace")
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert pending == [], output.decode(errors="replace")
    return output.decode(errors="replace")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("fresh")
    section = install_section()
    run(site, "-m", "django", "startproject", "mysite", ".")
    with (site / "mysite" / "settings.py").open("a") as settings:
        settings.write("\n" + block_after(section, "In `settings.py`:"))
    with (site / "mysite" / "urls.py").open("a") as urls:
        urls.write("\n" + block_after(section, "In `urls.py`:"))
    # Every step README takes before the token, as a person would take it.
    steps = manage_steps()
    for step in steps[: steps.index(command("pat_create"))]:
        if step[1] == "createsuperuser":
            typed = [("Password:", PASSWORD), ("Password (again):", PASSWORD)]
            assert "Superuser created successfully." in run_on_terminal(site, step, typed)
        else:
            run(site, *step)
    return site


@pytest.fixture(scope="module")
def secret(site) -> str:
    created = run(site, *command("pat_create"))
    return created.stdout.strip()


@pytest.fixture(scope="module")
def server(site):
    with runserver(site / "manage.py", clean_environment(), site / "runserver.log") as url:
        yield url


def test_readme_installs_this_distribution():
    (pip,) = [line for line in install_section().splitlines() if line.startswith("pip install")]
    name = shlex.split(pip, comments=True)[2]

    assert name == "django-personal-access-tokens"
    assert metadata.metadata(name)["Name"] == name  # the distribution this suite runs
    assert "pip install django-pat " not in README.read_text()


def test_readme_makes_the_user_before_the_token():
    steps = [step[1] for step in manage_steps()]

    assert steps == ["migrate", "createsuperuser", "pat_create", "runserver"]
    assert command("createsuperuser")[2:] == [
        "--username",
        USERNAME,
        "--email",
        "alice@example.com",
    ]
    assert command("pat_create")[2:] == [USERNAME, "--name", TOKEN_NAME]


def test_check_passes(site):
    assert "no issues" in run(site, "manage.py", "check").stdout


def test_endpoints_work_with_the_token(server, secret):
    site = Browser(server)

    listed = site.get("api/personal-access-tokens", **bearer(secret))
    assert listed.status == 200
    assert [token["name"] for token in listed.json()] == [TOKEN_NAME]

    made = site.request(
        "POST",
        "api/personal-access-tokens",
        json.dumps({"name": "ci", "type": "read_only"}).encode(),
        bearer(secret, **{"Content-Type": "application/json"}),
    )
    assert made.status == 200
    assert site.get("api/personal-access-tokens", **bearer(made.json()["token"])).status == 200
    assert site.get("api/personal-access-tokens").status == 401


def test_schema_validates_without_warnings(site, tmp_path):
    out = tmp_path / "schema.json"
    run(site, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert "PersonalAccessTokenProvisionRequest" in out.read_text()


def test_schemathesis_accepts_the_schema(server, secret, tmp_path):
    listed = Browser(server).get("api/personal-access-tokens", **bearer(secret)).json()
    token_id = next(token["id"] for token in listed if token["name"] == TOKEN_NAME)

    result = subprocess.run(  # noqa: S603
        [
            str(ST),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server}api/schema/?format=json",
            # A lighter run than the example site's: this is about the install.
            "--phases=examples,fuzzing",
            "--max-examples=10",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "FUZZ_TOKEN": secret,
            "FUZZ_TOKEN_ID": token_id,
            "NO_COLOR": "1",
            "SCHEMATHESIS_REPORTS_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.browser
def test_swagger_ui_works_offline(offline_page, server):
    page = offline_page(server)

    page.goto(f"{server}api/docs/")

    page.get_by_text("Provision a personal access token").wait_for()
    assert page.locator("button.authorize").first.is_visible()
    assert page.elsewhere == []


@pytest.mark.browser
def test_swagger_ui_keeps_the_token_out_of_browser_storage(offline_page, server, secret):
    """README's settings leave persistAuthorization off: a token typed into
    Authorize lives in the page and nowhere any other script could read it."""
    page = offline_page(server)
    page.goto(f"{server}api/docs/")

    page.locator("button.authorize").first.click()
    scheme = page.locator(".auth-container").filter(has_text="personalAccessToken")
    scheme.locator("input").fill(secret)
    scheme.locator("button.authorize").click()
    scheme.locator("button", has_text="Logout").wait_for()  # accepted

    stored = page.evaluate("() => JSON.stringify([{...localStorage}, {...sessionStorage}])")
    # Plain booleans, so that a failure does not print the secret.
    kept = secret in stored or secret in str(page.context.cookies())
    assert not kept, "Swagger UI kept the token in browser storage or a cookie"
    page.reload()
    page.locator("button.authorize").first.click()
    page.locator(".auth-container").filter(has_text="personalAccessToken").locator(
        "input"
    ).wait_for()  # asked for again: nothing was kept


def test_readmes_curl_lists_the_token(server, secret):
    """README's last step, the ``curl`` that uses the token, as it stands but
    for the secret and the port."""
    (curl,) = [step for step in console_commands() if step[0] == "curl"]
    curl = [
        argument.replace("pat_…", secret).replace("http://127.0.0.1:8000/", server)
        for argument in curl
    ]

    result = subprocess.run(  # noqa: S603
        ["curl", "--silent", "--show-error", *curl[1:]],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    # The project's other tests may have made tokens of their own by now.
    assert TOKEN_NAME in [token["name"] for token in json.loads(result.stdout)]
