"""The example site as a newcomer uses it: ``manage.py check``, ``manage.py demo``,
then ``manage.py runserver`` with DEBUG off, driven over real HTTP."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import load
from tests.load import free_port

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
COMMAND_TIMEOUT = 180
HTTP_TIMEOUT = 15
STARTUP_TIMEOUT = 60
DEMO_TOKEN_NAME = "demo (from manage.py demo)"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A tiny HTTP client with cookies that never follows redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Reply:
        url = urllib.parse.urljoin(self.base, path)
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read())

    def get(self, path: str, **headers: str) -> Reply:
        return self.request("GET", path, headers=headers)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def log_in(self, login_path: str, username: str, password: str) -> Reply:
        page = self.get(login_path)
        assert page.status == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "username": username, "password": password}
        )
        return self.request(
            "POST",
            login_path,
            form.encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": urllib.parse.urljoin(self.base, login_path),
            },
        )


def bearer(secret: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", **headers}


def site_environment(database: Path, **extra: str) -> dict[str, str]:
    environment = load.site_environment(f"sqlite:///{database.resolve()}", **extra)
    assert environment["DATABASE_URL"].startswith("sqlite:////")
    return environment


def manage(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, str(MANAGE), *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


@dataclass
class Demo:
    output: str
    errors: str
    demo_password: str
    admin_password: str
    token: str


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("example_site")


@pytest.fixture(scope="module")
def environment(site_dir) -> dict[str, str]:
    return site_environment(site_dir / "db.sqlite3")


@pytest.fixture(scope="module")
def demo(environment) -> Demo:
    result = manage(environment, "demo")
    assert result.returncode == 0, result.stderr
    output = result.stdout
    demo_password = re.search(r"\bdemo\s+/\s+(\S+)", output)
    admin_password = re.search(r"\badmin\s+/\s+(\S+)", output)
    token = re.search(r"\b(pat_[0-9A-Za-z]{38})\b", output)
    assert demo_password, output
    assert admin_password, output
    assert token, output
    return Demo(
        output, result.stderr, demo_password.group(1), admin_password.group(1), token.group(1)
    )


@contextlib.contextmanager
def runserver(manage_py: Path, environment: dict[str, str], log_path: Path):
    """``manage.py runserver --noreload`` on a free port; yields its base URL."""
    port = free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, str(manage_py), "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=manage_py.parent,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while True:
                if process.poll() is not None:
                    pytest.fail(f"runserver exited: {log_path.read_text()}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"runserver did not start in {STARTUP_TIMEOUT} s")
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(demo, environment, site_dir):
    """The example site under runserver with DEBUG off; yields its base URL."""
    with runserver(MANAGE, {**environment, "DJANGO_DEBUG": "0"}, site_dir / "runserver.log") as url:
        yield url


@pytest.fixture
def browser(server) -> Browser:
    return Browser(server)


# --- management commands --------------------------------------------------


def test_check_passes(tmp_path):
    result = manage(site_environment(tmp_path / "db.sqlite3"), "check")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_passes_with_debug_off(tmp_path):
    result = manage(site_environment(tmp_path / "db.sqlite3", DJANGO_DEBUG="0"), "check")

    assert result.returncode == 0, result.stderr


def test_demo_migrates_the_database(demo, environment, site_dir):
    with sqlite3.connect(site_dir / "db.sqlite3") as database:
        applied = {app for (app,) in database.execute("SELECT app FROM django_migrations")}

    assert {"auth", "admin", "sessions", "django_pat"} <= applied
    result = manage(environment, "migrate", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_uses_the_database_url(demo, site_dir):
    with sqlite3.connect(site_dir / "db.sqlite3") as database:
        users = {name for (name,) in database.execute("SELECT username FROM auth_user")}

    assert {"demo", "admin"} <= users


def test_demo_prints_both_logins_and_a_token(demo):
    assert demo.demo_password != demo.admin_password
    assert demo.token not in (demo.demo_password, demo.admin_password)
    assert "/accounts/login/" in demo.output
    assert "/admin/" in demo.output


def test_demo_stores_only_the_digest(demo, site_dir):
    with sqlite3.connect(site_dir / "db.sqlite3") as database:
        dump = "\n".join(database.iterdump())

    assert demo.token not in dump


def test_demo_again_gives_new_logins_and_token(tmp_path):
    environment = site_environment(tmp_path / "db.sqlite3")
    first = manage(environment, "demo")
    second = manage(environment, "demo")

    assert first.returncode == second.returncode == 0
    tokens = [re.search(r"\bpat_[0-9A-Za-z]{38}\b", r.stdout).group(0) for r in (first, second)]
    assert tokens[0] != tokens[1]
    with sqlite3.connect(tmp_path / "db.sqlite3") as database:
        active = database.execute(
            "SELECT COUNT(*) FROM django_pat_personalaccesstoken "
            "WHERE name = ? AND revoked_at IS NULL",
            (DEMO_TOKEN_NAME,),
        ).fetchone()[0]
    assert active == 1


# --- the running site -----------------------------------------------------


def test_printed_token_authenticates(browser, demo):
    reply = browser.get("api/personal-access-tokens", **bearer(demo.token))

    assert reply.status == 200
    assert [(t["name"], t["active"]) for t in reply.json()] == [(DEMO_TOKEN_NAME, True)]


def test_api_without_credentials_is_401(browser):
    reply = browser.get("api/personal-access-tokens")

    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert reply.json()["status"] == 401


def test_printed_token_provisions_and_revokes(browser, demo):
    headers = bearer(demo.token, **{"Content-Type": "application/json"})

    made = browser.request(
        "POST", "api/personal-access-tokens", json.dumps({"name": "from test"}).encode(), headers
    )
    assert made.status == 200, made.text
    new = made.json()
    assert browser.get("api/personal-access-tokens/", **bearer(new["token"])).status == 200
    revoked = browser.request("DELETE", f"api/personal-access-tokens/{new['id']}", None, headers)
    assert revoked.status == 200
    assert browser.get("api/personal-access-tokens", **bearer(new["token"])).status == 401


def provisioned(browser: Browser, secret: str, name: str, scopes) -> str:
    """A new token of the demo user, made with ``secret``; its secret."""
    body = json.dumps({"name": name, "scopes": scopes}).encode()
    made = browser.request(
        "POST",
        "api/personal-access-tokens",
        body,
        bearer(secret, **{"Content-Type": "application/json"}),
    )
    assert made.status == 200, made.text
    assert made.json()["scopes"] == (None if scopes is None else sorted(scopes))
    return str(made.json()["token"])


@pytest.mark.parametrize(
    ("scopes", "read", "write", "lacking"),
    [
        (None, 200, 200, None),
        (["profile:read"], 200, 403, "the scope 'profile:write'"),
        (["profile:read", "profile:write"], 200, 200, None),
        (["profile:write"], 403, 403, "the scope 'profile:read'"),
        (
            ["tokens:read", "tokens:write"],
            403,
            403,
            "the scopes 'profile:read' and 'profile:write'",
        ),
    ],
)
def test_the_sites_own_endpoint_answers_by_scope(browser, demo, scopes, read, write, lacking):
    secret = provisioned(browser, demo.token, f"profile {scopes}", scopes)
    json_headers = bearer(secret, **{"Content-Type": "application/json"})

    got = browser.get("api/profile", **bearer(secret))
    changed = browser.request("PATCH", "api/profile", b'{"firstName": "Ada"}', json_headers)

    assert (got.status, changed.status) == (read, write), (got.text, changed.text)
    if read == 200:
        assert got.json()["username"] == "demo"
    if write == 200:
        assert changed.json()["firstName"] == "Ada"
    if lacking is not None:
        refused = changed
        assert refused.json() == {
            "message": f"This token lacks {lacking}, which this request needs.",
            "status": 403,
        }
        assert refused.headers["WWW-Authenticate"].startswith(
            'Bearer error="insufficient_scope", scope="'
        )


def test_a_token_restricted_to_the_sites_scopes_cannot_provision(browser, demo):
    reader = provisioned(browser, demo.token, "reader", ["profile:read"])

    refused = browser.request(
        "POST",
        "api/personal-access-tokens",
        json.dumps({"name": "wider"}).encode(),
        bearer(reader, **{"Content-Type": "application/json"}),
    )

    assert refused.status == 403
    assert refused.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="tokens:write"'
    )


def test_schema_says_which_scopes_the_sites_endpoint_needs(schema):
    profile = schema["paths"]["/api/profile"]

    assert profile["get"]["description"].endswith(
        "Scopes: a token restricted by scope needs `profile:read`."
    )
    assert profile["patch"]["description"].endswith(
        "Scopes: a token restricted by scope needs `profile:read` and `profile:write`."
    )
    assert schema["components"]["schemas"]["PersonalAccessTokenScope"]["enum"] == [
        "tokens:read",
        "tokens:write",
        "tokens:rotate",
        "profile:read",
        "profile:write",
    ]


def test_api_errors_are_json_with_debug_off(browser, demo):
    reply = browser.get("api/personal-access-tokens/a/b", **bearer(demo.token))

    assert reply.status == 404
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json()["status"] == 404


def test_login_page_renders(browser):
    reply = browser.get("accounts/login/")

    assert reply.status == 200
    assert 'name="csrfmiddlewaretoken"' in reply.text
    assert 'name="username"' in reply.text
    assert 'name="password"' in reply.text


def test_pages_have_the_apps_favicon(browser):
    html = browser.get("accounts/login/").text
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)

    assert icon is not None
    reply = browser.get(icon.group(1).lstrip("/"))
    assert reply.status == 200
    assert reply.text.lstrip().startswith("<svg")


def test_demo_user_logs_in_with_printed_password(browser, demo):
    reply = browser.log_in("accounts/login/", "demo", demo.demo_password)

    assert reply.status == 302
    assert browser.cookie("sessionid")
    listed = browser.get("api/personal-access-tokens")
    assert listed.status == 200
    assert DEMO_TOKEN_NAME in {t["name"] for t in listed.json()}


def test_wrong_password_does_not_log_in(browser, demo):
    reply = browser.log_in("accounts/login/", "demo", demo.demo_password + "x")

    assert reply.status == 200
    assert browser.cookie("sessionid") is None
    assert browser.get("api/personal-access-tokens").status == 401


def test_staff_logs_in_to_admin_with_printed_password(browser, demo):
    reply = browser.log_in("admin/login/", "admin", demo.admin_password)

    assert reply.status == 302
    tokens_page = browser.get("admin/django_pat/personalaccesstoken/")
    assert tokens_page.status == 200
    assert "demo (from manage.py demo)" in tokens_page.text
    assert demo.token not in tokens_page.text


@pytest.fixture(scope="module")
def schema(server) -> dict:
    reply = Browser(server).get("api/schema/?format=json")
    assert reply.status == 200
    return reply.json()


def test_schema_is_served(browser):
    reply = browser.get("api/schema/")

    assert reply.status == 200
    assert reply.text.startswith("openapi: 3.")


def test_schema_has_the_endpoints(schema):
    operations = {
        (method, path.rstrip("/"))
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }

    assert operations == {
        ("get", "/api/personal-access-tokens"),
        ("post", "/api/personal-access-tokens"),
        ("get", "/api/personal-access-tokens/{token_id}"),
        ("delete", "/api/personal-access-tokens/{token_id}"),
        # The site's own endpoint, guarded by its own scopes.
        ("get", "/api/profile"),
        ("patch", "/api/profile"),
        ("post", "/api/personal-access-tokens/{token_id}/rotate"),
        ("get", "/api/personal-access-tokens/self"),
        # Anyone's report of a leaked token (GitHub's endpoint stays out).
        ("post", "/api/credentials/revoke"),
    }


def operation(schema: dict, method: str, detail: bool = False) -> dict:
    """A token operation: the list's (``detail`` False) or one token's."""
    for path, item in schema["paths"].items():
        tokens = path.startswith("/api/personal-access-tokens")
        if tokens and ("{token_id}" in path) == detail and method in item:
            return item[method]
    raise AssertionError(f"no {method} operation")


def test_schema_names_the_type_enum(schema):
    token_type = schema["components"]["schemas"].get("PersonalAccessTokenType", {})

    assert token_type.get("enum") == ["read_only", "read_write"]


def test_schema_has_a_bearer_security_scheme(schema):
    schemes = schema["components"].get("securitySchemes", {}).values()

    assert {"type": "http", "scheme": "bearer"} in [
        {key: scheme.get(key) for key in ("type", "scheme")} for scheme in schemes
    ]


def test_schema_documents_provision_as_200(schema):
    assert set(operation(schema, "post")["responses"]) & {"200", "201"} == {"200"}


def test_schema_documents_the_provisioning_request(schema):
    body = operation(schema, "post")["requestBody"]["content"]["application/json"]["schema"]
    request = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]

    assert set(request["properties"]) == {
        "name",
        "type",
        "ipRestriction",
        "expireAt",
        "scopes",
        "description",
    }
    assert request["required"] == ["name"]


def test_schema_documents_revoke_as_200_with_message(schema):
    responses = operation(schema, "delete", detail=True)["responses"]

    assert "200" in responses
    assert "204" not in responses


def test_swagger_ui_is_served(browser):
    reply = browser.get("api/docs/")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert 'id="swagger-ui"' in reply.text
    assert "/api/schema/" in reply.text


@pytest.mark.parametrize("page", ["api/docs/", "", "accounts/login/", "admin/login/"])
def test_pages_reference_no_external_host(browser, server, page):
    html = browser.get(page).text
    own = urllib.parse.urlsplit(server).netloc

    # An XML namespace is a name, not something to load.
    html = re.sub(r"""\bxmlns(?::\w+)?=["'][^"']*["']""", "", html)
    hosts = set(re.findall(r"(?:https?:)?//([A-Za-z0-9.:\[\]-]+)", html))

    assert hosts <= {own}, hosts


def asset_paths(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', html)


def test_swagger_ui_assets_are_local_and_served(browser):
    html = browser.get("api/docs/").text
    paths = asset_paths(html)

    assert any(path.endswith(".js") for path in paths), paths
    assert any(path.endswith(".css") for path in paths), paths
    for path in paths:
        assert path.startswith("/"), path
        reply = browser.get(path)
        assert reply.status == 200, path
        assert reply.body, path


def test_admin_static_files_are_served_with_debug_off(browser):
    reply = browser.get("static/admin/css/base.css")

    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/css")


# --- the audit log (example_project/audit.py) --------------------------------


def demo_token_id(browser: Browser, demo: Demo) -> str:
    listed = browser.get("api/personal-access-tokens", **bearer(demo.token)).json()
    return next(token["id"] for token in listed if token["name"] == DEMO_TOKEN_NAME)


def test_audit_log_records_token_events_without_secrets(browser, demo, site_dir):
    headers = bearer(demo.token, **{"Content-Type": "application/json"})
    body = json.dumps({"name": "audited", "scopes": ["profile:read", "tokens:read"]})
    made = browser.request("POST", "api/personal-access-tokens", body.encode(), headers).json()
    rotated = browser.request(
        "POST", f"api/personal-access-tokens/{made['id']}/rotate", None, headers
    ).json()
    browser.request("DELETE", f"api/personal-access-tokens/{rotated['id']}", None, headers)
    refused = browser.get("api/personal-access-tokens", **bearer(made["token"]))
    assert refused.status == 401

    log = (site_dir / "runserver.log").read_text()

    prefix, new_prefix = made["displayPrefix"], rotated["displayPrefix"]
    assert f"token provisioned: id={made['id']} prefix={prefix} user=demo name='audited'" in log
    assert f"made_by_token={demo_token_id(browser, demo)} scopes=profile:read,tokens:read" in log
    assert (
        f"token revoked: id={made['id']} prefix={prefix} user=demo name='audited' "
        "reason=rotated by=demo"
    ) in log
    assert (
        f"token rotated: id={rotated['id']} prefix={new_prefix} replaces id={made['id']} "
        f"prefix={prefix} user=demo"
    ) in log
    assert (
        f"token revoked: id={rotated['id']} prefix={new_prefix} user=demo name='audited' "
        "reason=owner by=demo"
    ) in log
    assert (
        f"token refused: reason=revoked id={made['id']} prefix={prefix} ip=127.0.0.1 "
        "request=GET /api/personal-access-tokens"
    ) in log
    for secret in (made["token"], rotated["token"], demo.token):
        assert secret not in log
        assert secret[len(prefix) :] not in log


def test_demo_logs_its_token_without_the_secret(demo):
    assert demo.token in demo.output
    assert "token provisioned: " in demo.errors
    assert demo.token not in demo.errors


def test_the_site_prints_expiry_notices_on_the_console(tmp_path):
    environment = site_environment(tmp_path / "db.sqlite3")
    assert manage(environment, "demo").returncode == 0
    made = manage(environment, "pat_create", "demo", "--name", "soon", "--expires-in-days", "3")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()

    first = manage(environment, "pat_notify_expiring")
    second = manage(environment, "pat_notify_expiring")

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    # The console backend writes each email where the command writes its lines.
    assert first.stdout.count("Subject: ") == 1
    assert 'Subject: Your personal access token "soon" expires in 3 days' in first.stdout
    assert "To: demo@example.com" in first.stdout
    assert "http://127.0.0.1:8000/settings/tokens/" in first.stdout
    assert "Sent the 7-day notice for 'soon'" in first.stdout
    assert secret not in first.stdout
    assert "Subject: " not in second.stdout
    assert second.stdout.strip().endswith("Sent 0 notices.")
