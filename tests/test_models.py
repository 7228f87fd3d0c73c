"""The Python API: ``PersonalAccessToken.objects.provision()``, ``revoke()``,
the queryset's names for the rules, signals, and what reaches the database."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import unicodedata
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from django_pat.models import PersonalAccessToken, normalize_name, user_can_authenticate
from django_pat.signals import token_provisioned, token_revoked
from tests.conftest import LIST_URL, detail_url, error_report, rolled_back


@contextmanager
def capture(signal):
    """Every send of ``signal`` while the block runs, as its keyword arguments."""
    received = []

    def receiver(sender, **kwargs):
        received.append({"sender": sender, **kwargs})

    signal.connect(receiver, weak=False)
    try:
        yield received
    finally:
        signal.disconnect(receiver)


def set_expiry(token: PersonalAccessToken, when: datetime | None) -> PersonalAccessToken:
    PersonalAccessToken.objects.filter(pk=token.pk).update(expire_at=when)
    token.refresh_from_db()
    return token


def ago(**kwargs: float) -> datetime:
    return timezone.now() - timedelta(**kwargs)


def ids(queryset) -> set:
    return set(queryset.values_list("pk", flat=True))


# --- provision ------------------------------------------------------------


def test_provision_returns_saved_token_and_secret(user):
    token, secret = PersonalAccessToken.objects.provision(user, name="ci")

    assert isinstance(token, PersonalAccessToken)
    assert isinstance(secret, str)
    assert secret.startswith("pat_")
    assert PersonalAccessToken.objects.get(pk=token.pk).user == user


def test_provision_secrets_differ(user):
    secrets = {PersonalAccessToken.objects.provision(user, name=f"t{n}")[1] for n in range(20)}

    assert len(secrets) == 20


def test_provision_stores_sha256_digest_of_secret(user):
    token, secret = PersonalAccessToken.objects.provision(user, name="ci")

    stored = PersonalAccessToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()


def test_provision_stores_short_display_prefix(user):
    token, secret = PersonalAccessToken.objects.provision(user, name="ci")

    stored = PersonalAccessToken.objects.get(pk=token.pk)
    assert secret.startswith(stored.display_prefix)
    assert len(stored.display_prefix) < len(secret) // 2


def test_provision_defaults(user):
    before = timezone.now()

    token, _ = PersonalAccessToken.objects.provision(user, name="ci")

    assert token.type == "read_write"
    assert token.ip_restriction == ""
    assert before + timedelta(days=90) <= token.expire_at <= timezone.now() + timedelta(days=90)
    assert token.last_used_at is None
    assert token.revoked_at is None


def test_provision_takes_every_argument(user):
    expire_at = timezone.now() + timedelta(days=7)

    token, _ = PersonalAccessToken.objects.provision(
        user,
        name=" ci ",
        type="read_only",
        ip_restriction="10.0.0.0/8, 192.0.2.7/32",
        expire_at=expire_at,
    )

    stored = PersonalAccessToken.objects.get(pk=token.pk)
    assert stored.name == "ci"
    assert stored.type == "read_only"
    assert stored.ip_restriction == "10.0.0.0/8,192.0.2.7"
    assert stored.expire_at == expire_at


def test_provision_never_expiring_when_no_maximum(user):
    with override_settings(DJANGO_PAT={"MAX_LIFETIME": None}):
        token, _ = PersonalAccessToken.objects.provision(user, name="ci", expire_at=None)

    assert token.expire_at is None
    assert token.is_active()


NOW = timezone.now()
BAD_ARGUMENTS = [
    pytest.param({"name": ""}, "name", id="name-empty"),
    pytest.param({"name": "   "}, "name", id="name-blank"),
    pytest.param({"name": "x" * 101}, "name", id="name-101"),
    pytest.param({"name": "a\x00b"}, "name", id="name-nul"),
    pytest.param({"name": "a\tb"}, "name", id="name-tab-inside"),
    pytest.param({"name": "\u200b\ufeff"}, "name", id="name-invisible-only"),
    pytest.param({"name": " \u200b \u2060 "}, "name", id="name-blank-and-invisible"),
    pytest.param({"name": "x" * 100 + "\u0301"}, "name", id="name-101-after-nfc"),
    # Input this long is refused before the (costly) normalisation.
    pytest.param({"name": "n" + "\u200b" * 400}, "name", id="name-input-over-400"),
    pytest.param({"name": 5}, "name", id="name-number"),
    pytest.param({"name": None}, "name", id="name-none"),
    pytest.param({"name": "x", "type": "admin"}, "type", id="type-unknown"),
    pytest.param({"name": "x", "type": 1}, "type", id="type-number"),
    pytest.param({"name": "x", "ip_restriction": "10.0.0.300"}, "ip_restriction", id="ip-bad"),
    pytest.param({"name": "x", "ip_restriction": "10.0.0.5/8"}, "ip_restriction", id="host-bits"),
    pytest.param({"name": "x", "ip_restriction": 10}, "ip_restriction", id="ip-number"),
    pytest.param({"name": "x", "expire_at": NOW - timedelta(days=1)}, "expire_at", id="past"),
    pytest.param(
        {"name": "x", "expire_at": NOW + timedelta(days=366)}, "expire_at", id="beyond-365-days"
    ),
    pytest.param(
        {"name": "x", "expire_at": (NOW + timedelta(days=1)).replace(tzinfo=None)},
        "expire_at",
        id="naive",
    ),
    pytest.param({"name": "x", "expire_at": "2030-01-01T00:00:00Z"}, "expire_at", id="string"),
    pytest.param({"name": "x", "expire_at": None}, "expire_at", id="never-with-maximum"),
]


@pytest.mark.parametrize(("arguments", "field"), BAD_ARGUMENTS)
def test_provision_refuses_keyed_by_field(user, arguments, field):
    with capture(token_provisioned) as sent, pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, **arguments)

    assert set(raised.value.message_dict) == {field}
    assert sent == []
    assert not PersonalAccessToken.objects.exists()


def test_provision_reports_every_bad_field_at_once(user):
    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(
            user, name="", type="admin", ip_restriction="nope", expire_at=ago(days=1)
        )

    # expire_at depends on the type; with no valid type it cannot be judged.
    assert {"name", "type", "ip_restriction"} <= set(raised.value.message_dict)


def test_provision_error_names_the_bad_entry(user):
    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name="x", ip_restriction="10.0.0.1, 10.0.0.300")

    assert "10.0.0.300" in raised.value.message_dict["ip_restriction"][0]


def test_provision_refuses_name_of_active_token(user, make_token):
    make_token(name="ci")

    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name=" ci ")

    assert set(raised.value.message_dict) == {"name"}


def test_provision_reuses_name_of_revoked_token(user, make_token):
    make_token(name="ci")[0].revoke()

    token, _ = PersonalAccessToken.objects.provision(user, name="ci")

    assert token.is_active()


def test_provision_refuses_beyond_cap(user, make_token):
    make_token()
    make_token()

    with (
        override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 2}),
        pytest.raises(ValidationError),
    ):
        PersonalAccessToken.objects.provision(user, name="third")

    assert PersonalAccessToken.objects.count() == 2


def test_provision_without_cap_has_no_limit(user, make_token):
    with override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": None}):
        for _ in range(3):
            make_token()

    assert PersonalAccessToken.objects.active().count() == 3


def test_provision_refuses_parent_of_another_user(user, other_user, make_token):
    parent, _ = make_token(other_user)

    with pytest.raises(ValueError, match="same user"):
        PersonalAccessToken.objects.provision(user, name="child", parent=parent)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"type": "read_write"}, "type"),
        ({"ip_restriction": None}, "ip_restriction"),
        ({"ip_restriction": "10.0.0.0/7"}, "ip_restriction"),
        ({"expire_at": NOW + timedelta(days=20)}, "expire_at"),
    ],
)
def test_provision_child_may_not_exceed_parent(user, make_token, arguments, field):
    parent, _ = make_token(
        name="parent",
        type="read_only",
        ip_restriction="10.0.0.0/8",
        expire_at=timezone.now() + timedelta(days=10),
    )

    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name="child", parent=parent, **arguments)

    assert set(raised.value.message_dict) == {field}


def test_provision_child_inherits_from_parent(user, make_token):
    parent, _ = make_token(
        name="parent",
        type="read_only",
        ip_restriction="10.0.0.0/8",
        expire_at=timezone.now() + timedelta(days=10),
    )

    child, _ = PersonalAccessToken.objects.provision(user, name="child", parent=parent)

    assert child.type == "read_only"
    assert child.ip_restriction == "10.0.0.0/8"
    assert child.expire_at == parent.expire_at


@pytest.mark.parametrize("parent_lifetime", [None, timedelta(days=100)], ids=["never", "100 days"])
def test_provision_child_of_a_longer_lived_parent_gets_its_types_default(
    user, make_token, parent_lifetime
):
    """A parent expiring later than the child's type allows passes on not its
    expiry but the type's default lifetime (still no later than the parent)."""
    types = {
        "read_only": {
            "methods": ["GET", "HEAD", "OPTIONS"],
            "default_lifetime": timedelta(days=7),
            "max_lifetime": timedelta(days=30),
        },
        "read_write": {"methods": "*"},
    }
    with override_settings(DJANGO_PAT={"TYPES": types, "MAX_LIFETIME": None}):
        parent, _ = make_token(
            name="parent",
            expire_at=parent_lifetime and timezone.now() + parent_lifetime,
        )
        child, _ = PersonalAccessToken.objects.provision(
            user, name="child", type="read_only", parent=parent
        )

    assert child.expire_at is not None
    assert abs(child.expire_at - (child.created_at + timedelta(days=7))) < timedelta(seconds=1)


# --- signals --------------------------------------------------------------
#
# Sent when the change commits. These tests run in a transaction that is
# rolled back at the end, so each captures the callbacks of the commit it
# stands for; test_signals_wait_for_a_real_commit commits for real.


def test_provision_sends_token_provisioned_once_on_commit(user, django_capture_on_commit_callbacks):
    with capture(token_provisioned) as sent:
        with django_capture_on_commit_callbacks() as callbacks:
            token, _ = PersonalAccessToken.objects.provision(user, name="ci")
        assert sent == []  # not before the commit
        for callback in callbacks:
            callback()

    assert sent == [
        {"sender": PersonalAccessToken, "signal": token_provisioned, "token": token, "parent": None}
    ]


def test_provisioned_signal_names_the_parent(user, make_token, django_capture_on_commit_callbacks):
    parent, _ = make_token(name="parent")

    with capture(token_provisioned) as sent, django_capture_on_commit_callbacks(execute=True):
        PersonalAccessToken.objects.provision(user, name="child", parent=parent)

    assert [signal["parent"] for signal in sent] == [parent]


def test_signals_never_carry_the_secret(user, django_capture_on_commit_callbacks):
    with (
        capture(token_provisioned) as provisioned,
        capture(token_revoked) as revoked,
        django_capture_on_commit_callbacks(execute=True),
    ):
        token, secret = PersonalAccessToken.objects.provision(user, name="ci")
        token.revoke()

    assert len(provisioned) == len(revoked) == 1
    for signal in provisioned + revoked:
        assert secret not in repr(signal)
        assert all(
            secret not in str(getattr(signal["token"], f.attname)) for f in token._meta.fields
        )


@pytest.mark.parametrize("operation", ["provision", "revoke"])
def test_no_signal_for_a_change_that_is_rolled_back(
    user, make_token, operation, django_capture_on_commit_callbacks
):
    target, _ = make_token(name="target")
    signal = token_provisioned if operation == "provision" else token_revoked

    def work() -> None:
        if operation == "provision":
            PersonalAccessToken.objects.provision(user, name="undone")
        else:
            target.revoke()

    with capture(signal) as sent, django_capture_on_commit_callbacks(execute=True):
        rolled_back(work)

    assert sent == []
    assert not PersonalAccessToken.objects.filter(name="undone").exists()
    assert PersonalAccessToken.objects.get(pk=target.pk).revoked_at is None


@pytest.mark.django_db(transaction=True)
def test_signals_wait_for_a_real_commit(user):
    """On a real transaction: nothing while it is open, nothing if it rolls
    back, each signal once when it commits."""

    def provision_and_revoke() -> None:
        undone, _ = PersonalAccessToken.objects.provision(user, name="undone")
        undone.revoke()

    with capture(token_provisioned) as provisioned, capture(token_revoked) as revoked:
        rolled_back(provision_and_revoke)
        assert provisioned == revoked == []

        with transaction.atomic():
            token, _ = PersonalAccessToken.objects.provision(user, name="kept")
            token.revoke()
            assert provisioned == revoked == []

    assert [signal["token"].pk for signal in provisioned] == [token.pk]
    assert [signal["token"].pk for signal in revoked] == [token.pk]
    assert list(PersonalAccessToken.objects.values_list("name", flat=True)) == ["kept"]


def test_a_failing_receiver_cannot_undo_a_commit(user, caplog, django_capture_on_commit_callbacks):
    """The change has committed when receivers run: an exception in one is
    logged, and the caller still gets the token."""

    def broken(sender, **kwargs):
        raise RuntimeError("audit log down")

    token_provisioned.connect(broken, weak=False)
    try:
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            token, _ = PersonalAccessToken.objects.provision(user, name="ci")
    finally:
        token_provisioned.disconnect(broken)

    assert PersonalAccessToken.objects.filter(pk=token.pk).exists()
    assert "audit log down" in caplog.text


# --- revoke ---------------------------------------------------------------


def test_revoke_sets_revoked_at_and_returns_true(token):
    before = timezone.now()

    assert token[0].revoke() is True

    stored = PersonalAccessToken.objects.get(pk=token[0].pk)
    assert before <= stored.revoked_at <= timezone.now()
    assert token[0].revoked_at == stored.revoked_at


def test_revoke_keeps_the_row(token):
    token[0].revoke()

    assert PersonalAccessToken.objects.filter(pk=token[0].pk).exists()


def test_revoke_twice_returns_false_and_keeps_first_time(token):
    token[0].revoke()
    first = PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at

    assert token[0].revoke() is False
    assert PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at == first


def test_revoke_sends_token_revoked_once(token, django_capture_on_commit_callbacks):
    with capture(token_revoked) as sent, django_capture_on_commit_callbacks(execute=True):
        token[0].revoke()
        token[0].revoke()

    assert sent == [
        {
            "sender": PersonalAccessToken,
            "signal": token_revoked,
            "token": token[0],
            "reason": "owner",
            "revoked_by": None,
        }
    ]


def test_revoke_through_stale_copy_sends_no_second_signal(
    token, django_capture_on_commit_callbacks
):
    stale = PersonalAccessToken.objects.get(pk=token[0].pk)
    with capture(token_revoked) as sent, django_capture_on_commit_callbacks(execute=True):
        token[0].revoke()
        result = stale.revoke()

    assert result is False
    assert len(sent) == 1
    assert stale.revoked_at == token[0].revoked_at


def test_revoke_through_the_endpoint_sends_one_signal(
    api, make_token, django_capture_on_commit_callbacks
):
    target, _ = make_token(name="target")

    with capture(token_revoked) as sent, django_capture_on_commit_callbacks(execute=True):
        api.delete(detail_url(target.pk))
        api.delete(detail_url(target.pk))

    assert [signal["token"].pk for signal in sent] == [target.pk]


# --- which users a token may authenticate ----------------------------------


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        (SimpleNamespace(), True),  # a user model without is_active: every user
        (SimpleNamespace(is_active=True), True),
        (SimpleNamespace(is_active=False), False),
        (SimpleNamespace(is_active=None), False),  # as is_active=True in SQL would say
    ],
    ids=["no is_active", "active", "inactive", "null"],
)
def test_user_can_authenticate(user, allowed):
    assert user_can_authenticate(user) is allowed


def test_the_token_the_queryset_and_authentication_agree_on_an_inactive_user(
    user, token, client_for
):
    user.is_active = False
    user.save()
    stored = PersonalAccessToken.objects.select_related("user").get(pk=token[0].pk)

    assert not user_can_authenticate(stored.user)
    assert not stored.is_active()
    assert stored.status == "user_inactive"
    assert not PersonalAccessToken.objects.active().filter(pk=stored.pk).exists()
    assert client_for(token[1]).get(LIST_URL).status_code == 401


# --- queryset names -------------------------------------------------------


@pytest.fixture
def population(make_token, other_user):
    """One token in every state, keyed by state."""
    live, _ = make_token(name="live")
    revoked, _ = make_token(name="revoked")
    revoked.revoke()
    expired = set_expiry(make_token(name="expired")[0], ago(seconds=1))
    revoked_and_expired, _ = make_token(name="revoked and expired")
    revoked_and_expired.revoke()
    set_expiry(revoked_and_expired, ago(seconds=1))
    never_expires = set_expiry(make_token(name="never expires")[0], None)
    theirs, _ = make_token(other_user, name="theirs")
    return {
        "live": live.pk,
        "revoked": revoked.pk,
        "expired": expired.pk,
        "revoked_and_expired": revoked_and_expired.pk,
        "never_expires": never_expires.pk,
        "theirs": theirs.pk,
    }


def pick(population, *names):
    return {population[name] for name in names}


def test_active_is_not_revoked_and_not_expired(population):
    assert ids(PersonalAccessToken.objects.active()) == pick(
        population, "live", "never_expires", "theirs"
    )


def test_inactive_is_revoked_or_expired(population):
    assert ids(PersonalAccessToken.objects.inactive()) == pick(
        population, "revoked", "expired", "revoked_and_expired"
    )


def test_revoked(population):
    assert ids(PersonalAccessToken.objects.revoked()) == pick(
        population, "revoked", "revoked_and_expired"
    )


def test_expired_is_past_expiry_and_not_revoked(population):
    assert ids(PersonalAccessToken.objects.expired()) == pick(population, "expired")


def test_for_user(population, other_user):
    assert ids(PersonalAccessToken.objects.for_user(other_user)) == pick(population, "theirs")


def test_queryset_names_chain(population, user):
    assert ids(PersonalAccessToken.objects.for_user(user).active()) == pick(
        population, "live", "never_expires"
    )
    assert ids(PersonalAccessToken.objects.active().for_user(user)) == pick(
        population, "live", "never_expires"
    )


def test_active_at_a_given_time(population):
    later = timezone.now() + timedelta(days=91)

    assert ids(PersonalAccessToken.objects.active(later)) == pick(population, "never_expires")


def test_token_expiring_now_is_expired(make_token):
    now = timezone.now()
    token = set_expiry(make_token()[0], now)

    assert ids(PersonalAccessToken.objects.expired(now)) == {token.pk}
    assert not PersonalAccessToken.objects.active(now).exists()
    assert token.is_active(now) is False


def test_inactive_users_tokens_are_not_active(user, token):
    user.is_active = False
    user.save()

    assert not PersonalAccessToken.objects.active().exists()
    assert ids(PersonalAccessToken.objects.inactive()) == {token[0].pk}
    assert PersonalAccessToken.objects.get(pk=token[0].pk).is_active() is False


@pytest.mark.parametrize(
    ("state", "is_active", "status"),
    [
        ("live", True, "active"),
        ("never_expires", True, "active"),
        ("revoked", False, "revoked"),
        ("expired", False, "expired"),
        ("revoked_and_expired", False, "revoked"),
    ],
)
def test_is_active_and_status(population, state, is_active, status):
    token = PersonalAccessToken.objects.get(pk=population[state])

    assert token.is_active() is is_active
    assert token.status == status


def test_status_of_a_deactivated_users_token(token):
    token[0].user.is_active = False

    assert token[0].is_active() is False
    assert token[0].status == "user_inactive"


# --- the secret never reaches the database ---------------------------------


def every_stored_text() -> list[str]:
    """Every value of every column of every table, as text."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        found.append(bytes(value).decode("latin-1"))
                    elif isinstance(value, dict | list):
                        found.append(json.dumps(value))
                    elif value is not None:
                        found.append(str(value))
    return found


def test_secret_never_reaches_the_database(user, make_token, client_for, session_api, api, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = [make_token(name=f"python {n}")[1] for n in range(3)]
    secrets += [
        api.post(LIST_URL, {"name": f"api {n}"}, format="json").json()["token"] for n in range(3)
    ]
    for secret in secrets:
        client = client_for(secret)
        assert client.get(LIST_URL).status_code == 200
        assert client.get(LIST_URL, {"limit": 1}).status_code == 200
    assert session_api.get(LIST_URL).status_code == 200
    first = PersonalAccessToken.objects.get(digest=hashlib.sha256(secrets[0].encode()).hexdigest())
    assert api.delete(detail_url(first.pk)).status_code == 200
    assert client_for(secrets[0]).get(LIST_URL).status_code == 401

    stored = "\n".join(every_stored_text())

    assert len(stored) > 0
    for secret in secrets:
        _prefix, _, body = secret.partition("_")
        assert secret not in stored
        # The random part beyond what the display prefix shows.
        assert body[4:] not in stored
        assert hashlib.sha256(secret.encode()).hexdigest() in stored
        assert secret not in caplog.text


def test_only_the_digest_identifies_the_token(token):
    stored = PersonalAccessToken.objects.filter(pk=token[0].pk).values().get()

    secret_fields = {
        name
        for name, value in stored.items()
        if isinstance(value, str) and len(value) >= 32 and value not in {str(token[0].pk)}
    }
    assert secret_fields == {"digest"}


# --- concurrency (needs a database with real row locks) --------------------


def provision_concurrently(user, names: list[str]) -> list[object]:
    """Provision one token per name, all at once from separate connections."""
    barrier = threading.Barrier(len(names))
    results: list[object] = [None] * len(names)

    def work(index: int, name: str) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = PersonalAccessToken.objects.provision(user, name=name)[0]
        except Exception as error:  # reported to the test, whatever it is
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=item) for item in enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_provisioning_keeps_names_unique(user):
    results = provision_concurrently(user, ["same"] * 8)

    made = [r for r in results if isinstance(r, PersonalAccessToken)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(made) == 1
    assert len(refused) == 7
    assert PersonalAccessToken.objects.filter(name="same").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_provisioning_keeps_normalised_names_unique(user):
    names = ["same", "same\u200b", "\ufeffsame", "sa\u00adme", "same\u061c", " same "]

    results = provision_concurrently(user, names)

    assert sum(isinstance(r, PersonalAccessToken) for r in results) == 1
    assert PersonalAccessToken.objects.get().name == "same"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_provisioning_keeps_the_cap(user):
    with override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 3}):
        results = provision_concurrently(user, [f"t{n}" for n in range(8)])

    assert sum(isinstance(r, PersonalAccessToken) for r in results) == 3
    assert sum(isinstance(r, ValidationError) for r in results) == 5
    assert PersonalAccessToken.objects.active().count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_revokes_signal_once(make_token):
    token, _ = make_token()
    copies = [PersonalAccessToken.objects.get(pk=token.pk) for _ in range(8)]
    barrier = threading.Barrier(len(copies))
    results: list[object] = [None] * len(copies)

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = copies[index].revoke()
        finally:
            connections.close_all()

    with capture(token_revoked) as sent:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(copies))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert results.count(True) == 1
    assert results.count(False) == 7
    assert len(sent) == 1


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("a\ud800", id="lone-surrogate"),
        pytest.param("tab\there", id="tab"),
        pytest.param("\x1b[31mred", id="escape"),
        pytest.param("two\u2028lines", id="line-separator"),
        pytest.param("two\u2029paragraphs", id="paragraph-separator"),
    ],
)
def test_provision_refuses_names_with_control_characters(user, name):
    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name=name)

    assert "U+" in raised.value.message_dict["name"][0]
    assert not PersonalAccessToken.objects.exists()


def test_provision_says_a_name_of_invisible_characters_is_one(user):
    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name="\u200b\ufeff")

    # The message shows what was sent, escaped, so that the sender can see it.
    assert raised.value.message_dict["name"] == [
        "Name '\\u200b\\ufeff' is made only of invisible characters."
    ]


# What a name is stored as: format characters (Cf) removed, NFC, trimmed.
STORED_NAMES = [
    pytest.param("deploy\u200b", "deploy", id="zero-width-space"),
    pytest.param("\ufeffdeploy", "deploy", id="byte-order-mark"),
    pytest.param("de\u00adploy", "deploy", id="soft-hyphen"),
    pytest.param("deploy\u2060", "deploy", id="word-joiner"),
    pytest.param("deploy\u061c", "deploy", id="arabic-letter-mark"),
    pytest.param("deploy\u200e", "deploy", id="left-to-right-mark"),
    pytest.param("safe\u202etxt.exe", "safetxt.exe", id="right-to-left-override"),
    pytest.param("x\u2066y\u2069", "xy", id="isolate"),
    pytest.param(" \u200b deploy \u200d ", "deploy", id="trimmed-after-removal"),
    pytest.param("Cafe\u0301", "Caf\u00e9", id="nfc"),
    pytest.param("e\u200b\u0301", "\u00e9", id="nfc-after-removal"),
    pytest.param("Caf\u00e9", "Caf\u00e9", id="already-nfc"),
    pytest.param("Deploy", "Deploy", id="case-kept"),
    # The joiner goes too: the family becomes its members side by side.
    pytest.param(
        "laptop \U0001f468\u200d\U0001f469\u200d\U0001f467",
        "laptop \U0001f468\U0001f469\U0001f467",
        id="emoji-zero-width-joiner",
    ),
]


@pytest.mark.parametrize(("sent", "stored"), STORED_NAMES)
def test_provision_stores_the_normalised_name(user, sent, stored):
    token, _ = PersonalAccessToken.objects.provision(user, name=sent)

    assert token.name == stored
    assert PersonalAccessToken.objects.get(pk=token.pk).name == stored
    assert normalize_name(sent) == stored


@pytest.mark.parametrize(("sent", "stored"), STORED_NAMES)
def test_provision_refuses_a_name_that_normalises_to_an_active_ones(user, sent, stored):
    PersonalAccessToken.objects.provision(user, name=stored)

    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name=sent)

    assert set(raised.value.message_dict) == {"name"}
    assert PersonalAccessToken.objects.count() == 1


def test_name_uniqueness_is_case_sensitive(user, make_token):
    make_token(name="deploy")

    token, _ = PersonalAccessToken.objects.provision(user, name="Deploy")

    assert token.name == "Deploy"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("n" * 100 + "\u200b" * 50, id="100-and-invisible"),
        pytest.param("e\u0301" * 100, id="200-decomposed-to-100"),
        pytest.param(" " * 150 + "n" * 100 + " " * 150, id="400-with-spaces"),
    ],
)
def test_the_length_limit_applies_to_the_stored_name(user, name):
    token, _ = PersonalAccessToken.objects.provision(user, name=name)

    assert len(token.name) == 100


@given(st.text(max_size=60))
def test_normalize_name_is_idempotent_and_leaves_nothing_invisible(text):
    name = normalize_name(text)

    assert normalize_name(name) == name
    assert unicodedata.is_normalized("NFC", name)
    assert all(unicodedata.category(c) != "Cf" for c in name)
    assert name == name.strip()


@override_settings(DJANGO_PAT={"MAX_LIFETIME": None, "DEFAULT_LIFETIME": None})
def test_provision_refuses_an_expiry_beyond_what_utc_can_hold(user):
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.get_fixed_timezone(-60))

    with pytest.raises(ValidationError) as raised:
        PersonalAccessToken.objects.provision(user, name="far", expire_at=far)

    assert "out of range" in raised.value.message_dict["expire_at"][0]


def test_secret_is_hidden_from_error_reports_of_provisioning(user, monkeypatch):
    from django_pat import tokens

    made = []
    generate = tokens.generate

    def recording_generate(prefix):
        made.append(generate(prefix))
        return made[-1]

    def broken_create(**kwargs):
        raise RuntimeError("insert failed")

    monkeypatch.setattr(tokens, "generate", recording_generate)
    monkeypatch.setattr(PersonalAccessToken.objects, "create", broken_create)
    try:
        PersonalAccessToken.objects.provision(user, name="ci")
    except RuntimeError:
        report = error_report(None, __file__)
    else:  # pragma: no cover
        pytest.fail("the patched create did not raise")

    assert "insert failed" in report
    assert made
    assert made[0] not in report


# --- the migration that normalises names stored before --------------------


@pytest.mark.django_db(transaction=True)
def test_migration_normalises_names_stored_before(user):
    from django.db.migrations.executor import MigrationExecutor

    before = [("django_pat", "0002_revoke_permission")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("django_pat")
    executor.migrate(before)
    try:
        old_model = executor.loader.project_state(before).apps.get_model(
            "django_pat", "PersonalAccessToken"
        )
        stored = {
            "deploy\u200b": "deploy",
            "Cafe\u0301": "Caf\u00e9",
            "safe\u202etxt": "safetxt",
            "plain": "plain",
            "na\u00efve": "na\u00efve",
            # Kept as they were: empty, or over 100 characters, once normalised.
            "\u200b\u200b": "\u200b\u200b",
            "\u0958" * 60: "\u0958" * 60,
        }
        for n, name in enumerate(stored):
            old_model.objects.create(
                user_id=user.pk, name=name, type="read_write", digest=f"{n:064x}"
            )

        executor = MigrationExecutor(connection)
        executor.migrate([("django_pat", "0003_normalize_names")])
    finally:
        MigrationExecutor(connection).migrate(latest)

    names = set(PersonalAccessToken.objects.values_list("name", flat=True))
    assert names == set(stored.values())
