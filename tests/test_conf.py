"""The DJANGO_PAT settings (django_pat/conf.py) and their system check (checks.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from django_pat.conf import pat_settings, problems
from django_pat.models import PersonalAccessToken

CHECK_ID = "django_pat.E001"

SAFE = ["GET", "HEAD", "OPTIONS"]


def pat_errors() -> list[checks.CheckMessage]:
    return [message for message in checks.run_checks() if message.id.startswith("django_pat.")]


def is_one_sentence(message: str) -> bool:
    """Ends with a full stop and has no other sentence break in it."""
    return message.endswith(".") and re.search(r"[.!?]\s+[A-Z]", message) is None


# --- defaults -----------------------------------------------------------------


def test_no_setting_is_valid() -> None:
    assert problems({}) == []
    assert pat_errors() == []


def test_default_prefix() -> None:
    assert pat_settings.token_prefix == "pat"


def test_default_types() -> None:
    types = pat_settings.types

    assert set(types) == {"read_only", "read_write"}
    assert types["read_only"].methods == frozenset(SAFE)
    assert types["read_write"].methods is None


def test_default_type_is_read_write() -> None:
    assert pat_settings.default_type.name == "read_write"


def test_default_lifetimes() -> None:
    for token_type in pat_settings.types.values():
        assert token_type.default_lifetime == timedelta(days=90)
        assert token_type.max_lifetime == timedelta(days=365)


def test_default_cap_and_interval() -> None:
    assert pat_settings.max_active_tokens_per_user == 100
    assert pat_settings.last_used_update_interval == timedelta(seconds=60)


def test_by_default_tokens_outlive_deactivation_and_password_changes() -> None:
    assert pat_settings.revoke_on_user_deactivation is False
    assert pat_settings.revoke_on_password_change is False


def test_revoke_on_password_change_is_loaded(settings: Any) -> None:
    settings.DJANGO_PAT = {"REVOKE_ON_PASSWORD_CHANGE": True}

    assert pat_settings.revoke_on_password_change is True


def test_lifecycle_defaults() -> None:
    lifecycle = pat_settings.lifecycle

    assert lifecycle.dormant_after is None
    assert lifecycle.notice_windows == (30, 7, 1)
    assert lifecycle.site_url is None


def test_lifecycle_settings_are_loaded(settings: Any) -> None:
    settings.DJANGO_PAT = {
        "DORMANT_AFTER_DAYS": 45,
        "EXPIRY_NOTICE_DAYS": [1, 14],
        "SITE_URL": "https://example.com/tools/",
    }

    lifecycle = pat_settings.lifecycle
    assert lifecycle.dormant_after == timedelta(days=45)
    assert lifecycle.notice_windows == (14, 1)  # widest first
    assert lifecycle.site_url == "https://example.com/tools"


def test_default_trusts_no_proxy() -> None:
    assert pat_settings.trusted_proxy_count == 0
    assert pat_settings.trusted_proxy_networks == ()


@pytest.mark.parametrize("method", SAFE)
def test_read_only_allows_safe_methods(method: str) -> None:
    assert pat_settings.types["read_only"].allows_method(method)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_read_only_refuses_unsafe_methods(method: str) -> None:
    assert not pat_settings.types["read_only"].allows_method(method)


@pytest.mark.parametrize("method", [*SAFE, "POST", "PUT", "PATCH", "DELETE"])
def test_read_write_allows_every_method(method: str) -> None:
    assert pat_settings.types["read_write"].allows_method(method)


@pytest.mark.parametrize(
    ("child", "parent", "within"),
    [
        ("read_only", "read_write", True),
        ("read_write", "read_only", False),
        ("read_only", "read_only", True),
        ("read_write", "read_write", True),
    ],
)
def test_type_within(child: str, parent: str, within: bool) -> None:
    types = pat_settings.types

    assert types[child].within(types[parent]) is within


# --- every bad value is reported ----------------------------------------------

RO = {"methods": SAFE}
RW = {"methods": "*"}

BAD_SETTINGS: list[tuple[str, Any, str]] = [
    # (id, DJANGO_PAT value, text the message must contain)
    ("not a dict", ["TOKEN_PREFIX"], "DJANGO_PAT must be a dict"),
    ("None", None, "DJANGO_PAT must be a dict"),
    ("unknown key", {"TOKEN_PREFX": "pat"}, "TOKEN_PREFX"),
    ("lower-case key", {"token_prefix": "pat"}, "token_prefix"),
    ("prefix upper case", {"TOKEN_PREFIX": "PAT"}, "TOKEN_PREFIX"),
    ("prefix empty", {"TOKEN_PREFIX": ""}, "TOKEN_PREFIX"),
    ("prefix one letter", {"TOKEN_PREFIX": "p"}, "TOKEN_PREFIX"),
    ("prefix too long", {"TOKEN_PREFIX": "a" * 17}, "TOKEN_PREFIX"),
    ("prefix with underscore", {"TOKEN_PREFIX": "pat_"}, "TOKEN_PREFIX"),
    ("prefix starts with digit", {"TOKEN_PREFIX": "1pat"}, "TOKEN_PREFIX"),
    ("prefix not a string", {"TOKEN_PREFIX": 5}, "TOKEN_PREFIX"),
    ("prefix None", {"TOKEN_PREFIX": None}, "TOKEN_PREFIX"),
    ("types empty", {"TYPES": {}}, "TYPES"),
    ("types a list", {"TYPES": ["read_only"]}, "TYPES"),
    ("type spec a string", {"TYPES": {"read_write": "*"}}, "read_write"),
    ("type without methods", {"TYPES": {"read_write": {}}}, "methods"),
    ("methods a string", {"TYPES": {"read_write": {"methods": "GET"}}}, "methods"),
    ("methods empty", {"TYPES": {"read_write": {"methods": []}}}, "methods"),
    ("methods lower case", {"TYPES": {"read_write": {"methods": ["get"]}}}, "methods"),
    ("methods unknown", {"TYPES": {"read_write": {"methods": ["FETCH"]}}}, "methods"),
    ("methods nested", {"TYPES": {"read_write": {"methods": [["GET"]]}}}, "methods"),
    ("type unknown key", {"TYPES": {"read_write": {**RW, "lifetime": 5}}}, "lifetime"),
    ("type name empty", {"TYPES": {"": RW, "read_write": RW}}, "type names"),
    ("type name too long", {"TYPES": {"x" * 33: RW, "read_write": RW}}, "type names"),
    ("type name not a string", {"TYPES": {1: RW, "read_write": RW}}, "type names"),
    ("default type unknown", {"DEFAULT_TYPE": "admin"}, "DEFAULT_TYPE"),
    ("default type None", {"DEFAULT_TYPE": None}, "DEFAULT_TYPE"),
    ("default type a list", {"DEFAULT_TYPE": ["read_only"]}, "DEFAULT_TYPE"),
    (
        "default type missing from custom types",
        {"TYPES": {"read_only": RO}},
        "DEFAULT_TYPE",
    ),
    ("default lifetime an int", {"DEFAULT_LIFETIME": 90}, "DEFAULT_LIFETIME"),
    ("default lifetime a string", {"DEFAULT_LIFETIME": "90 days"}, "DEFAULT_LIFETIME"),
    ("default lifetime zero", {"DEFAULT_LIFETIME": timedelta(0)}, "DEFAULT_LIFETIME"),
    ("default lifetime negative", {"DEFAULT_LIFETIME": timedelta(days=-1)}, "DEFAULT_LIFETIME"),
    ("max lifetime an int", {"MAX_LIFETIME": 365}, "MAX_LIFETIME"),
    ("max lifetime zero", {"MAX_LIFETIME": timedelta(0)}, "MAX_LIFETIME"),
    ("interval an int", {"LAST_USED_UPDATE_INTERVAL": 60}, "LAST_USED_UPDATE_INTERVAL"),
    ("interval None", {"LAST_USED_UPDATE_INTERVAL": None}, "LAST_USED_UPDATE_INTERVAL"),
    (
        "interval negative",
        {"LAST_USED_UPDATE_INTERVAL": timedelta(seconds=-1)},
        "LAST_USED_UPDATE_INTERVAL",
    ),
    (
        "type default lifetime an int",
        {"TYPES": {"read_write": {**RW, "default_lifetime": 7}}},
        "default_lifetime",
    ),
    (
        "type max lifetime zero",
        {"TYPES": {"read_write": {**RW, "max_lifetime": timedelta(0)}}},
        "max_lifetime",
    ),
    ("default above max", {"DEFAULT_LIFETIME": timedelta(days=400)}, "default"),
    (
        "default above lowered max",
        {"MAX_LIFETIME": timedelta(days=30)},
        "maximum",
    ),
    (
        "no default but a max",
        {"DEFAULT_LIFETIME": None, "MAX_LIFETIME": timedelta(days=30)},
        "maximum",
    ),
    (
        "type default above type max",
        {
            "TYPES": {
                "read_write": {
                    **RW,
                    "default_lifetime": timedelta(days=30),
                    "max_lifetime": timedelta(days=7),
                }
            }
        },
        "read_write",
    ),
    (
        "type default above global max",
        {"TYPES": {"read_write": {**RW, "default_lifetime": timedelta(days=400)}}},
        "read_write",
    ),
    ("cap zero", {"MAX_ACTIVE_TOKENS_PER_USER": 0}, "MAX_ACTIVE_TOKENS_PER_USER"),
    ("cap negative", {"MAX_ACTIVE_TOKENS_PER_USER": -1}, "MAX_ACTIVE_TOKENS_PER_USER"),
    ("cap a string", {"MAX_ACTIVE_TOKENS_PER_USER": "100"}, "MAX_ACTIVE_TOKENS_PER_USER"),
    ("cap a float", {"MAX_ACTIVE_TOKENS_PER_USER": 1.5}, "MAX_ACTIVE_TOKENS_PER_USER"),
    ("cap a boolean", {"MAX_ACTIVE_TOKENS_PER_USER": True}, "MAX_ACTIVE_TOKENS_PER_USER"),
    ("proxies negative", {"TRUSTED_PROXIES": -1}, "TRUSTED_PROXIES"),
    ("proxies a boolean", {"TRUSTED_PROXIES": True}, "TRUSTED_PROXIES"),
    ("proxies a float", {"TRUSTED_PROXIES": 1.5}, "TRUSTED_PROXIES"),
    ("proxies None", {"TRUSTED_PROXIES": None}, "TRUSTED_PROXIES"),
    ("proxies a bare string", {"TRUSTED_PROXIES": "10.0.0.1"}, "TRUSTED_PROXIES"),
    ("proxies a set", {"TRUSTED_PROXIES": {"10.0.0.1"}}, "TRUSTED_PROXIES"),
    ("proxies not an address", {"TRUSTED_PROXIES": ["proxy.internal"]}, "proxy.internal"),
    ("proxies host bits set", {"TRUSTED_PROXIES": ["10.0.0.5/8"]}, "10.0.0.5/8"),
    ("proxies entry a number", {"TRUSTED_PROXIES": ["10.0.0.1", 10]}, "[10]"),
    ("cache not configured", {"CACHE": "redis"}, "'redis'"),
    ("cache empty", {"CACHE": ""}, "CACHE"),
    ("cache a number", {"CACHE": 1}, "CACHE"),
    ("cache a list", {"CACHE": ["default"]}, "CACHE"),
    ("revoke on deactivation None", {"REVOKE_ON_USER_DEACTIVATION": None}, "REVOKE_ON_USER"),
    ("revoke on deactivation 1", {"REVOKE_ON_USER_DEACTIVATION": 1}, "REVOKE_ON_USER"),
    ("revoke on deactivation a string", {"REVOKE_ON_USER_DEACTIVATION": "yes"}, "REVOKE_ON"),
    ("revoke on password None", {"REVOKE_ON_PASSWORD_CHANGE": None}, "REVOKE_ON_PASSWORD"),
    ("revoke on password 1", {"REVOKE_ON_PASSWORD_CHANGE": 1}, "REVOKE_ON_PASSWORD"),
    ("revoke on password a string", {"REVOKE_ON_PASSWORD_CHANGE": "no"}, "REVOKE_ON_PASSWORD"),
    ("cache in process None", {"CACHE_IN_PROCESS": None}, "CACHE_IN_PROCESS"),
    ("cache in process 0", {"CACHE_IN_PROCESS": 0}, "CACHE_IN_PROCESS"),
    ("scopes a list", {"SCOPES": ["packages:read"]}, "SCOPES'] must be a dict"),
    ("scopes None", {"SCOPES": None}, "SCOPES'] must be a dict"),
    ("scope upper case", {"SCOPES": {"Packages": "x"}}, "'Packages' must start with a letter"),
    ("scope starts with digit", {"SCOPES": {"1pkg": "x"}}, "'1pkg' must start with a letter"),
    ("scope with space", {"SCOPES": {"a b": "x"}}, "'a b' must start with a letter and hold"),
    ("scope with slash", {"SCOPES": {"a/b": "x"}}, "'a/b' must start"),
    ("scope empty", {"SCOPES": {"": "x"}}, "scope name '' is empty"),
    ("scope too long", {"SCOPES": {"a" * 65: "x"}}, "65 characters long; at most 64"),
    ("scope not a string", {"SCOPES": {1: "x"}}, "scope name 1 must be a string"),
    ("scope the app's own", {"SCOPES": {"tokens:read": "x"}}, "one of the app's own scopes"),
    ("scope description None", {"SCOPES": {"pkg": None}}, "['pkg'] must be a one-line"),
    ("scope description blank", {"SCOPES": {"pkg": " "}}, "['pkg'] must be a one-line"),
    ("scope description two lines", {"SCOPES": {"pkg": "Read.\nWrite."}}, "no line break"),
    ("default scopes a string", {"DEFAULT_SCOPES": "tokens:read"}, "DEFAULT_SCOPES'] must be"),
    ("default scopes numbers", {"DEFAULT_SCOPES": [1]}, "DEFAULT_SCOPES'] must be"),
    ("default scope unknown", {"DEFAULT_SCOPES": ["pkg"]}, "names 'pkg', not among the scopes"),
    ("default scope twice", {"DEFAULT_SCOPES": ["tokens:read"] * 2}, "'tokens:read' twice"),
    ("dormant zero", {"DORMANT_AFTER_DAYS": 0}, "DORMANT_AFTER_DAYS"),
    ("dormant negative", {"DORMANT_AFTER_DAYS": -30}, "DORMANT_AFTER_DAYS"),
    ("dormant a timedelta", {"DORMANT_AFTER_DAYS": timedelta(days=30)}, "DORMANT_AFTER_DAYS"),
    ("dormant a string", {"DORMANT_AFTER_DAYS": "30"}, "DORMANT_AFTER_DAYS"),
    ("dormant a boolean", {"DORMANT_AFTER_DAYS": True}, "DORMANT_AFTER_DAYS"),
    ("dormant a float", {"DORMANT_AFTER_DAYS": 1.5}, "DORMANT_AFTER_DAYS"),
    ("dormant absurd", {"DORMANT_AFTER_DAYS": 10**9}, "DORMANT_AFTER_DAYS"),
    (
        "dormant within the last-used interval",
        {"DORMANT_AFTER_DAYS": 1, "LAST_USED_UPDATE_INTERVAL": timedelta(days=1)},
        "LAST_USED_UPDATE_INTERVAL",
    ),
    ("notice days an int", {"EXPIRY_NOTICE_DAYS": 7}, "EXPIRY_NOTICE_DAYS"),
    ("notice days None", {"EXPIRY_NOTICE_DAYS": None}, "EXPIRY_NOTICE_DAYS"),
    ("notice days a string", {"EXPIRY_NOTICE_DAYS": "30,7"}, "EXPIRY_NOTICE_DAYS"),
    ("notice day zero", {"EXPIRY_NOTICE_DAYS": [30, 0]}, "EXPIRY_NOTICE_DAYS"),
    ("notice day a string", {"EXPIRY_NOTICE_DAYS": ["7"]}, "EXPIRY_NOTICE_DAYS"),
    ("notice day nested", {"EXPIRY_NOTICE_DAYS": [[7]]}, "EXPIRY_NOTICE_DAYS"),
    ("notice days repeated", {"EXPIRY_NOTICE_DAYS": [7, 1, 7]}, "repeats"),
    ("site url without scheme", {"SITE_URL": "example.com"}, "SITE_URL"),
    ("site url ftp", {"SITE_URL": "ftp://example.com"}, "SITE_URL"),
    ("site url no host", {"SITE_URL": "https://"}, "SITE_URL"),
    ("site url with query", {"SITE_URL": "https://example.com/?a=1"}, "SITE_URL"),
    ("site url with fragment", {"SITE_URL": "https://example.com/#top"}, "SITE_URL"),
    ("site url with password", {"SITE_URL": "https://u:p@example.com"}, "SITE_URL"),
    ("site url bad port", {"SITE_URL": "https://example.com:http"}, "SITE_URL"),
    ("site url with spaces", {"SITE_URL": " https://example.com"}, "SITE_URL"),
    ("site url a list", {"SITE_URL": ["https://example.com"]}, "SITE_URL"),
]

BAD_IDS = [case[0] for case in BAD_SETTINGS]
BAD_VALUES = [case[1:] for case in BAD_SETTINGS]


@pytest.mark.parametrize(("raw", "fragment"), BAD_VALUES, ids=BAD_IDS)
def test_problems_reports_bad_value(raw: Any, fragment: str) -> None:
    found = problems(raw)

    assert found, f"{raw!r} was not reported"
    assert any(fragment in message for message in found), found


@pytest.mark.parametrize(("raw", "fragment"), BAD_VALUES, ids=BAD_IDS)
def test_problems_are_one_sentence_each(raw: Any, fragment: str) -> None:
    for message in problems(raw):
        assert is_one_sentence(message), message


@pytest.mark.parametrize(("raw", "fragment"), BAD_VALUES, ids=BAD_IDS)
def test_system_check_reports_bad_value_as_e001(settings: Any, raw: Any, fragment: str) -> None:
    settings.DJANGO_PAT = raw

    errors = pat_errors()

    assert errors
    assert {error.id for error in errors} == {CHECK_ID}
    assert all(error.level == checks.ERROR for error in errors)
    assert any(fragment in error.msg for error in errors)


def test_system_check_messages_are_the_problems(settings: Any) -> None:
    raw = {"TOKEN_PREFIX": "PAT", "MAX_ACTIVE_TOKENS_PER_USER": 0, "TRUSTED_PROXIES": -1}
    settings.DJANGO_PAT = raw

    assert [error.msg for error in pat_errors()] == problems(raw)
    assert len(problems(raw)) == 3


def test_every_bad_key_is_reported_at_once() -> None:
    found = problems(
        {
            "TOKEN_PREFIX": "PAT",
            "DEFAULT_LIFETIME": 90,
            "MAX_ACTIVE_TOKENS_PER_USER": 0,
            "TRUSTED_PROXIES": "10.0.0.1",
            "UNKNOWN": 1,
        }
    )

    for key in (
        "TOKEN_PREFIX",
        "DEFAULT_LIFETIME",
        "MAX_ACTIVE_TOKENS_PER_USER",
        "TRUSTED_PROXIES",
        "UNKNOWN",
    ):
        assert any(key in message for message in found), (key, found)


@pytest.mark.parametrize(
    "raw",
    [
        {"TOKEN_PREFIX": "acme"},
        {"TOKEN_PREFIX": "ab"},
        {"TOKEN_PREFIX": "a" * 16},
        {"DEFAULT_LIFETIME": None, "MAX_LIFETIME": None},
        {"DEFAULT_LIFETIME": timedelta(days=30), "MAX_LIFETIME": timedelta(days=30)},
        {"MAX_LIFETIME": None},
        {"MAX_ACTIVE_TOKENS_PER_USER": None},
        {"MAX_ACTIVE_TOKENS_PER_USER": 1},
        {"LAST_USED_UPDATE_INTERVAL": timedelta(hours=1)},
        {"TRUSTED_PROXIES": 0},
        {"TRUSTED_PROXIES": 2},
        {"TRUSTED_PROXIES": ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]},
        {"TRUSTED_PROXIES": ("10.0.0.1",)},
        {"REVOKE_ON_USER_DEACTIVATION": True},
        {"REVOKE_ON_USER_DEACTIVATION": False},
        {"REVOKE_ON_PASSWORD_CHANGE": True},
        {"REVOKE_ON_PASSWORD_CHANGE": False},
        {"CACHE_IN_PROCESS": False},
        {"DORMANT_AFTER_DAYS": None},
        {"DORMANT_AFTER_DAYS": 1},
        {"DORMANT_AFTER_DAYS": 90, "LAST_USED_UPDATE_INTERVAL": timedelta(days=1)},
        {"EXPIRY_NOTICE_DAYS": []},
        {"EXPIRY_NOTICE_DAYS": (14,)},
        {"EXPIRY_NOTICE_DAYS": [1, 30, 7]},
        {"SITE_URL": None},
        {"SITE_URL": "https://example.com"},
        {"SITE_URL": "http://127.0.0.1:8000/"},
        {"SITE_URL": "https://example.com/tools"},
        {"TYPES": {"admin": {"methods": "*"}}, "DEFAULT_TYPE": "admin"},
        {"SCOPES": {"packages:read": "Download packages.", "a" * 64: "Long."}},
        {"DEFAULT_SCOPES": []},
        {"DEFAULT_SCOPES": ["tokens:read"]},
        {"SCOPES": {"pkg": "Packages."}, "DEFAULT_SCOPES": ("pkg", "tokens:rotate")},
        {"TYPES": {"read_write": {"methods": ("GET", "POST")}}},
        {
            "TYPES": {
                "read_only": {**RO, "default_lifetime": timedelta(days=7)},
                "read_write": {**RW, "max_lifetime": None, "default_lifetime": None},
            }
        },
    ],
)
def test_valid_settings_have_no_problem(settings: Any, raw: dict[str, Any]) -> None:
    settings.DJANGO_PAT = raw

    assert problems(raw) == []
    assert pat_errors() == []


def test_using_invalid_settings_raises_improperly_configured(settings: Any) -> None:
    settings.DJANGO_PAT = {"TOKEN_PREFIX": "PAT"}

    with pytest.raises(ImproperlyConfigured, match="TOKEN_PREFIX"):
        pat_settings.token_prefix  # noqa: B018


# --- reloading ----------------------------------------------------------------


def test_settings_fixture_reloads_pat_settings(settings: Any) -> None:
    assert pat_settings.token_prefix == "pat"

    settings.DJANGO_PAT = {"TOKEN_PREFIX": "acme", "MAX_ACTIVE_TOKENS_PER_USER": 3}

    assert pat_settings.token_prefix == "acme"
    assert pat_settings.max_active_tokens_per_user == 3


def test_override_settings_reloads_and_restores() -> None:
    with override_settings(DJANGO_PAT={"LAST_USED_UPDATE_INTERVAL": timedelta(minutes=5)}):
        assert pat_settings.last_used_update_interval == timedelta(minutes=5)

    assert pat_settings.last_used_update_interval == timedelta(seconds=60)


def test_override_of_another_setting_keeps_pat_settings(settings: Any) -> None:
    settings.DJANGO_PAT = {"TOKEN_PREFIX": "acme"}

    with override_settings(USE_TZ=True, SECRET_KEY="another"):
        assert pat_settings.token_prefix == "acme"


def test_trusted_proxy_count_is_loaded(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": 2}

    assert pat_settings.trusted_proxy_count == 2
    assert pat_settings.trusted_proxy_networks == ()


def test_trusted_proxy_networks_are_loaded(settings: Any) -> None:
    settings.DJANGO_PAT = {"TRUSTED_PROXIES": ["10.0.0.0/8", "2001:db8::1"]}

    assert pat_settings.trusted_proxy_count == 0
    assert [str(n) for n in pat_settings.trusted_proxy_networks] == [
        "10.0.0.0/8",
        "2001:db8::1/128",
    ]


def test_new_prefix_is_used_for_new_tokens(
    settings: Any, make_token: Callable[..., tuple[PersonalAccessToken, str]]
) -> None:
    settings.DJANGO_PAT = {"TOKEN_PREFIX": "acme"}

    token, secret = make_token()

    assert secret.startswith("acme_")
    assert token.display_prefix.startswith("acme_")


# --- lifetimes per type -------------------------------------------------------

PER_TYPE = {
    "TYPES": {
        "read_only": {
            **RO,
            "default_lifetime": timedelta(days=7),
            "max_lifetime": timedelta(days=30),
        },
        "read_write": RW,
    },
    "DEFAULT_LIFETIME": timedelta(days=20),
}


def test_type_lifetimes_override_the_global_ones(settings: Any) -> None:
    settings.DJANGO_PAT = PER_TYPE

    read_only = pat_settings.types["read_only"]
    assert read_only.default_lifetime == timedelta(days=7)
    assert read_only.max_lifetime == timedelta(days=30)


def test_type_without_lifetimes_takes_the_global_ones(settings: Any) -> None:
    settings.DJANGO_PAT = PER_TYPE

    read_write = pat_settings.types["read_write"]
    assert read_write.default_lifetime == timedelta(days=20)
    assert read_write.max_lifetime == timedelta(days=365)


def test_type_may_lift_the_global_maximum(settings: Any) -> None:
    settings.DJANGO_PAT = {
        "TYPES": {
            "read_only": RO,
            "read_write": {**RW, "default_lifetime": None, "max_lifetime": None},
        }
    }

    assert pat_settings.types["read_write"].max_lifetime is None
    assert pat_settings.types["read_write"].default_lifetime is None
    assert pat_settings.types["read_only"].max_lifetime == timedelta(days=365)


def test_provision_uses_the_type_default_lifetime(
    settings: Any, make_token: Callable[..., tuple[PersonalAccessToken, str]]
) -> None:
    settings.DJANGO_PAT = PER_TYPE
    before = timezone.now()

    read_only, _ = make_token(type="read_only")
    read_write, _ = make_token(type="read_write")

    after = timezone.now()
    assert read_only.expire_at is not None
    assert read_write.expire_at is not None
    assert before + timedelta(days=7) <= read_only.expire_at <= after + timedelta(days=7)
    assert before + timedelta(days=20) <= read_write.expire_at <= after + timedelta(days=20)


def test_bad_settings_reach_manage_py_check_as_errors_not_a_traceback(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "bad_settings.py").write_text(
        "from tests.settings import *\n"
        "DJANGO_PAT = {'TOKEN_PREFIX': 'Bad_Prefix', 'TYPES': {'x': {'methods': ['get']}}}\n"
    )
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bad_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "check"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "django_pat.E001" in result.stderr
    assert "TOKEN_PREFIX" in result.stderr
    assert "Traceback" not in result.stderr


# --- scopes ---------------------------------------------------------------------


def test_the_apps_own_scopes_are_always_there(settings: Any) -> None:
    assert list(pat_settings.scopes) == ["tokens:read", "tokens:write", "tokens:rotate"]
    assert pat_settings.default_scopes is None

    settings.DJANGO_PAT = {
        "SCOPES": {"packages:write": "Publish.", "packages:read": "Download."},
        "DEFAULT_SCOPES": ["packages:read", "tokens:read"],
    }

    assert list(pat_settings.scopes) == [
        "tokens:read",
        "tokens:write",
        "tokens:rotate",
        "packages:write",
        "packages:read",
    ]
    assert pat_settings.scopes["packages:read"] == "Download."
    assert pat_settings.default_scopes == ["packages:read", "tokens:read"]
