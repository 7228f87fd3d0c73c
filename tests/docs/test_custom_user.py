"""docs/custom-user.md's user model, in a fresh project: migrated, given a
token by ``pat_create`` (named by email), which then authenticates as that
account, with its UUID as ``subject``, until the account is deactivated."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.docs.examples import DOCS, examples
from tests.docs.test_examples import project_environment, run
from tests.test_fresh_project import block_after, install_section

PAGE = DOCS / "custom-user.md"

USE_THE_TOKEN = """
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()  # the test client's host, "testserver", allowed
from django.contrib.auth import get_user_model
from django.test import Client

secret = sys.stdin.read().strip()
account = get_user_model().objects.get(email="alice@example.com")
seen = {}
listed = Client().get("/api/personal-access-tokens", headers={"Authorization": f"Bearer {secret}"})
seen["status"] = listed.status_code
seen["subject_is_the_uuid"] = [t["subject"] for t in listed.json()] == [str(account.pk)]
account.is_active = False
account.save()
refused = Client().get("/api/personal-access-tokens", headers={"Authorization": f"Bearer {secret}"})
seen["after_deactivation"] = refused.status_code
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("custom_user")
    environment = project_environment("mysite.settings")
    run([sys.executable, "-m", "django", "startproject", "mysite", "."], project, environment)
    (model,) = [e.code for e in examples(PAGE) if e.detail == "tests/docs/test_custom_user.py"]
    (project / "accounts").mkdir()
    (project / "accounts" / "__init__.py").write_text("")
    (project / "accounts" / "models.py").write_text(model)
    section = install_section()
    with (project / "mysite" / "settings.py").open("a") as settings:
        settings.write("\n" + block_after(section, "In `settings.py`:"))
        settings.write('\nINSTALLED_APPS += ["accounts"]\nAUTH_USER_MODEL = "accounts.Account"\n')
    with (project / "mysite" / "urls.py").open("a") as urls:
        urls.write("\n" + block_after(section, "In `urls.py`:"))
    run([sys.executable, "manage.py", "makemigrations", "accounts"], project, environment)
    run([sys.executable, "manage.py", "migrate"], project, environment)
    create = "from accounts.models import Account; Account.objects.create_user('alice@example.com')"
    run([sys.executable, "manage.py", "shell", "-c", create], project, environment)
    return project


def test_a_token_of_the_custom_user_authenticates_until_it_is_deactivated(project: Path) -> None:
    environment = project_environment("mysite.settings")
    made = run(
        [sys.executable, "manage.py", "pat_create", "alice@example.com", "--name", "ci"],
        project,
        environment,
    )
    secret = made.stdout.strip()

    used = subprocess_with_input(
        [sys.executable, "-c", USE_THE_TOKEN], project, environment, secret
    )

    assert json.loads(used) == {
        "status": 200,
        "subject_is_the_uuid": True,
        "after_deactivation": 401,
    }


def subprocess_with_input(command: list[str], cwd: Path, env: dict[str, str], text: str) -> str:
    import subprocess

    result = subprocess.run(  # noqa: S603
        command,
        cwd=cwd,
        env=env,
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
