"""The OpenAPI schema a project gets for the endpoints, generated in-process the
way ``manage.py spectacular --validate --fail-on-warn`` does."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django import urls
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from drf_spectacular.settings import patched_settings

from django_pat.openapi import COMPONENT_NAMES, LEAKS_TAG, TAG, TAGS
from tests.test_views import (
    CONTRACT_FIELDS,
    LIFECYCLE_FIELDS,
    TYPES_WITH_DEPLOY,
    parse_time,
    post_json,
)

# The seed's, capitalised alike ("list" was the seed's only lower-case one).
SEED_SUMMARIES = {
    ("get", False): "List personal access tokens for your account",
    ("post", False): "Provision a personal access token",
    ("delete", True): "Revoke a personal access token",
}
HOOKS = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "django_pat.openapi.postprocess_schema",
]
ERROR_CODES = ["400", "401", "403", "404", "429", "500", "503"]
# What the API sends: the contract's fields, the display prefix and the lifecycle's.
TOKEN_FIELDS = {*CONTRACT_FIELDS, "displayPrefix", *LIFECYCLE_FIELDS}


def generate(tmp_path: Path, **spectacular_settings: Any) -> dict[str, Any]:
    """The schema, after the same validation and warning check as the command."""
    out = tmp_path / "schema.json"
    with patched_settings(spectacular_settings):
        call_command(
            "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
        )
    return json.loads(out.read_text())


@pytest.fixture
def schema(tmp_path: Path) -> dict[str, Any]:
    return generate(tmp_path)


def components(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def operation(schema: dict[str, Any], method: str, detail: bool) -> dict[str, Any]:
    """A token operation: the list's (``detail`` False) or one token's."""
    for path, item in schema["paths"].items():
        if path.startswith(LIST_PATH) and ("{token_id}" in path) == detail and method in item:
            return item[method]
    raise AssertionError(f"no {method} operation")


LIST_PATH = "/api/personal-access-tokens"
LEAK_PATH = "/api/credentials/revoke"


def resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return components(schema)[ref["$ref"].rsplit("/", 1)[1]]


def body_schema(response_or_request: dict[str, Any]) -> dict[str, Any]:
    return response_or_request["content"]["application/json"]["schema"]


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize(("method_detail", "summary"), list(SEED_SUMMARIES.items()))
def test_operations_carry_the_seed_summaries(schema, method_detail, summary):
    method, detail = method_detail

    assert operation(schema, method, detail)["summary"] == summary


def test_every_operation_is_summarised_alike(schema):
    for path, method, described in operations(schema):
        summary = described["summary"]
        assert summary[0].isupper(), (path, method, summary)
        assert not summary.endswith("."), (path, method, summary)
        assert described["description"].endswith("."), (path, method)
        assert described["operationId"].isidentifier(), (path, method)


def test_operation_ids_name_what_generated_clients_call(schema):
    assert {described["operationId"] for _, _, described in operations(schema)} == {
        "list_personal_access_tokens",
        "provision_personal_access_token",
        "get_personal_access_token",
        "revoke_personal_access_token",
        "rotate_personal_access_token",
        "get_current_personal_access_token",
        "revoke_leaked_credentials",
    }


def test_every_operation_has_one_of_the_apps_tags(schema):
    # Declared, with its description, by postprocess_schema.
    for path, method, described in operations(schema):
        assert len(described["tags"]) == 1, (path, method)
        assert described["tags"][0] in TAGS, (path, method)
    assert {described["tags"][0] for _, _, described in operations(schema)} == {TAG, LEAKS_TAG}


def test_paths_are_published_without_the_trailing_slash(schema):
    for path in schema["paths"]:
        assert not path.endswith("/"), path
        # The spelling with a slash answers too, with the same view and actions.
        concrete = path.replace("{token_id}", "6f9619ff-8b86-d011-b42d-00c04fc964ff")
        without, with_slash = urls.resolve(concrete).func, urls.resolve(concrete + "/").func
        assert without.cls is with_slash.cls, path
        assert getattr(without, "actions", None) == getattr(with_slash, "actions", None), path
    assert set(schema["paths"]) == {
        LEAK_PATH,
        "/api/personal-access-tokens",
        "/api/personal-access-tokens/{token_id}",
        "/api/personal-access-tokens/{token_id}/rotate",
        "/api/personal-access-tokens/self",
    }


def test_operation_descriptions_are_for_api_users(schema):
    # Not the view's docstring, which speaks to Python developers.
    for method, detail in [*SEED_SUMMARIES, ("get", True)]:
        description = operation(schema, method, detail)["description"]
        assert description
        assert ":meth:" not in description
        assert "get_parent_token" not in description


@pytest.mark.parametrize(("method", "detail"), [*SEED_SUMMARIES, ("get", True)])
def test_every_error_code_has_the_error_body(schema, method, detail):
    responses = operation(schema, method, detail)["responses"]

    for code in ERROR_CODES:
        assert body_schema(responses[code]) == {
            "$ref": "#/components/schemas/PersonalAccessTokenError"
        }, code


def test_error_component(schema):
    error = components(schema)["PersonalAccessTokenError"]

    assert error["required"] == ["message", "status"]
    assert error["properties"]["message"]["type"] == "string"
    assert error["properties"]["status"]["type"] == "integer"
    assert error["properties"]["errors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_list_is_a_plain_array_of_tokens(schema):
    ok = operation(schema, "get", detail=False)["responses"]["200"]

    assert body_schema(ok) == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/PersonalAccessToken"},
    }
    assert not [name for name in components(schema) if name.startswith("Paginated")]


def test_list_documents_paging_headers_and_parameters(schema):
    list_operation = operation(schema, "get", detail=False)
    headers = list_operation["responses"]["200"]["headers"]
    parameters = {p["name"]: p for p in list_operation["parameters"]}

    assert headers["Link"]["schema"] == {"type": "string"}
    assert headers["X-Total-Count"]["schema"] == {"type": "integer"}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["offset"]["schema"]["minimum"] == 0
    assert parameters["active"]["schema"] == {"type": "boolean"}
    assert parameters["type"]["schema"] == {"$ref": "#/components/schemas/PersonalAccessTokenType"}
    assert {p["in"] for p in parameters.values()} == {"query"}


@pytest.mark.parametrize(("method", "detail"), [("post", False), ("get", True)])
def test_single_token_responses(schema, method, detail):
    ok = operation(schema, method, detail)["responses"]["200"]

    assert body_schema(ok) == {"$ref": "#/components/schemas/PersonalAccessToken"}


def test_token_component_has_the_seed_fields_with_descriptions(schema):
    token = components(schema)["PersonalAccessToken"]
    properties = token["properties"]

    assert set(properties) == TOKEN_FIELDS
    assert set(token["required"]) == TOKEN_FIELDS
    assert properties["active"]["description"].startswith(
        "Active indicates whether the personal access token is active or not"
    )
    assert properties["id"]["description"].startswith(
        "ID represents the unique identifier for a personal access token"
    )
    assert properties["token"]["description"].startswith("Token represents the actual token value")
    for name, field in properties.items():
        assert field.get("description"), name


@pytest.mark.parametrize(
    ("field", "nullable"),
    [
        ("ipRestriction", True),
        ("expireAt", True),
        ("lastUsedAt", True),
        ("token", True),
        ("name", False),
        ("createdAt", False),
        ("subject", False),
    ],
)
def test_token_component_nullability(schema, field, nullable):
    assert bool(components(schema)["PersonalAccessToken"]["properties"][field].get("nullable")) is (
        nullable
    )


def test_token_type_is_the_named_enum(schema):
    token = components(schema)["PersonalAccessToken"]

    assert token["properties"]["type"]["allOf"] == [
        {"$ref": "#/components/schemas/PersonalAccessTokenType"}
    ]
    assert components(schema)["PersonalAccessTokenType"]["enum"] == ["read_only", "read_write"]


def test_provisioning_request_component(schema):
    request_body = operation(schema, "post", detail=False)["requestBody"]
    assert body_schema(request_body) == {
        "$ref": "#/components/schemas/PersonalAccessTokenProvisionRequest"
    }
    request = components(schema)["PersonalAccessTokenProvisionRequest"]
    properties = request["properties"]

    assert request["required"] == ["name"]
    assert request["additionalProperties"] is False
    assert set(properties) == {
        "name",
        "type",
        "ipRestriction",
        "expireAt",
        "scopes",
        "description",
    }
    assert (properties["name"]["minLength"], properties["name"]["maxLength"]) == (1, 100)
    assert properties["description"]["maxLength"] == 1000
    assert "nullable" not in properties["description"]
    assert properties["ipRestriction"]["nullable"] is True
    assert "nullable" not in properties["expireAt"]  # a maximum lifetime applies
    assert properties["expireAt"]["format"] == "date-time"
    assert properties["type"]["allOf"] == [{"$ref": "#/components/schemas/PersonalAccessTokenType"}]
    assert (
        "IP restriction for the personal access token" in properties["ipRestriction"]["description"]
    )


def test_provisioning_request_claims_no_default(schema):
    """What a client leaves out, the server fills in (by rules that depend on
    the token making the request): a "default" would have generated clients
    send one, so the descriptions say it instead."""
    properties = components(schema)["PersonalAccessTokenProvisionRequest"]["properties"]

    assert [name for name, field in properties.items() if "default" in field] == []
    assert "The configured default: `read_write`." in properties["type"]["description"]
    assert (
        "Lifetimes by type: `read_only`: 90 days by default, at most 365 days; "
        "`read_write`: 90 days by default, at most 365 days."
    ) in properties["expireAt"]["description"]


def test_fields_a_client_may_leave_out_are_optional(schema):
    request = components(schema)["PersonalAccessTokenProvisionRequest"]

    assert request["required"] == ["name"]


def test_provisioning_request_has_examples_that_the_api_accepts(schema, api):
    examples = operation(schema, "post", detail=False)["requestBody"]["content"][
        "application/json"
    ]["examples"]

    assert len(examples) == 2
    for example in examples.values():
        # As "Try it out" sends them, whenever it is tried.
        response = api.post("/api/personal-access-tokens", example["value"], format="json")
        assert response.status_code == 200, response.json()


def test_revoke_response_component(schema):
    ok = operation(schema, "delete", detail=True)["responses"]["200"]
    revoke = resolve(schema, body_schema(ok))

    assert body_schema(ok)["$ref"].endswith("/PersonalAccessTokenRevokeResponse")
    assert {name: field["type"] for name, field in revoke["properties"].items()} == {
        "message": "string",
        "status": "integer",
    }


def test_component_names_cannot_clash_with_a_projects_own(schema):
    names = set(components(schema))

    assert set(COMPONENT_NAMES) == names
    assert all(name.startswith("PersonalAccessToken") for name in names), names


def test_bearer_scheme_is_offered_on_every_operation(schema):
    scheme = schema["components"]["securitySchemes"]["personalAccessToken"]

    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, item in schema["paths"].items():
        for method_operation in item.values():
            if path != LEAK_PATH:  # no authentication at all: test_leak_report_operation
                assert {"personalAccessToken": []} in method_operation["security"]


@override_settings(
    DJANGO_PAT={
        "TYPES": {
            "deploy": {"methods": ["GET", "POST"], "max_lifetime": timedelta(days=7)},
            "admin": {"methods": "*", "max_lifetime": None},
        },
        "DEFAULT_TYPE": "deploy",
        "DEFAULT_LIFETIME": timedelta(days=1),
    }
)
def test_schema_follows_the_configured_types(tmp_path):
    schema = generate(tmp_path)

    assert components(schema)["PersonalAccessTokenType"]["enum"] == ["deploy", "admin"]
    request = components(schema)["PersonalAccessTokenProvisionRequest"]
    assert "The configured default: `deploy`." in request["properties"]["type"]["description"]
    # "admin" has no maximum lifetime: a token of it may never expire.
    expire_at = request["properties"]["expireAt"]
    assert expire_at["nullable"] is True
    assert "Types that allow null: `admin`." in expire_at["description"]
    assert (
        "`deploy`: 1 day by default, at most 7 days; `admin`: 1 day by default, no maximum."
    ) in expire_at["description"]


@override_settings(DJANGO_PAT={"MAX_LIFETIME": None})
def test_expire_at_is_nullable_without_a_maximum(tmp_path):
    request = components(generate(tmp_path))["PersonalAccessTokenProvisionRequest"]

    assert request["properties"]["expireAt"]["nullable"] is True


def test_expire_at_says_null_is_refused_where_it_is_not_nullable(schema):
    expire_at = components(schema)["PersonalAccessTokenProvisionRequest"]["properties"]["expireAt"]

    assert "nullable" not in expire_at
    assert expire_at["description"].endswith("Every type has a maximum lifetime: null is a 400.")


@override_settings(DJANGO_PAT={"TOKEN_PREFIX": "acme"})
def test_bearer_format_names_the_prefix(tmp_path):
    scheme = generate(tmp_path)["components"]["securitySchemes"]["personalAccessToken"]

    assert scheme["bearerFormat"].startswith("acme_")


# --- what the descriptions claim, against what the API does under a token ---

PARENT_EXPIRY = object()  # stands for the expiry of the token making the request
INHERITANCE_CLAIMS = [
    pytest.param(
        "expireAt",
        "when a token makes this request, that token's expiry if the type's maximum "
        "lifetime allows it",
        {},
        {"name": "child"},
        ("expireAt", PARENT_EXPIRY),
        id="expiry-left-out-is-inherited",
    ),
    pytest.param(
        "expireAt",
        "when a token makes this request, no later than that token's expiry (a 400 otherwise)",
        {},
        {"name": "child", "expireAt": "LATER"},
        ("expireAt", 400),
        id="later-expiry-is-a-400",
    ),
    pytest.param(
        "expireAt",
        "Null: never, only for a type without a maximum lifetime, and not when the token "
        "making this request expires.",
        {"DJANGO_PAT": {"MAX_LIFETIME": None}},
        {"name": "child", "expireAt": None},
        ("expireAt", 400),
        id="never-under-an-expiring-token-is-a-400",
    ),
    pytest.param(
        "ipRestriction",
        "Left out: any address, or, when a token makes this request, that token's restriction.",
        {},
        {"name": "child"},
        ("ipRestriction", "127.0.0.0/8"),
        id="restriction-left-out-is-inherited",
    ),
    pytest.param(
        "ipRestriction",
        "When the token making this request is restricted, anything it does not cover is "
        "a 400, null and empty included.",
        {},
        {"name": "child", "ipRestriction": None},
        ("ipRestriction", 400),
        id="null-restriction-is-a-400",
    ),
    pytest.param(
        "ipRestriction",
        "When the token making this request is restricted, anything it does not cover is "
        "a 400, null and empty included.",
        {},
        {"name": "child", "ipRestriction": ""},
        ("ipRestriction", 400),
        id="empty-restriction-is-a-400",
    ),
    pytest.param(
        "ipRestriction",
        "When the token making this request is restricted, anything it does not cover is a 400",
        {},
        {"name": "child", "ipRestriction": "10.0.0.0/8"},
        ("ipRestriction", 400),
        id="wider-restriction-is-a-400",
    ),
    pytest.param(
        "type",
        "when a token makes this request and the default allows more than that token's "
        "type, that token's type.",
        {"DJANGO_PAT": TYPES_WITH_DEPLOY},
        {"name": "child"},
        ("type", "deploy"),
        id="type-left-out-under-a-weaker-token",
    ),
    pytest.param(
        "type",
        "A type allowing more than the token making this request is a 400.",
        {"DJANGO_PAT": TYPES_WITH_DEPLOY},
        {"name": "child", "type": "read_write"},
        ("type", 400),
        id="more-powerful-type-is-a-400",
    ),
]


@pytest.mark.parametrize(("field", "claim", "settings", "body", "outcome"), INHERITANCE_CLAIMS)
def test_descriptions_tell_what_the_api_does_under_a_token(
    tmp_path, make_token, client_for, field, claim, settings, body, outcome
):
    """Each field's description claims what happens to a token made with a
    token; the API, asked with one, does exactly that."""
    with override_settings(**settings):
        request = components(generate(tmp_path))["PersonalAccessTokenProvisionRequest"]
        parent, secret = make_token(
            name="parent",
            # A type that may provision, and less than read_write where there is one.
            type="deploy" if settings == {"DJANGO_PAT": TYPES_WITH_DEPLOY} else "read_write",
            ip_restriction="127.0.0.0/8",
            expire_at=timezone.now() + timedelta(days=10),
        )
        if body.get("expireAt") == "LATER":
            later = parent.expire_at + timedelta(seconds=1)
            body = {**body, "expireAt": later.isoformat()}
        response = post_json(client_for(secret), body)

    assert claim in request["properties"][field]["description"]
    answer = response.json()
    checked, expected = outcome
    if expected == 400:
        assert response.status_code == 400, answer
        assert set(answer["errors"]) == {checked}
        return
    assert response.status_code == 200, answer
    if expected is PARENT_EXPIRY:
        assert parse_time(answer[checked]) == parent.expire_at
    else:
        assert answer[checked] == expected


# --- the postprocessing hook ------------------------------------------------


def test_hook_declares_the_apps_tags_with_descriptions(tmp_path):
    schema = generate(tmp_path, POSTPROCESSING_HOOKS=HOOKS)

    assert schema["tags"] == [
        {"name": TAG, "description": TAGS[TAG]},
        {"name": LEAKS_TAG, "description": TAGS[LEAKS_TAG]},
    ]
    used = {tag for _, _, described in operations(schema) for tag in described["tags"]}
    assert used <= {tag["name"] for tag in schema["tags"]}
    assert "trailing slash" in TAGS[TAG]


def test_hook_keeps_the_projects_own_tags(tmp_path):
    own = [{"name": "orders", "description": "Our orders."}]
    mine = [{"name": TAG, "description": "Tokens, as this project puts it."}]

    assert generate(tmp_path, TAGS=own, POSTPROCESSING_HOOKS=HOOKS)["tags"] == [
        *own,
        {"name": TAG, "description": TAGS[TAG]},
        {"name": LEAKS_TAG, "description": TAGS[LEAKS_TAG]},
    ]
    assert generate(tmp_path, TAGS=mine, POSTPROCESSING_HOOKS=HOOKS)["tags"] == [
        *mine,
        {"name": LEAKS_TAG, "description": TAGS[LEAKS_TAG]},
    ]


def test_hook_lists_the_bearer_scheme_first(tmp_path):
    without = generate(tmp_path)["components"]["securitySchemes"]
    schema = generate(tmp_path, POSTPROCESSING_HOOKS=HOOKS)

    # Sorted by name, the session's "cookieAuth" would be first in Swagger UI's dialog.
    assert list(without) == ["cookieAuth", "personalAccessToken"]
    assert list(schema["components"]["securitySchemes"]) == [
        "personalAccessToken",
        "cookieAuth",
    ]
    assert (
        schema["components"]["securitySchemes"]["personalAccessToken"]
        == (without["personalAccessToken"])
    )


def test_session_scheme_tells_a_frontend_about_csrf(schema):
    scheme = schema["components"]["securitySchemes"]["cookieAuth"]

    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "cookie", "sessionid")
    assert "`X-CSRFToken` header" in scheme["description"]
    assert "`csrftoken` cookie" in scheme["description"]


@override_settings(
    SESSION_COOKIE_NAME="site_session",
    CSRF_COOKIE_NAME="site_csrf",
    CSRF_HEADER_NAME="HTTP_X_SITE_CSRF",
)
def test_session_scheme_follows_the_projects_cookie_and_header_names(tmp_path):
    scheme = generate(tmp_path)["components"]["securitySchemes"]["cookieAuth"]

    assert scheme["name"] == "site_session"
    assert "`X-SITE-CSRF` header" in scheme["description"]
    assert "`site_csrf` cookie" in scheme["description"]


# --- OPTIONS: the API describes its own fields ------------------------------


def test_options_labels_read_as_words(api):
    fields = api.options("/api/personal-access-tokens").json()["actions"]["POST"]

    assert {name: field["label"] for name, field in fields.items()} == {
        "name": "Name",
        "type": "Type",
        "ipRestriction": "IP restriction",
        "expireAt": "Expires at",
        "scopes": "Scopes",
        "description": "Description",
    }
    for name, field in fields.items():
        assert field["help_text"].endswith("."), name


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_a_blank_name_has_one_message(api, name):
    response = post_json(api, {"name": name})

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["Name may not be blank."]}


# --- scopes ---------------------------------------------------------------------

PACKAGES = {"packages:read": "Download packages.", "packages:write": "Publish packages."}
SCOPES_ARRAY = {
    "type": "array",
    "items": {"$ref": "#/components/schemas/PersonalAccessTokenScope"},
    "uniqueItems": True,
    "nullable": True,
}


def test_scopes_are_a_nullable_array_of_the_scope_enum(schema):
    token = components(schema)["PersonalAccessToken"]["properties"]["scopes"]
    request = components(schema)["PersonalAccessTokenProvisionRequest"]["properties"]["scopes"]

    assert {key: token[key] for key in SCOPES_ARRAY} == SCOPES_ARRAY
    assert token["readOnly"] is True
    assert {key: request[key] for key in SCOPES_ARRAY} == SCOPES_ARRAY
    assert request["description"].endswith("The configured default: `null`.")
    assert "scopes" not in components(schema)["PersonalAccessTokenProvisionRequest"]["required"]


def test_the_scope_enum_is_the_apps_scopes_with_their_descriptions(schema):
    scope = components(schema)["PersonalAccessTokenScope"]

    assert scope["type"] == "string"
    assert scope["enum"] == ["tokens:read", "tokens:write", "tokens:rotate"]
    assert (
        "`tokens:read`: List your personal access tokens and look one up;" in (scope["description"])
    )


@override_settings(DJANGO_PAT={"SCOPES": PACKAGES, "DEFAULT_SCOPES": ["packages:read"]})
def test_the_scope_enum_follows_the_configured_scopes(tmp_path):
    schema = generate(tmp_path)
    scope = components(schema)["PersonalAccessTokenScope"]
    request = components(schema)["PersonalAccessTokenProvisionRequest"]["properties"]["scopes"]

    assert scope["enum"] == [
        "tokens:read",
        "tokens:write",
        "tokens:rotate",
        "packages:read",
        "packages:write",
    ]
    assert "`packages:write`: Publish packages." in scope["description"]
    assert request["description"].endswith('The configured default: `["packages:read"]`.')


# What the endpoints need of a token restricted by scope, as the API enforces it
# (tests/test_permissions.py): the schema must say the same.
NEEDS = {
    ("get", False): "tokens:read",
    ("post", False): "tokens:write",
    ("get", True): "tokens:read",
    ("delete", True): "tokens:write",
}


@pytest.mark.parametrize(("method_detail", "needed"), list(NEEDS.items()))
def test_each_operation_says_which_scope_it_needs(schema, method_detail, needed):
    described = operation(schema, *method_detail)

    assert described["description"].endswith(
        f"\n\nScopes: a token restricted by scope needs `{needed}`."
    )
    # OpenAPI 3.0 allows scopes in a requirement only for OAuth2 and OpenID Connect.
    assert {"personalAccessToken": []} in described["security"]


@pytest.mark.parametrize(("method_detail", "needed"), list(NEEDS.items()))
def test_with_openapi_3_1_the_security_requirement_lists_the_scopes(
    tmp_path, method_detail, needed
):
    schema = generate(tmp_path, OAS_VERSION="3.1.0")
    described = operation(schema, *method_detail)

    assert schema["openapi"] == "3.1.0"
    assert described["security"] == [{"personalAccessToken": [needed]}, {"cookieAuth": []}]
    token = components(schema)["PersonalAccessToken"]["properties"]["scopes"]
    assert token["type"] == ["array", "null"]


@override_settings(ROOT_URLCONF="tests.scoped_views", DJANGO_PAT={"SCOPES": PACKAGES})
@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_hook_says_which_scopes_a_projects_own_operations_need(tmp_path, version):
    schema = generate(tmp_path, POSTPROCESSING_HOOKS=HOOKS, OAS_VERSION=version)
    paths = schema["paths"]

    expected = {
        ("/packages", "get"): ["packages:read"],
        ("/packages", "post"): ["packages:read", "packages:write"],
        ("/download", "get"): ["packages:read"],
    }
    for (path, method), needed in expected.items():
        described = paths[path][method]
        names = " and ".join(f"`{name}`" for name in needed)
        assert described["description"].endswith(
            f"Scopes: a token restricted by scope needs {names}."
        ), (path, method)
        bearer = next(r for r in described["security"] if "personalAccessToken" in r)
        assert bearer["personalAccessToken"] == (needed if version == "3.1.0" else [])
    # The app's own operations say it once, hook or not.
    for _, _, described in operations(schema):
        assert described.get("description", "").count("Scopes:") <= 1
    assert "/misconfigured" not in paths


# --- the lifecycle: rotation, self, the new fields -------------------------------


def test_rotation_request_takes_only_an_expiry(schema):
    rotate = schema["paths"]["/api/personal-access-tokens/{token_id}/rotate"]["post"]
    request = components(schema)["PersonalAccessTokenRotateRequest"]

    assert body_schema(rotate["requestBody"]) == {
        "$ref": "#/components/schemas/PersonalAccessTokenRotateRequest"
    }
    # Nothing, or {}, is a rotation with the default expiry.
    assert not rotate["requestBody"].get("required")
    assert request["additionalProperties"] is False
    assert set(request["properties"]) == {"expireAt"}
    assert "required" not in request
    assert "nullable" not in request["properties"]["expireAt"]
    assert "default" not in request["properties"]["expireAt"]
    assert body_schema(rotate["responses"]["200"]) == {
        "$ref": "#/components/schemas/PersonalAccessToken"
    }
    for code in ERROR_CODES:
        assert body_schema(rotate["responses"][code])["$ref"].endswith("/PersonalAccessTokenError")


def test_self_answers_a_token_and_takes_no_parameter(schema):
    current = schema["paths"]["/api/personal-access-tokens/self"]["get"]

    assert "parameters" not in current
    assert body_schema(current["responses"]["200"]) == {
        "$ref": "#/components/schemas/PersonalAccessToken"
    }
    assert body_schema(current["responses"]["404"])["$ref"].endswith("/PersonalAccessTokenError")
    assert "session" in current["description"]


def test_state_and_reason_are_named_enums(schema):
    properties = components(schema)["PersonalAccessToken"]["properties"]

    assert properties["state"]["allOf"] == [
        {"$ref": "#/components/schemas/PersonalAccessTokenState"}
    ]
    assert components(schema)["PersonalAccessTokenState"]["enum"] == [
        "active",
        "revoked",
        "expired",
        "dormant",
    ]
    # A nullable enum as OpenAPI 3.0 allows one: nullable beside a $ref is not.
    assert properties["revokedReason"]["oneOf"] == [
        {"$ref": "#/components/schemas/PersonalAccessTokenRevokedReason"},
        {"$ref": "#/components/schemas/PersonalAccessTokenNullEnum"},
    ]
    assert "nullable" not in properties["revokedReason"]
    assert components(schema)["PersonalAccessTokenRevokedReason"]["enum"] == [
        "owner",
        "staff",
        "rotated",
        "leaked",
        "user_deactivated",
        "command",
    ]
    assert components(schema)["PersonalAccessTokenNullEnum"] == {"enum": [None]}


@override_settings(DJANGO_PAT={"MAX_LIFETIME": None})
def test_rotation_expiry_is_nullable_without_a_maximum(tmp_path):
    request = components(generate(tmp_path))["PersonalAccessTokenRotateRequest"]

    assert request["properties"]["expireAt"]["nullable"] is True


def test_options_of_rotate_describe_the_rotation_request(api, token):
    fields = api.options(f"/api/personal-access-tokens/{token[0].pk}/rotate").json()["actions"]

    assert set(fields["POST"]) == {"expireAt"}


# --- leaked credentials (CONTRACT 9.5) ------------------------------------------------


def test_leak_report_operation(schema, anon_client):
    described = schema["paths"][LEAK_PATH]["post"]
    request = components(schema)["PersonalAccessTokenLeakReport"]

    # No authentication: an empty requirement, and no other.
    assert described["security"] == [{}]
    assert set(described["responses"]) == {"202", "400", "429", "500", "503"}
    assert body_schema(described["requestBody"])["$ref"].endswith("/PersonalAccessTokenLeakReport")
    assert request["required"] == ["credentials"]
    values = request["properties"]["credentials"]
    assert (values["minItems"], values["maxItems"]) == (1, 1000)
    assert values["items"]["maxLength"] == 256
    # The partner endpoint is GitHub's alone, and stays out.
    assert not any("github" in path for path in schema["paths"])
    for example in described["requestBody"]["content"]["application/json"]["examples"].values():
        response = anon_client.post(LEAK_PATH, example["value"], format="json")
        assert response.status_code == 202, response.json()
