"""Scopes: the rules on names and on what a view requires (django_pat/scopes.py),
how a token's scopes are stored (fields.py, the migration), and what
provisioning accepts (validation.clean_scopes, through provision())."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from django_pat import scopes, tokens
from django_pat.lookup import fetch
from django_pat.models import PersonalAccessToken
from tests.conftest import LIST_URL

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]

PACKAGES = {
    "SCOPES": {
        "packages:read": "Download packages.",
        "packages:write": "Publish packages.",
        # Names that a careless substring match would confuse with others.
        "pkg": "Short.",
        "pkg_x": "With an underscore, LIKE's one-character wildcard.",
        "pkgax": "Matches pkg_x if '_' were a wildcard.",
    }
}


# --- names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["a", "tokens:read", "packages.read-only_2", "x" * 64, "a:b:c", "z-"]
)
def test_valid_names(name: str) -> None:
    assert scopes.is_valid_name(name)
    assert scopes.name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "is empty"),
        ("x" * 65, "65 characters long"),
        ("Tokens:read", "must start with a letter"),
        ("1abc", "must start with a letter"),
        (":abc", "must start with a letter"),
        ("a b", "only a-z"),
        ("read\n", "only a-z"),
        ("caf\u00e9", "only a-z"),
        ("a/b", "only a-z"),
        (None, "must be a string"),
        (7, "must be a string"),
    ],
)
def test_invalid_names(name: Any, why: str) -> None:
    assert not scopes.is_valid_name(name)
    assert why in scopes.name_problem(name)


def test_the_apps_own_scopes() -> None:
    assert list(scopes.BUILTIN_SCOPES) == ["tokens:read", "tokens:write", "tokens:rotate"]
    assert all(scopes.is_valid_name(name) for name in scopes.BUILTIN_SCOPES)


# --- storage -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ([], ""),
        (["b", "a"], " a b "),
        (["tokens:read"], " tokens:read "),
    ],
)
def test_stored_form(value: list[str] | None, text: str | None) -> None:
    assert scopes.stored(value) == text
    assert scopes.from_stored(text) == (None if value is None else sorted(value))


@override_settings(DJANGO_PAT=PACKAGES)
def test_none_and_empty_stay_apart_in_the_database(make_token: MakeToken) -> None:
    unrestricted, _ = make_token(scopes=None)
    nothing, _ = make_token(scopes=[])
    some, _ = make_token(scopes=["pkg", "packages:read"])

    assert PersonalAccessToken.objects.get(pk=unrestricted.pk).scopes is None
    assert PersonalAccessToken.objects.get(pk=nothing.pk).scopes == []
    assert PersonalAccessToken.objects.get(pk=some.pk).scopes == ["packages:read", "pkg"]
    assert set(PersonalAccessToken.objects.filter(scopes__isnull=True)) == {unrestricted}
    assert set(PersonalAccessToken.objects.filter(scopes=[])) == {nothing}


@override_settings(DJANGO_PAT=PACKAGES)
def test_has_scope_matches_whole_names_only(make_token: MakeToken) -> None:
    pkg, _ = make_token(scopes=["pkg"])
    pkg_x, _ = make_token(scopes=["pkg_x", "packages:read"])
    pkgax, _ = make_token(scopes=["pkgax"])
    make_token(scopes=None)
    make_token(scopes=[])

    def having(name: str) -> set[PersonalAccessToken]:
        return set(PersonalAccessToken.objects.filter(scopes__has_scope=name))

    assert having("pkg") == {pkg}
    assert having("pkg_x") == {pkg_x}
    assert having("pkgax") == {pkgax}
    assert having("packages:read") == {pkg_x}
    assert having("packages") == set()


def test_a_string_is_not_taken_for_a_list(db: None) -> None:
    with pytest.raises(TypeError, match="not the string"):
        list(PersonalAccessToken.objects.filter(scopes="tokens:read"))


@override_settings(DJANGO_PAT=PACKAGES)
def test_the_one_query_of_a_request_loads_the_scopes(
    make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    stored, _ = make_token(scopes=["packages:read"])

    with django_assert_num_queries(1):
        found = fetch(stored.digest)
        assert found is not None
        assert found.scopes == ["packages:read"]


@override_settings(DJANGO_PAT=PACKAGES)
def test_dumpdata_and_loaddata_keep_the_scopes(make_token: MakeToken, tmp_path: Any) -> None:
    made = {
        "none": make_token(scopes=None)[0].pk,
        "empty": make_token(scopes=[])[0].pk,
        "some": make_token(scopes=["pkg", "packages:read"])[0].pk,
    }
    dump = tmp_path / "tokens.json"
    call_command("dumpdata", "django_pat.personalaccesstoken", output=str(dump))
    PersonalAccessToken.objects.all().delete()

    call_command("loaddata", str(dump), verbosity=0)

    loaded = {pk: PersonalAccessToken.objects.get(pk=pk).scopes for pk in made.values()}
    assert loaded == {
        made["none"]: None,
        made["empty"]: [],
        made["some"]: ["packages:read", "pkg"],
    }


# --- the migration: tokens made before work as before -----------------------------


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_scopes_are_not_restricted(user: Any) -> None:
    from django.db.migrations.executor import MigrationExecutor

    before = [("django_pat", "0003_normalize_names")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("django_pat")
    executor.migrate(before)
    try:
        old_model = executor.loader.project_state(before).apps.get_model(
            "django_pat", "PersonalAccessToken"
        )
        # A token as the release before made it.
        raw = tokens.generate("pat")
        old_model.objects.create(
            user_id=user.pk,
            name="old",
            type="read_write",
            digest=tokens.digest(raw),
            display_prefix=tokens.display_prefix(raw),
        )
        MigrationExecutor(connection).migrate([("django_pat", "0005_scopes")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    old = PersonalAccessToken.objects.get(name="old")
    assert old.scopes is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = client.get(LIST_URL)
    made = client.post(LIST_URL, {"name": "new"}, format="json")
    assert listed.status_code == 200
    assert listed.json()[0]["scopes"] is None
    assert made.status_code == 200, made.json()
    assert made.json()["scopes"] is None


# --- what a view requires ------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "method", "needed"),
    [
        (["a", "b"], "GET", ["a", "b"]),
        (["a"], "DELETE", ["a"]),
        ([], "POST", []),
        ({"GET": ["a"], "POST": ["a", "b"]}, "GET", ["a"]),
        ({"GET": ["a"], "POST": ["a", "b"]}, "POST", ["a", "b"]),
        ({"GET": ["a"]}, "HEAD", ["a"]),
        ({"GET": ["a"], "HEAD": []}, "HEAD", []),
        ({"GET": ["a"]}, "PUT", None),
        ({"GET": ["a"]}, "OPTIONS", None),
        ({"OPTIONS": []}, "OPTIONS", []),
    ],
)
def test_required_for(required: Any, method: str, needed: list[str] | None) -> None:
    assert scopes.required_for(required, method) == needed


@pytest.mark.parametrize(
    ("granted", "required", "lacking"),
    [
        (None, ["a", "b"], []),
        ([], [], []),
        ([], ["a"], ["a"]),
        (["a"], ["a"], []),
        (["a"], ["b", "a", "b"], ["b"]),
        (["c"], ["b", "a"], ["a", "b"]),
    ],
)
def test_missing(granted: list[str] | None, required: list[str], lacking: list[str]) -> None:
    assert scopes.missing(granted, required) == lacking


@pytest.mark.parametrize(
    ("required", "problem"),
    [
        ("tokens:read", "must be a list of scope names, or a dict"),
        (None, "must be a list of scope names, or a dict"),
        ([1], "must be a list of scope names"),
        ({"get": ["tokens:read"]}, "upper-case HTTP methods, not 'get'"),
        ({"GET": "tokens:read"}, "required_scopes['GET'] must be a list"),
        (["tokens:reed"], "names 'tokens:reed', which is not a configured scope"),
        ({"GET": ["x"], "POST": ["y"]}, "names 'x', 'y', which are not configured scopes"),
    ],
)
def test_required_problem(required: Any, problem: str) -> None:
    found = scopes.required_problem(required, scopes.BUILTIN_SCOPES)

    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "required", [[], ["tokens:read"], {"GET": ["tokens:read"], "POST": []}, ("tokens:write",)]
)
def test_required_scopes_that_are_fine(required: Any) -> None:
    assert scopes.required_problem(required, scopes.BUILTIN_SCOPES) is None


# --- provisioning ----------------------------------------------------------------------


def test_left_out_is_not_restricted_by_default(make_token: MakeToken) -> None:
    token, _ = make_token()

    assert token.scopes is None


@override_settings(DJANGO_PAT={**PACKAGES, "DEFAULT_SCOPES": ["packages:read", "pkg"]})
def test_left_out_is_the_configured_default(make_token: MakeToken) -> None:
    token, _ = make_token()
    unrestricted, _ = make_token(scopes=None)

    assert PersonalAccessToken.objects.get(pk=token.pk).scopes == ["packages:read", "pkg"]
    assert unrestricted.scopes is None


@override_settings(DJANGO_PAT=PACKAGES)
@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ([], []),
        (["pkg", "packages:read"], ["packages:read", "pkg"]),
        (("tokens:write", "tokens:read"), ["tokens:read", "tokens:write"]),
        ({"tokens:rotate"}, ["tokens:rotate"]),
    ],
)
def test_given_scopes_are_stored_sorted(make_token: MakeToken, given: Any, kept: list[str]) -> None:
    token, _ = make_token(scopes=given)

    assert token.scopes == kept
    assert PersonalAccessToken.objects.get(pk=token.pk).scopes == kept


@override_settings(DJANGO_PAT=PACKAGES)
@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["packages:raed"], "'packages:raed' is not a scope (the scopes are 'tokens:read'"),
        (["Packages:read"], "'Packages:read' is not a scope"),
        (["pkg", "pkg"], "'pkg' is listed twice."),
        (["pkg", "pkg", "pkg"], "'pkg' is listed twice; 'pkg' is listed twice."),
        ([1], "1 is not a scope name (a string)."),
        (["pkg", None], "None is not a scope name (a string)."),
        ([["pkg"]], "['pkg'] is not a scope name (a string)."),
        ("pkg", "Scopes must be a list of scope names or null, not 'pkg'."),
        ({"pkg": True}, "Scopes must be a list of scope names or null, not {'pkg': True}."),
        (["x" * 100], "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… is not a scope"),
        (
            [str(n) for n in range(8)],
            "'0' is not a scope; '1' is not a scope; '2' is not a scope; '3' is not a scope; "
            "'4' is not a scope; 3 more (the scopes are",
        ),
    ],
)
def test_bad_scopes_are_refused_naming_the_entry(user: Any, given: Any, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        PersonalAccessToken.objects.provision(user, name="ci", scopes=given)

    assert list(refused.value.message_dict) == ["scopes"]
    assert message in refused.value.message_dict["scopes"][0]
    assert not PersonalAccessToken.objects.exists()


# --- under a parent token ----------------------------------------------------------------


@override_settings(DJANGO_PAT={**PACKAGES, "DEFAULT_SCOPES": ["pkg"]})
@pytest.mark.parametrize(
    ("parent_scopes", "given", "kept"),
    [
        # Left out: the parent's, not the configured default.
        (["packages:read", "pkg"], "LEFT OUT", ["packages:read", "pkg"]),
        ([], "LEFT OUT", []),
        (None, "LEFT OUT", None),
        # Any part of what the parent has.
        (["packages:read", "pkg"], ["pkg"], ["pkg"]),
        (["packages:read", "pkg"], [], []),
        (None, ["packages:write"], ["packages:write"]),
        (None, None, None),
    ],
)
def test_a_child_takes_at_most_its_parents_scopes(
    make_token: MakeToken, parent_scopes: Any, given: Any, kept: Any
) -> None:
    parent, _ = make_token(name="parent", scopes=parent_scopes)
    arguments = {} if given == "LEFT OUT" else {"scopes": given}

    child, _ = make_token(name="child", parent=parent, **arguments)

    assert child.scopes == kept


@override_settings(DJANGO_PAT=PACKAGES)
@pytest.mark.parametrize(
    ("parent_scopes", "given", "message"),
    [
        (["pkg"], ["pkg", "packages:read"], "'packages:read' is not a scope of the token used"),
        ([], ["pkg"], "'pkg' is not a scope of the token used to make it."),
        (["pkg"], None, "which has 'pkg' only."),
        ([], None, "which has no scope only."),
    ],
)
def test_a_child_may_not_reach_beyond_its_parent(
    make_token: MakeToken, parent_scopes: Any, given: Any, message: str
) -> None:
    parent, _ = make_token(name="parent", scopes=parent_scopes)

    with pytest.raises(ValidationError) as refused:
        make_token(name="child", parent=parent, scopes=given)

    assert list(refused.value.message_dict) == ["scopes"]
    assert message in refused.value.message_dict["scopes"][0]
