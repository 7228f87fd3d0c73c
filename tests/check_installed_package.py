"""Run by ``nox -s package`` with the Python of a fresh venv holding only the
built wheel: it is the distribution README installs, with what PyPI's page
shows; the package imports, ships its migration and type marker, and a token
made with it authenticates, in a project that is not this repository."""

import sys
from importlib import metadata, resources
from pathlib import Path

import django
from django.conf import settings

here = Path(__file__).resolve().parent.parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != here]

DISTRIBUTION = "django-personal-access-tokens"
import django_pat  # noqa: E402

about = metadata.metadata(DISTRIBUTION)
assert about["Name"] == DISTRIBUTION, about["Name"]
assert about["Version"] == django_pat.__version__, (about["Version"], django_pat.__version__)
# The import package comes from this distribution and no other.
assert metadata.packages_distributions()["django_pat"] == [DISTRIBUTION]
assert about["Requires-Python"] == ">=3.10", about["Requires-Python"]
assert about["License-Expression"] == "BSD-3-Clause", about["License-Expression"]
assert about["Summary"].startswith("Personal access tokens for Django"), about["Summary"]
assert about["Description-Content-Type"] == "text/markdown", about["Description-Content-Type"]
assert about.get_payload().startswith(f"# {DISTRIBUTION}\n"), "README is not the description"
urls = dict(url.split(", ", 1) for url in about.get_all("Project-URL") or [])
assert {"Homepage", "Documentation"} <= set(urls), urls
assert all(url.startswith("https://") for url in urls.values()), urls
classifiers = about.get_all("Classifier") or []
assert "Framework :: Django :: 5.2" in classifiers, classifiers
assert "Typing :: Typed" in classifiers, classifiers

package = resources.files("django_pat")
assert package.joinpath("py.typed").is_file(), "py.typed is missing from the wheel"
# Every migration of the source tree, so that a new one cannot be left out.
migrations = sorted(here.joinpath("django_pat", "migrations").glob("[0-9]*.py"))
assert migrations, "no migrations found in the source tree"
for migration in migrations:
    assert package.joinpath("migrations", migration.name).is_file(), f"{migration.name} missing"
shipped_files = [
    ("templates", "admin", "django_pat", "personalaccesstoken", "provisioned.html"),
    ("static", "django_pat", "admin", "tokens.js"),
    ("static", "django_pat", "admin", "tokens.css"),
    ("templates", "django_pat", "tokens.html"),
    ("templates", "django_pat", "base.html"),
    ("static", "django_pat", "tokens.js"),
    ("static", "django_pat", "tokens.css"),
    ("static", "django_pat", "favicon.svg"),
]
for parts in shipped_files:
    assert package.joinpath(*parts).is_file(), f"{'/'.join(parts)} is missing from the wheel"
# Every translation catalogue of the source tree, compiled too (docs/translations.md).
catalogues = sorted(here.joinpath("django_pat", "locale").glob("*/LC_MESSAGES/*.po"))
assert catalogues, "no translation catalogues found in the source tree"
for catalogue in catalogues:
    parts = catalogue.relative_to(here / "django_pat").parts
    for name in (catalogue.name, catalogue.with_suffix(".mo").name):
        shipped = package.joinpath(*parts[:-1], name)
        assert shipped.is_file(), f"{'/'.join(parts[:-1])}/{name} is missing from the wheel"

settings.configure(
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "rest_framework",
        "django_pat",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from django_pat.models import PersonalAccessToken  # noqa: E402
from django_pat.verification import authenticate_request, presented_token  # noqa: E402

call_command("migrate", verbosity=0)
user = User.objects.create_user("packaged")
token, secret = PersonalAccessToken.objects.provision(user, name="from the wheel")
# The compiled German catalogue is found and used.
from django.utils import translation  # noqa: E402

with translation.override("de"):
    assert str(PersonalAccessToken._meta.verbose_name) == "persönliches Zugriffstoken"

request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
presented = presented_token(request)
assert presented is not None
assert authenticate_request(request, presented) == token

# The management commands ship too.
from io import StringIO  # noqa: E402

listing = StringIO()
call_command("pat_list", "packaged", stdout=listing)
assert "from the wheel" in listing.getvalue(), listing.getvalue()
assert secret not in listing.getvalue()
print(f"installed django_pat from {package} works")
