"""The OpenAPI schema a project gets for the endpoints, generated in-process the
way ``manage.py spectacular --validate --fail-on-warn`` does."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from django_pat.openapi import COMPONENT_NAMES
from tests.test_views import CONTRACT_FIELDS

SEED_SUMMARIES = {
    ("get", False): "list personal access tokens for your account",
    ("post", False): "Provision a personal access token",
    ("delete", True): "Revoke a personal access token",
}
ERROR_CODES = ["400", "401", "403", "404", "429", "500"]
# What the API sends: the contract's fields and the display prefix.
TOKEN_FIELDS = {*CONTRACT_FIELDS, "displayPrefix"}


def generate(tmp_path: Path) -> dict[str, Any]:
    """The schema, after the same validation and warning check as the command."""
    out = tmp_path / "schema.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", out
    )
    return json.loads(out.read_text())


@pytest.fixture
def schema(tmp_path: Path) -> dict[str, Any]:
    return generate(tmp_path)


def components(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"]


def operation(schema: dict[str, Any], method: str, detail: bool) -> dict[str, Any]:
    for path, item in schema["paths"].items():
        if ("{token_id}" in path) == detail and method in item:
            return item[method]
    raise AssertionError(f"no {method} operation")


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
    assert set(properties) == {"name", "type", "ipRestriction", "expireAt"}
    assert (properties["name"]["minLength"], properties["name"]["maxLength"]) == (1, 100)
    assert properties["ipRestriction"]["nullable"] is True
    assert "nullable" not in properties["expireAt"]  # a maximum lifetime applies
    assert properties["expireAt"]["format"] == "date-time"
    assert properties["type"]["default"] == "read_write"
    assert properties["type"]["allOf"] == [{"$ref": "#/components/schemas/PersonalAccessTokenType"}]
    assert (
        "IP restriction for the personal access token" in properties["ipRestriction"]["description"]
    )


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
    for item in schema["paths"].values():
        for method_operation in item.values():
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
    assert request["properties"]["type"]["default"] == "deploy"
    # "admin" has no maximum lifetime: a token of it may never expire.
    assert request["properties"]["expireAt"]["nullable"] is True


@override_settings(DJANGO_PAT={"MAX_LIFETIME": None})
def test_expire_at_is_nullable_without_a_maximum(tmp_path):
    request = components(generate(tmp_path))["PersonalAccessTokenProvisionRequest"]

    assert request["properties"]["expireAt"]["nullable"] is True


@override_settings(DJANGO_PAT={"TOKEN_PREFIX": "acme"})
def test_bearer_format_names_the_prefix(tmp_path):
    scheme = generate(tmp_path)["components"]["securitySchemes"]["personalAccessToken"]

    assert scheme["bearerFormat"].startswith("acme_")
