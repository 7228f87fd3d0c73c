"""What importing django_pat.admin does to the admin site (registers the token
admin, and nothing else), and docs/admin.md's ways of showing a user's tokens
on their page: the one line, run as the page has it, and the user admin class."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from django_pat.admin import PersonalAccessTokenAdmin, PersonalAccessTokenInline, attach_user_inline
from django_pat.models import PersonalAccessToken

ROOT = Path(__file__).resolve().parents[2]


def docs_block(lead: str) -> str:
    """The Python block that follows the line ending with ``lead`` in docs/admin.md
    (past the comment that says this module runs it)."""
    text = (ROOT / "docs" / "admin.md").read_text()
    match = re.search(re.escape(lead) + r"\s*(?:<!--.*?-->\s*)?```python\n(.*?)```", text, re.S)
    assert match, f"docs/admin.md has no Python block after {lead!r}"
    return match.group(1)


ONE_LINE = docs_block("or to its `urls.py`:")
OWN_CLASS = docs_block("your own:")
SUBCLASS = docs_block("To add a column:")


def run_django(settings: str, code: str) -> str:
    """Run ``code`` in a fresh process, after django.setup() with ``settings``;
    what it prints."""
    # SQLite in memory: a database of its own, whatever this run uses.
    environment = {
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DJANGO_") and key != "DATABASE_URL"
        },
        "DJANGO_SETTINGS_MODULE": settings,
    }
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


INLINES = """
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django_pat.admin import PersonalAccessTokenInline

def report(when):
    user_admin = admin.site.get_model_admin(get_user_model())
    print(when, type(user_admin) is UserAdmin,
          PersonalAccessTokenInline in user_admin.inlines,
          PersonalAccessTokenInline in UserAdmin.inlines)
"""


def test_importing_the_admin_leaves_the_user_admin_alone_and_the_docs_line_attaches() -> None:
    # A process of its own: in this one, tests/urls.py has run the docs' line.
    # django.setup() runs the admin's autodiscovery, importing django_pat.admin.
    output = run_django(
        "tests.settings",
        INLINES
        + "import django_pat.admin\n"
        + "report('imported')\n"
        + ONE_LINE
        + "report('attached')\n",
    )
    assert output.splitlines() == ["imported True False False", "attached True True False"]


def test_the_example_project_shows_a_users_tokens_with_the_docs_line() -> None:
    assert ONE_LINE in (ROOT / "example_project" / "admin.py").read_text()
    output = run_django("example_project.settings", INLINES + "report('example')\n")
    assert output.splitlines() == ["example True True False"]


def test_the_docs_user_admin_class_shows_the_inline(make_staff: Callable[..., User]) -> None:
    namespace: dict[str, object] = {}
    exec(OWN_CLASS, namespace)  # noqa: S102 (the docs' own example)
    site = django_admin.AdminSite(name="own-class")
    site.register(User, namespace["MyUserAdmin"])  # type: ignore[arg-type]
    request = RequestFactory().get("/")
    request.user = make_staff("root", superuser=True)

    inlines = site.get_model_admin(User).get_inline_instances(request, request.user)

    assert [type(inline) for inline in inlines] == [PersonalAccessTokenInline]


def test_the_docs_subclass_adds_its_column_to_the_list() -> None:
    output = run_django(
        "tests.settings",
        SUBCLASS
        + """
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
connection.creation.create_test_db(verbosity=0)
from django.contrib.auth.models import User
root = User.objects.create_superuser("root", "root@example.com", "root-password")
owner = User.objects.create_user("alice", "alice@example.com")
PersonalAccessToken.objects.provision(owner, name="ci")
client = Client()
client.force_login(root)
page = client.get("/admin/django_pat/personalaccesstoken/?o=7")
html = page.content.decode()
cell = '<td class="field-owner_email">alice@example.com</td>'
print(page.status_code, ">Email<" in html, cell in html)
""",
    )
    assert output.splitlines() == ["200 True True"]


def test_attaching_is_idempotent_and_changes_no_class() -> None:
    site = django_admin.AdminSite(name="default-users")
    site.register(User, UserAdmin)
    attach_user_inline(site)
    attach_user_inline(site)
    assert site.get_model_admin(User).inlines.count(PersonalAccessTokenInline) == 1
    assert PersonalAccessTokenInline not in UserAdmin.inlines


def test_attaching_to_a_projects_own_user_admin() -> None:
    class ProjectUserAdmin(UserAdmin):
        pass

    site = django_admin.AdminSite(name="own-users")
    site.register(User, ProjectUserAdmin)
    attach_user_inline(site)
    assert PersonalAccessTokenInline in site.get_model_admin(User).inlines
    assert PersonalAccessTokenInline not in ProjectUserAdmin.inlines


def test_attaching_to_a_site_without_a_user_admin_says_so() -> None:
    site = django_admin.AdminSite(name="no-users")
    with pytest.raises(ImproperlyConfigured, match=r"'no-users' has no admin for auth\.User"):
        attach_user_inline(site)


def test_importing_the_admin_registers_the_token_admin() -> None:
    token_admin = django_admin.site.get_model_admin(PersonalAccessToken)
    assert type(token_admin) is PersonalAccessTokenAdmin


def test_the_admin_passes_djangos_system_checks() -> None:
    from django.core import checks

    assert checks.run_checks(tags=[checks.Tags.admin]) == []
