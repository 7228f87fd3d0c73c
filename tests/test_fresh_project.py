"""README's "Install into your project", followed to the letter in a project
fresh from ``django-admin startproject``: the settings and urls blocks are
read out of README.md and appended as they stand, so this fails when README
stops being enough. Then: working endpoints, a schema that validates and that
Schemathesis accepts, and Swagger UI that works with no internet."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_example_project import ROOT, Browser, bearer, runserver
from tests.test_fuzzing import CONFIG, ST, TIMEOUT

README = ROOT / "README.md"
USERNAME = "alice"
TOKEN_NAME = "my laptop"


def install_section() -> str:
    text = README.read_text()
    start = text.index("## Install into your project")
    return text[start : text.index("\n## ", start + 1)]


def block_after(section: str, lead: str) -> str:
    """The fenced code block that follows the line ``lead``."""
    match = re.search(re.escape(lead) + r"\s*```(?:python|bash)\n(.*?)```", section, re.S)
    assert match, f"README has no code block after {lead!r}"
    return match.group(1)


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


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("fresh")
    section = install_section()
    run(site, "-m", "django", "startproject", "mysite", ".")
    with (site / "mysite" / "settings.py").open("a") as settings:
        settings.write("\n" + block_after(section, "In `settings.py`:"))
    with (site / "mysite" / "urls.py").open("a") as urls:
        urls.write("\n" + block_after(section, "In `urls.py`:"))
    run(site, "manage.py", "migrate")
    run(
        site,
        "manage.py",
        "createsuperuser",
        "--noinput",
        f"--username={USERNAME}",
        "--email=alice@example.com",
        DJANGO_SUPERUSER_PASSWORD="not-a-real-password-1",
    )
    return site


@pytest.fixture(scope="module")
def secret(site) -> str:
    created = run(site, "manage.py", "pat_create", USERNAME, "--name", TOKEN_NAME)
    return created.stdout.strip()


@pytest.fixture(scope="module")
def server(site):
    with runserver(site / "manage.py", clean_environment(), site / "runserver.log") as url:
        yield url


def test_readme_names_the_commands_used_here():
    section = install_section()

    assert "pip install django-pat drf-spectacular-sidecar" in section
    assert "python manage.py migrate" in section
    assert f'python manage.py pat_create {USERNAME} --name "{TOKEN_NAME}"' in section


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
