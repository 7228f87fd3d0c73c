"""The token lifecycle (CONTRACT 9.1, 9.4): description, state, why and by
whom a token was revoked, where it was last used from, and dormancy; on the
model, in authentication and through the endpoints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from django_pat.lifecycle import RevokedReason
from django_pat.models import PersonalAccessToken
from django_pat.signals import authentication_failed, token_revoked
from django_pat.verification import GENERIC_MESSAGE, TokenRejected
from tests.conftest import LIST_URL, detail_url
from tests.test_authentication import bearer_request, set_fields, stored, verify
from tests.test_models import capture
from tests.test_views import CONTRACT_FIELDS, LIFECYCLE_FIELDS, assert_error, post_json

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
ClientFor = Callable[..., APIClient]

DORMANT_AFTER_30 = {"DJANGO_PAT": {"DORMANT_AFTER_DAYS": 30}}


def ago(**kwargs: float):
    return timezone.now() - timedelta(**kwargs)


# --- description -------------------------------------------------------------


def test_description_is_empty_unless_given(make_token: MakeToken, api: APIClient) -> None:
    token, _ = make_token()

    assert token.description == ""
    assert api.get(detail_url(token.pk)).json()["description"] == ""


def test_provisioning_takes_a_description_trimmed(api: APIClient) -> None:
    note = "Deploys the docs.\nRotate in March.\tAsk Ana."

    response = post_json(api, {"name": "docs", "description": f"  {note}\n"})

    assert response.status_code == 200, response.json()
    assert response.json()["description"] == note
    assert PersonalAccessToken.objects.get(name="docs").description == note


def test_a_description_of_1000_characters_is_allowed(api: APIClient) -> None:
    response = post_json(api, {"name": "long", "description": "é" * 1000})

    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    ("description", "says"),
    [
        ("x" * 1001, "1001 characters long; at most 1000"),
        (None, "may not be null"),
        (7, "Must be a string, not a number"),
        (["a"], "Must be a string, not an array"),
        ({"a": 1}, "Must be a string, not an object"),
        (True, "Must be a string, not a boolean"),
        ("a\x00b", "Null characters are not allowed"),
        ("bell\x07", "control character U+0007"),
        ("\ud800", "U+D800"),
    ],
    ids=["1001", "null", "number", "array", "object", "boolean", "nul", "bell", "surrogate"],
)
def test_a_bad_description_is_a_400_naming_it(api: APIClient, description: Any, says: str) -> None:
    response = post_json(api, {"name": "bad", "description": description})

    body = assert_error(response, 400, {"description"})
    assert says in body["errors"]["description"][0]
    assert not PersonalAccessToken.objects.filter(name="bad").exists()


@pytest.mark.parametrize(
    ("description", "says"),
    [
        ("y" * 1001, "at most 1000"),
        (None, "must be a string"),
        ("a\x00b", "control character U+0000"),
        ("\x1b[31mred", "control character U+001B"),
        ("\udfff", "surrogate U+DFFF"),
    ],
    ids=["long", "none", "nul", "escape", "surrogate"],
)
def test_provision_refuses_a_bad_description_in_python(
    user: User, description: Any, says: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name="x", description=description)

    assert set(raised.value.message_dict) == {"description"}
    assert says in raised.value.message_dict["description"][0]
    assert not PersonalAccessToken.objects.exists()


# --- state ---------------------------------------------------------------------


def test_a_new_token_is_active(make_token: MakeToken) -> None:
    token, _ = make_token()

    assert (token.state, token.is_active()) == ("active", True)


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"revoked_at": timezone.now(), "revoked_reason": "owner"}, "revoked"),
        ({"expire_at": timezone.now() - timedelta(seconds=1)}, "expired"),
        # Revoked wins over expired: it says what someone did.
        (
            {
                "revoked_at": timezone.now(),
                "revoked_reason": "staff",
                "expire_at": timezone.now() - timedelta(days=1),
            },
            "revoked",
        ),
    ],
    ids=["revoked", "expired", "revoked-and-expired"],
)
def test_state_says_why_a_token_does_not_work(
    make_token: MakeToken, api: APIClient, fields: dict[str, Any], state: str
) -> None:
    token, _ = make_token()
    set_fields(token, **fields)

    body = api.get(detail_url(token.pk)).json()

    assert (body["state"], body["active"]) == (state, False)
    assert stored(token).state == state


def test_a_deactivated_users_token_reads_dormant(make_token: MakeToken, user: User) -> None:
    token, _ = make_token()
    user.is_active = False
    user.save()

    token = stored(token)

    assert (token.state, token.is_active(), token.status) == ("dormant", False, "user_inactive")


def test_active_is_true_exactly_when_state_is_active_in_every_response(
    make_token: MakeToken, api: APIClient
) -> None:
    make_token(name="revoked")[0].revoke()
    set_fields(make_token(name="expired")[0], expire_at=ago(seconds=1))

    listed = api.get(LIST_URL).json()

    assert {item["state"] for item in listed} == {"active", "revoked", "expired"}
    for item in listed:
        assert item["active"] is (item["state"] == "active")


# --- revokedReason, revokedAt, who revoked ------------------------------------


def test_revoking_through_the_api_records_the_owner(
    token: tuple[PersonalAccessToken, str], api: APIClient, user: User
) -> None:
    victim = PersonalAccessToken.objects.provision(user, name="victim")[0]

    assert api.delete(detail_url(victim.pk)).status_code == 200

    body = api.get(detail_url(victim.pk)).json()
    assert body["revokedReason"] == "owner"
    assert body["revokedAt"] is not None
    assert (body["state"], body["active"]) == ("revoked", False)
    victim = stored(victim)
    assert (victim.revoked_reason, victim.revoked_by) == ("owner", user)


def test_who_revoked_is_never_in_the_api(
    token: tuple[PersonalAccessToken, str],
    session_api: APIClient,
    make_staff: Callable[..., User],
) -> None:
    staff = make_staff("carol", superuser=True)
    token[0].revoke("staff", by=staff)

    response = session_api.get(detail_url(token[0].pk))

    assert response.json()["revokedReason"] == "staff"
    assert set(response.json()) == {*CONTRACT_FIELDS, "displayPrefix", *LIFECYCLE_FIELDS}
    assert "carol" not in response.content.decode()


def test_a_token_not_revoked_has_no_reason(api: APIClient, token) -> None:
    body = api.get(detail_url(token[0].pk)).json()

    assert (body["revokedAt"], body["revokedReason"]) == (None, None)


def test_revoke_stores_and_signals_the_reason_and_who(
    make_token: MakeToken, make_staff: Callable[..., User], django_capture_on_commit_callbacks
) -> None:
    token, _ = make_token()
    staff = make_staff("carol", superuser=True)

    with capture(token_revoked) as sent, django_capture_on_commit_callbacks(execute=True):
        assert token.revoke("staff", by=staff)
        assert not token.revoke("owner")

    [signal] = sent
    assert (signal["reason"], signal["revoked_by"]) == ("staff", staff)
    token = stored(token)
    # The first revocation stands: a second one changes nothing.
    assert (token.revoked_reason, token.revoked_by) == ("staff", staff)


def test_revoke_refuses_an_unknown_reason(make_token: MakeToken) -> None:
    token, _ = make_token()

    with pytest.raises(ValueError, match="'oops' is not a reason"):
        token.revoke("oops")

    assert stored(token).revoked_at is None


def test_every_reason_the_contract_names_and_no_other() -> None:
    assert set(RevokedReason.values) == {
        "owner",
        "staff",
        "rotated",
        "leaked",
        "user_deactivated",
        "command",
    }


def test_pat_revoke_records_the_command(make_token: MakeToken) -> None:
    token, _ = make_token()

    call_command("pat_revoke", str(token.pk), stdout=open("/dev/null", "w"))  # noqa: SIM115

    token = stored(token)
    assert (token.revoked_reason, token.revoked_by) == ("command", None)


@pytest.mark.parametrize(
    "setting", ["REVOKE_ON_USER_DEACTIVATION", "REVOKE_ON_PASSWORD_CHANGE"], ids=str.lower
)
def test_account_changes_revoke_with_reason_user_deactivated(
    make_token: MakeToken, user: User, setting: str
) -> None:
    token, _ = make_token()

    with override_settings(DJANGO_PAT={setting: True}):
        if setting == "REVOKE_ON_USER_DEACTIVATION":
            user.is_active = False
        else:
            user.set_password("a new one")
        user.save()

    token = stored(token)
    assert (token.state, token.revoked_reason, token.revoked_by) == (
        "revoked",
        "user_deactivated",
        None,
    )


def test_the_database_refuses_a_reason_on_a_token_not_revoked(make_token: MakeToken) -> None:
    token, _ = make_token()

    with pytest.raises(IntegrityError), transaction.atomic():
        set_fields(token, revoked_reason="owner")


# --- lastUsedIp ----------------------------------------------------------------


def test_last_used_ip_is_the_callers_address(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor
) -> None:
    client = client_for(token[1], REMOTE_ADDR="198.51.100.23")

    body = client.get(detail_url(token[0].pk)).json()

    assert body["lastUsedIp"] == "198.51.100.23"
    assert stored(token[0]).last_used_ip == "198.51.100.23"


@override_settings(DJANGO_PAT={"TRUSTED_PROXIES": ["10.0.0.0/8"]})
def test_last_used_ip_follows_the_trusted_proxies(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor
) -> None:
    client = client_for(
        token[1], REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50, 2001:db8::7"
    )

    assert client.get(LIST_URL).status_code == 200

    assert stored(token[0]).last_used_ip == "2001:db8::7"


def test_last_used_ip_of_an_ipv4_mapped_client_is_the_ipv4_address(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor
) -> None:
    assert client_for(token[1], REMOTE_ADDR="::ffff:192.0.2.7").get(LIST_URL).status_code == 200

    assert stored(token[0]).last_used_ip == "192.0.2.7"


def test_last_used_ip_moves_with_last_used_at_and_only_then(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor
) -> None:
    client_for(token[1], REMOTE_ADDR="192.0.2.1").get(LIST_URL)
    # Within the interval: neither is written again.
    client_for(token[1], REMOTE_ADDR="192.0.2.2").get(LIST_URL)
    assert stored(token[0]).last_used_ip == "192.0.2.1"

    set_fields(token[0], last_used_at=ago(minutes=2))
    client_for(token[1], REMOTE_ADDR="192.0.2.3").get(LIST_URL)

    assert stored(token[0]).last_used_ip == "192.0.2.3"


def test_a_refused_use_records_no_address(make_token: MakeToken, client_for: ClientFor) -> None:
    token, secret = make_token(ip_restriction="192.0.2.0/24")

    assert client_for(secret, REMOTE_ADDR="203.0.113.9").get(LIST_URL).status_code == 403

    assert (stored(token).last_used_at, stored(token).last_used_ip) == (None, None)


def test_last_used_ip_is_written_by_the_one_conditional_update(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    set_fields(token[0], last_used_at=ago(hours=1), last_used_ip="192.0.2.99")

    with django_assert_num_queries(2) as queries:
        verify(bearer_request(rf, token[1], remote_addr="2001:db8::1"), token[1])

    select, update = (query["sql"].upper() for query in queries.captured_queries)
    assert select.lstrip().startswith("SELECT")
    assert update.lstrip().startswith("UPDATE")
    set_part, where = update.split("WHERE", 1)
    assert "LAST_USED_IP" in set_part
    assert "LAST_USED_AT" in set_part
    assert "LAST_USED_AT" in where
    assert stored(token[0]).last_used_ip == "2001:db8::1"


def test_an_authenticated_request_still_costs_one_query_within_the_interval(
    rf: RequestFactory, token: tuple[PersonalAccessToken, str], django_assert_num_queries: Any
) -> None:
    set_fields(token[0], last_used_at=timezone.now(), last_used_ip="192.0.2.1")

    with django_assert_num_queries(1):
        found = verify(bearer_request(rf, token[1], remote_addr="192.0.2.2"), token[1])

    assert found.last_used_ip == "192.0.2.1"


# --- dormancy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_used", "created", "dormant"),
    [
        (None, timedelta(days=31), True),
        (None, timedelta(days=29), False),
        (timedelta(days=31), timedelta(days=100), True),
        (timedelta(days=29), timedelta(days=100), False),
    ],
    ids=["never-used-old", "never-used-new", "used-long-ago", "used-lately"],
)
@override_settings(**DORMANT_AFTER_30)
def test_dormancy_counts_from_the_last_use_else_from_creation(
    make_token: MakeToken,
    last_used: timedelta | None,
    created: timedelta,
    dormant: bool,
) -> None:
    token, _ = make_token(expire_at=timezone.now() + timedelta(days=200))
    set_fields(
        token,
        created_at=timezone.now() - created,
        last_used_at=None if last_used is None else timezone.now() - last_used,
    )
    token = stored(token)

    assert token.is_dormant() is dormant
    assert token.state == ("dormant" if dormant else "active")
    assert PersonalAccessToken.objects.dormant().filter(pk=token.pk).exists() is dormant
    assert PersonalAccessToken.objects.active().filter(pk=token.pk).exists() is not dormant
    assert PersonalAccessToken.objects.inactive().filter(pk=token.pk).exists() is dormant


def test_dormancy_is_off_by_default(make_token: MakeToken, client_for: ClientFor) -> None:
    token, secret = make_token(expire_at=timezone.now() + timedelta(days=300))
    set_fields(token, created_at=ago(days=3000), last_used_at=ago(days=2999))

    assert client_for(secret).get(LIST_URL).status_code == 200
    assert not PersonalAccessToken.objects.dormant().exists()


@override_settings(**DORMANT_AFTER_30)
def test_a_dormant_token_is_refused_with_the_generic_401(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    token, secret = make_token()
    set_fields(token, created_at=ago(days=40), last_used_at=ago(days=31))
    failures = []
    authentication_failed.connect(
        receiver := lambda sender, **kwargs: failures.append(kwargs["reason"]), weak=False
    )
    try:
        response = client_for(secret).get(LIST_URL)
    finally:
        authentication_failed.disconnect(receiver)

    assert response.status_code == 401
    assert response.json() == {"message": GENERIC_MESSAGE, "status": 401}
    assert failures == ["dormant"]
    # A refused use does not wake it.
    assert stored(token).last_used_at < ago(days=30)


@override_settings(**DORMANT_AFTER_30)
def test_dormancy_is_checked_on_the_loaded_row_without_a_query(
    rf: RequestFactory, make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    token, secret = make_token()
    set_fields(token, last_used_at=ago(days=31))

    with django_assert_num_queries(1), pytest.raises(TokenRejected) as rejected:
        verify(bearer_request(rf, secret), secret)

    assert rejected.value.reason == "dormant"


@override_settings(**DORMANT_AFTER_30)
def test_a_token_in_use_never_goes_dormant(
    make_token: MakeToken, client_for: ClientFor, api: APIClient
) -> None:
    token, secret = make_token()
    set_fields(token, created_at=ago(days=300), last_used_at=ago(days=29))

    assert client_for(secret).get(LIST_URL).status_code == 200

    assert stored(token).last_used_at > ago(minutes=1)
    assert api.get(detail_url(token.pk)).json()["state"] == "active"


@override_settings(**DORMANT_AFTER_30)
def test_the_list_filters_dormant_tokens_as_inactive(make_token: MakeToken, api: APIClient) -> None:
    sleeper, _ = make_token(name="sleeper")
    set_fields(sleeper, created_at=ago(days=90), last_used_at=ago(days=60))

    active = {item["name"] for item in api.get(f"{LIST_URL}?active=true").json()}
    inactive = api.get(f"{LIST_URL}?active=false").json()

    assert "sleeper" not in active
    assert [(item["name"], item["state"], item["active"]) for item in inactive] == [
        ("sleeper", "dormant", False)
    ]


@override_settings(**DORMANT_AFTER_30)
def test_a_dormant_tokens_name_may_be_used_again(make_token: MakeToken, user: User) -> None:
    sleeper, _ = make_token(name="deploy")
    set_fields(sleeper, created_at=ago(days=90))

    token, _ = PersonalAccessToken.objects.provision(user, name="deploy")

    assert token.name == "deploy"


def test_refusals_query_nothing_more_for_the_new_fields(
    make_token: MakeToken, rf: RequestFactory
) -> None:
    """The one query reads the new columns with the rest: no deferred field
    is loaded later while authenticating or serialising."""
    token, secret = make_token()
    set_fields(token, last_used_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        found = verify(bearer_request(rf, secret), secret)
        read = (found.description, found.revoked_reason, found.last_used_ip, found.previous_id)
        state = found.state

    assert len(queries) == 1
    assert (read, state) == (("", "", None, None), "active")


# --- the migration -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_gives_existing_rows_the_lifecycles_values(user: User) -> None:
    from django.db.migrations.executor import MigrationExecutor

    before = [("django_pat", "0003_normalize_names")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("django_pat")
    executor.migrate(before)
    try:
        old_model = executor.loader.project_state(before).apps.get_model(
            "django_pat", "PersonalAccessToken"
        )
        now = timezone.now()
        for n, revoked_at in enumerate([None, now]):
            old_model.objects.create(
                user_id=user.pk,
                name=f"old {n}",
                type="read_write",
                digest=f"{n:064x}",
                expire_at=now + timedelta(days=10),
                last_used_at=now,
                revoked_at=revoked_at,
            )
        MigrationExecutor(connection).migrate([("django_pat", "0006_lifecycle")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    rows = PersonalAccessToken.objects.order_by("name")
    assert [
        (
            t.description,
            t.revoked_reason,
            t.revoked_by,
            t.last_used_ip,
            t.previous_id,
            t.expiry_notice_days,
            t.state,
        )
        for t in rows
    ] == [
        ("", "", None, None, None, None, "active"),
        ("", "", None, None, None, None, "revoked"),
    ]
