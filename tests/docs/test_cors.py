"""docs/frontend.md's CORS settings, in a fresh project: the system checks
pass, a preflight from the allowed origin gets the CORS headers that let a
Bearer request through, and one from another origin gets none."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.docs.examples import DOCS, examples
from tests.docs.test_examples import fresh_project, project_environment, run  # noqa: F401

FRONTEND_PAGE = DOCS / "frontend.md"

PREFLIGHT = """
import json
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()  # the test client's host, "testserver", allowed
from django.test import Client

answers = {}
for origin in ("https://app.example.com", "https://evil.example.net"):
    response = Client().options(
        "/api/personal-access-tokens",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    answers[origin] = {
        name: response.headers.get(name)
        for name in (
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Headers",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Credentials",
        )
    }
print(json.dumps(answers))
"""


def cors_settings(project: Path) -> str:
    (example,) = [e for e in examples(FRONTEND_PAGE) if e.detail == "tests/docs/test_cors.py"]
    (project / "mysite" / "docs_cors.py").write_text(
        "from mysite.settings import *  # noqa: F403\n\n" + example.code
    )
    return "mysite.docs_cors"


def test_cors_settings_pass_the_system_checks(fresh_project: Path) -> None:  # noqa: F811
    environment = project_environment(cors_settings(fresh_project))
    result = run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING"],
        fresh_project,
        environment,
    )

    assert "System check identified no issues" in result.stdout


def test_preflight_allows_the_listed_origin_only(fresh_project: Path) -> None:  # noqa: F811
    environment = project_environment(cors_settings(fresh_project))

    answers = json.loads(run([sys.executable, "-c", PREFLIGHT], fresh_project, environment).stdout)

    allowed = answers["https://app.example.com"]
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert {"authorization", "content-type"} <= set(
        allowed["Access-Control-Allow-Headers"].split(", ")
    )
    assert "DELETE" in allowed["Access-Control-Allow-Methods"].split(", ")
    assert allowed["Access-Control-Allow-Credentials"] is None
    assert answers["https://evil.example.net"] == dict.fromkeys(allowed)
