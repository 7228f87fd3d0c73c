"""The ``pat_*`` management commands, run as a shell user would (string
arguments through the parser), their output read back."""

from __future__ import annotations

import csv
import json
import re
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import QuerySet
from django.db.models.signals import post_delete, pre_delete
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_pat import signals
from django_pat.formats import parse_rfc3339
from django_pat.models import PersonalAccessToken
from django_pat.tokens import digest

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"

SECRET = re.compile(r"\bpat_[0-9A-Za-z]{38}\b")


def run(*arguments: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- pat_create -------------------------------------------------------------


def test_create_prints_the_secret_alone_on_stdout(user, client_for):
    out, err = run("pat_create", "alice", "--name", "deploy")

    secret = out.strip()
    assert SECRET.fullmatch(secret)
    token = PersonalAccessToken.objects.get()
    assert token.digest == digest(secret)
    assert (token.user, token.name, token.type) == (user, "deploy", "read_write")
    assert secret not in err
    assert "deploy" in err
    assert token.display_prefix in err
    assert client_for(secret).get("/api/personal-access-tokens").status_code == 200


def test_create_with_every_option(user):
    expiry = (timezone.now() + timedelta(days=3)).replace(microsecond=0)

    run(
        "pat_create",
        "alice",
        "--name=ci",
        "--type=read_only",
        "--ip-restriction=10.0.0.0/8, 2001:db8::1",
        f"--expire-at={expiry.isoformat()}",
    )

    token = PersonalAccessToken.objects.get()
    assert token.type == "read_only"
    assert token.ip_restriction == "10.0.0.0/8,2001:db8::1"
    assert token.expire_at == expiry


def test_create_expires_in_days(user):
    run("pat_create", "alice", "--name=ci", "--expires-in-days=7")

    token = PersonalAccessToken.objects.get()
    assert abs(token.expire_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


def test_create_defaults_to_the_default_lifetime(user):
    run("pat_create", "alice", "--name=ci")

    token = PersonalAccessToken.objects.get()
    assert abs(token.expire_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)


@override_settings(DJANGO_PAT={"MAX_LIFETIME": None})
def test_create_no_expiry_where_allowed(user):
    run("pat_create", "alice", "--name=ci", "--no-expiry")

    assert PersonalAccessToken.objects.get().expire_at is None


def test_create_sends_the_provisioned_signal(user, django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, token, parent, **kwargs):
        received.append((token.name, parent))

    signals.token_provisioned.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            run("pat_create", "alice", "--name=ci")
    finally:
        signals.token_provisioned.disconnect(receiver)

    assert received == [("ci", None)]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "--name=x"], "No user with username 'nobody'"),
        (["alice"], "--name"),
        (["alice", "--name=   "], "--name: Name may not be blank"),
        (["alice", f"--name={'x' * 101}"], "is 101 characters long; at most 100 are allowed"),
        (["alice", "--name=x", "--type=admin"], "--type: 'admin' is not a token type"),
        (["alice", "--name=x", "--ip-restriction=10.0.0.300"], "'10.0.0.300'"),
        (["alice", "--name=x", "--ip-restriction=10.0.0.5/8"], "--ip-restriction: "),
        (["alice", "--name=x", "--expire-at=tomorrow"], "not an RFC 3339 date and time"),
        (["alice", "--name=x", "--expire-at=2030-01-01T00:00:00"], "with a time zone"),
        (["alice", "--name=x", "--expire-at=2030-01-01T00:00Z"], "not an RFC 3339"),
        (["alice", "--name=x", "--expire-at=2001-01-01T00:00:00Z"], "--expire-at: Expiry"),
        (["alice", "--name=x", "--expire-at=2999-01-01T00:00:00Z"], "longest lifetime"),
        (["alice", "--name=x", "--expires-in-days=0"], "from 1 to 36500"),
        (["alice", "--name=x", "--expires-in-days=soon"], "from 1 to 36500"),
        (["alice", "--name=x", "--expires-in-days=3000000"], "from 1 to 36500"),
        (["alice", "--name=x", "--expires-in-days=99999999999"], "from 1 to 36500"),
        (["alice", "--name=x", "--no-expiry"], "--expire-at: Tokens of type 'read_write' must"),
        (["alice", "--name=x", "--no-expiry", "--expires-in-days=3"], "not allowed with"),
    ],
)
def test_create_refuses_bad_input(user, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("pat_create", *arguments)

    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "scopes"),
    [
        ([], None),
        (["--scope=tokens:write", "--scope", "tokens:read"], ["tokens:read", "tokens:write"]),
        (["--scope=packages:read"], ["packages:read"]),
        (["--no-scope"], []),
        (["--unscoped"], None),
    ],
)
@override_settings(DJANGO_PAT={"SCOPES": {"packages:read": "Download packages."}})
def test_create_with_scopes(user, arguments, scopes):
    _out, err = run("pat_create", "alice", "--name=ci", *arguments)

    token = PersonalAccessToken.objects.get()
    assert token.scopes == scopes
    shown = "any" if scopes is None else ",".join(scopes) or "none"
    assert f"scopes {shown}." in err


@override_settings(DJANGO_PAT={"DEFAULT_SCOPES": ["tokens:read"]})
@pytest.mark.parametrize(("arguments", "scopes"), [([], ["tokens:read"]), (["--unscoped"], None)])
def test_create_takes_the_default_scopes_unless_told(user, arguments, scopes):
    run("pat_create", "alice", "--name=ci", *arguments)

    assert PersonalAccessToken.objects.get().scopes == scopes


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--scope=packages:read"], "--scope: 'packages:read' is not a scope (the scopes are"),
        (["--scope=tokens:read", "--scope=tokens:read"], "--scope: 'tokens:read' is listed twice"),
        (["--scope=tokens:read", "--no-scope"], "not allowed with"),
        (["--no-scope", "--unscoped"], "not allowed with"),
    ],
)
def test_create_refuses_bad_scopes(user, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("pat_create", "alice", "--name=x", *arguments)

    assert not PersonalAccessToken.objects.exists()


def test_create_refuses_a_deactivated_user(user):
    user.is_active = False
    user.save()

    with pytest.raises(CommandError, match="The user 'alice' is not active"):
        run("pat_create", "alice", "--name=ci")

    assert not PersonalAccessToken.objects.exists()


def test_create_refuses_a_duplicate_name(user, make_token):
    make_token(name="ci")

    with pytest.raises(CommandError, match="already have an active token named 'ci'"):
        run("pat_create", "alice", "--name=ci")


@override_settings(DJANGO_PAT={"MAX_ACTIVE_TOKENS_PER_USER": 1})
def test_create_refuses_beyond_the_cap(user, make_token):
    make_token()

    with pytest.raises(CommandError, match="1 active tokens, the most allowed"):
        run("pat_create", "alice", "--name=ci")


# --- pat_list ---------------------------------------------------------------


def table(out: str) -> list[dict[str, str]]:
    lines = out.splitlines()
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?<!\S)\S+(?: \S+)*", header)]
    names = [header[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
    return [
        {
            name: line[s:e].strip()
            for name, s, e in zip(names, starts, [*starts[1:], None], strict=True)
        }
        for line in lines[1:]
    ]


def test_list_shows_every_token_without_secrets(user, other_user, make_token):
    mine, my_secret = make_token(name="mine", ip_restriction="10.0.0.0/8")
    _, their_secret = make_token(other_user, name="theirs")
    revoked, _ = make_token(name="old")
    revoked.revoke()

    out, _err = run("pat_list")

    rows = table(out)
    assert [row["NAME"] for row in rows] == ["old", "theirs", "mine"]
    by_name = {row["NAME"]: row for row in rows}
    assert by_name["mine"]["ID"] == str(mine.pk)
    assert by_name["mine"]["USER"] == "alice"
    assert by_name["mine"]["PREFIX"] == mine.display_prefix
    assert by_name["mine"]["STATUS"] == "active"
    assert by_name["mine"]["IP RESTRICTION"] == "10.0.0.0/8"
    assert by_name["mine"]["LAST USED"] == "never"
    assert by_name["old"]["STATUS"] == "revoked"
    assert by_name["theirs"]["USER"] == "bob"
    for secret in (my_secret, their_secret):
        assert secret not in out
    assert mine.digest not in out


def test_list_shows_the_scopes(user, make_token):
    make_token(name="unscoped")
    make_token(name="nothing", scopes=[])
    make_token(name="some", scopes=["tokens:write", "tokens:read"])

    out, _err = run("pat_list")

    assert {row["NAME"]: row["SCOPES"] for row in table(out)} == {
        "unscoped": "any",
        "nothing": "none",
        "some": "tokens:read,tokens:write",
    }


def test_list_of_one_user(user, other_user, make_token):
    make_token(name="mine")
    make_token(other_user, name="theirs")

    out, _err = run("pat_list", "bob")

    assert [row["NAME"] for row in table(out)] == ["theirs"]


@pytest.mark.parametrize(
    ("arguments", "names"),
    [
        (["--active"], ["read"]),
        (["--inactive"], ["expired", "gone"]),
        (["--type=read_only"], ["read"]),
        (["--type=read_write", "--inactive"], ["expired", "gone"]),
    ],
)
def test_list_filters(user, make_token, arguments, names):
    make_token(name="gone")[0].revoke()
    expired, _ = make_token(name="expired")
    PersonalAccessToken.objects.filter(pk=expired.pk).update(expire_at=timezone.now())
    make_token(name="read", type="read_only")

    out, _err = run("pat_list", *arguments)

    assert sorted(row["NAME"] for row in table(out)) == names


def test_list_marks_tokens_of_deactivated_users(user, make_token):
    make_token(name="ci")
    user.is_active = False
    user.save()

    out, _err = run("pat_list")

    assert table(out)[0]["STATUS"] == "user inactive"


def test_list_says_when_there_are_none(db):
    out, err = run("pat_list")

    assert out == ""
    assert "No tokens." in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody"], "No user with username 'nobody'"),
        (["--type=admin"], "'admin' is not a token type"),
        (["--active", "--inactive"], "not allowed with"),
    ],
)
def test_list_refuses_bad_input(db, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("pat_list", *arguments)


# --- pat_revoke -------------------------------------------------------------


def test_revoke_by_id(token, client_for, django_capture_on_commit_callbacks):
    stored, secret = token
    revoked = []

    def receiver(sender, token, **kwargs):
        revoked.append(token.pk)

    signals.token_revoked.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            out, _err = run("pat_revoke", str(stored.pk))
    finally:
        signals.token_revoked.disconnect(receiver)

    assert f"Revoked 'ci' ({stored.display_prefix}…, id {stored.pk}) of alice." in out
    assert revoked == [stored.pk]
    assert client_for(secret).get("/api/personal-access-tokens").status_code == 401
    assert secret not in out


def test_revoke_again_says_so(token):
    stored, _ = token
    stored.revoke()

    out, _err = run("pat_revoke", str(stored.pk))

    assert out.startswith("Already revoked: 'ci'")


def test_revoke_all_of_a_user(user, other_user, make_token):
    mine = [make_token(name=f"t{i}")[0] for i in range(3)]
    theirs, _ = make_token(other_user, name="theirs")
    mine[0].revoke()

    out, _err = run("pat_revoke", "--user", "alice")

    assert out.count("Revoked ") == 2
    assert not PersonalAccessToken.objects.for_user(user).filter(revoked_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_all_of_a_user_with_none(user):
    out, _err = run("pat_revoke", "--user", "alice")

    assert "alice has no tokens to revoke." in out


def test_revoke_checks_every_id_before_revoking_any(token):
    stored, _ = token

    with pytest.raises(CommandError, match="is not a token id"):
        run("pat_revoke", str(stored.pk), "not-a-uuid")

    stored.refresh_from_db()
    assert stored.revoked_at is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["not-a-uuid"], "'not-a-uuid' is not a token id (a UUID)."),
        (["12345"], "'12345' is not a token id"),
        ([str(uuid.UUID(int=7))], f"No token with id {uuid.UUID(int=7)}."),
        (["--user", "nobody"], "No user with username 'nobody'"),
        ([], "Name the tokens to revoke by id, or a user with --user"),
    ],
)
def test_revoke_refuses_bad_input(db, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("pat_revoke", *arguments)


def test_revoke_refuses_ids_and_user_together(token):
    with pytest.raises(CommandError, match="not both"):
        run("pat_revoke", str(token[0].pk), "--user", "alice")


# --- pat_purge --------------------------------------------------------------


@pytest.fixture
def tokens_of_every_age(user, make_token):
    now = timezone.now()
    made = {}
    for name in ("active", "revoked_now", "revoked_long_ago", "expired_now", "expired_long_ago"):
        made[name] = make_token(name=name)[0]
    long_ago = now - timedelta(days=40)
    PersonalAccessToken.objects.filter(pk=made["revoked_now"].pk).update(revoked_at=now)
    PersonalAccessToken.objects.filter(pk=made["revoked_long_ago"].pk).update(revoked_at=long_ago)
    PersonalAccessToken.objects.filter(pk=made["expired_now"].pk).update(expire_at=now)
    PersonalAccessToken.objects.filter(pk=made["expired_long_ago"].pk).update(expire_at=long_ago)
    return made


def remaining() -> set[str]:
    return set(PersonalAccessToken.objects.values_list("name", flat=True))


def test_purge_deletes_only_tokens_dead_for_longer(tokens_of_every_age):
    out, _err = run("pat_purge", "--days", "30")

    assert out.startswith("Deleted 2 tokens revoked or expired before ")
    assert remaining() == {"active", "revoked_now", "expired_now"}


def test_purge_zero_days_deletes_every_dead_token(tokens_of_every_age):
    run("pat_purge", "--days=0")

    assert remaining() == {"active"}


def test_purge_dry_run_deletes_nothing(tokens_of_every_age):
    out, _err = run("pat_purge", "--days=30", "--dry-run")

    assert out.startswith("Would delete 2 tokens")
    assert "nothing deleted" in out
    assert len(remaining()) == 5


def test_purge_never_deletes_active_tokens(user, make_token):
    make_token(name="far future", expire_at=timezone.now() + timedelta(days=300))

    run("pat_purge", "--days=0")

    assert remaining() == {"far future"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "the following arguments are required: --days"),
        (["--days=-1"], "0 or more"),
        (["--days=a week"], "0 or more"),
    ],
)
def test_purge_refuses_bad_input(db, arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("pat_purge", *arguments)


# --- at any size: streaming, batches --------------------------------------------------


def test_list_prints_each_row_as_soon_as_it_is_read(user, make_token, monkeypatch):
    for index in range(5):
        make_token(name=f"t{index}")
    read = 0
    real_iterator = QuerySet.iterator

    def counting_iterator(self, *args, **kwargs):
        nonlocal read
        for row in real_iterator(self, *args, **kwargs):
            read += 1
            yield row

    monkeypatch.setattr(QuerySet, "iterator", counting_iterator)
    read_when_written = []

    class Out(StringIO):
        def write(self, text):
            if SECRET_ID.search(text):
                read_when_written.append(read)
            return super().write(text)

    for format in ("table", "csv", "jsonl"):
        read_when_written.clear()
        read = 0
        call_command("pat_list", f"--format={format}", stdout=Out(), stderr=StringIO())
        # Row n is written once n rows are read, not once all of them are.
        assert read_when_written == [1, 2, 3, 4, 5]


SECRET_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_list_columns_are_as_wide_as_their_longest_value(user, make_token):
    long_owner = User.objects.create_user("margaret.hamilton.of.the.apollo.guidance.computer")
    make_token(long_owner, name="a name much longer than its column heading, and then some")
    make_token(name="ci")

    out, _err = run("pat_list")

    rows = table(out)
    assert [row["NAME"] for row in rows] == [
        "ci",
        "a name much longer than its column heading, and then some",
    ]
    assert rows[1]["USER"] == "margaret.hamilton.of.the.apollo.guidance.computer"
    assert {row["TYPE"] for row in rows} == {"read_write"}


def test_list_shows_scopes_in_csv_and_json_lines(user, make_token, settings):
    settings.DJANGO_PAT = {"SCOPES": {"packages:read": "Read packages."}}
    make_token(name="scoped", scopes=["tokens:read", "packages:read"])
    make_token(name="none", scopes=[])

    csv_out, _err = run("pat_list", "--format=csv")
    json_out, _err = run("pat_list", "--format=jsonl")

    records = {r["name"]: r["scopes"] for r in csv.DictReader(StringIO(csv_out))}
    lines = {line["name"]: line["scopes"] for line in map(json.loads, json_out.splitlines())}
    assert records == {"scoped": "packages:read,tokens:read", "none": "none"}
    assert lines == {"scoped": ["packages:read", "tokens:read"], "none": []}


def test_list_as_csv_and_json_lines(user, make_token):
    restricted, secret = make_token(name='say "hi", then go', ip_restriction="10.0.0.0/8")
    revoked, _ = make_token(name="gone")
    revoked.revoke()

    csv_out, _err = run("pat_list", "--format=csv")
    json_out, _err = run("pat_list", "--format=jsonl")

    records = list(csv.DictReader(StringIO(csv_out)))
    lines = [json.loads(line) for line in json_out.splitlines()]
    assert [r["name"] for r in records] == ["gone", 'say "hi", then go']
    assert [r["name"] for r in lines] == ["gone", 'say "hi", then go']
    assert (
        list(records[0])
        == list(lines[0])
        == [
            "id",
            "user",
            "name",
            "type",
            "prefix",
            "status",
            "created",
            "expires",
            "last_used",
            "ip_restriction",
            "scopes",
        ]
    )
    mine = lines[1]
    assert mine["id"] == str(restricted.pk)
    assert mine["status"] == "active"
    assert mine["ip_restriction"] == "10.0.0.0/8"
    assert mine["last_used"] is None
    assert records[1]["last_used"] == ""
    assert parse_rfc3339(mine["created"]) == restricted.created_at
    assert lines[0]["status"] == "revoked"
    assert lines[0]["ip_restriction"] is None
    assert mine["scopes"] is None
    assert records[1]["scopes"] == "any"
    for text in (csv_out, json_out):
        assert secret not in text
        assert restricted.digest not in text


@pytest.mark.django_db(transaction=True)
def test_purge_deletes_in_batches_each_in_its_own_transaction(user, make_token, monkeypatch):
    long_ago = timezone.now() - timedelta(days=40)
    dead = [make_token(name=f"dead {index}")[0] for index in range(5)]
    PersonalAccessToken.objects.update(revoked_at=long_ago)
    deletes = 0
    real_delete = QuerySet.delete

    def third_fails(self):
        nonlocal deletes
        deletes += 1
        if deletes == 3:
            raise RuntimeError("the database went away")
        return real_delete(self)

    monkeypatch.setattr(QuerySet, "delete", third_fails)

    with pytest.raises(RuntimeError):
        run("pat_purge", "--days=30", "--batch-size=2")

    # The two batches before the failure stay deleted; the rest are untouched.
    assert PersonalAccessToken.objects.count() == 1
    assert len(dead) == 5


def test_purge_says_how_it_went_batch_by_batch(tokens_of_every_age, make_token):
    long_ago = timezone.now() - timedelta(days=40)
    for index in range(3):
        token = make_token(name=f"more {index}")[0]
        PersonalAccessToken.objects.filter(pk=token.pk).update(revoked_at=long_ago)

    out, err = run("pat_purge", "--days=30", "--batch-size=2")

    assert out.startswith("Deleted 5 tokens revoked or expired before ")
    assert "Deleting 5 tokens, 2 a transaction" in err
    assert "5 deleted in 3 transactions" in err
    assert remaining() == {"active", "revoked_now", "expired_now"}


def test_purge_reads_no_more_than_keys(tokens_of_every_age):
    with CaptureQueriesContext(connection) as queries:
        run("pat_purge", "--days=30")

    token_queries = [
        q["sql"] for q in queries.captured_queries if "personalaccesstoken" in q["sql"]
    ]
    assert any(sql.startswith("DELETE") for sql in token_queries)
    # Without cache mode no receiver needs the rows: only their keys are read.
    for sql in token_queries:
        assert '"name"' not in sql
        assert '"digest"' not in sql


@pytest.mark.django_db(transaction=True)
def test_purge_in_cache_mode_tombstones_what_it_deletes(tokens_of_every_age):
    doomed = [tokens_of_every_age[name] for name in ("revoked_long_ago", "expired_long_ago")]
    with override_settings(
        CACHES={"default": {"BACKEND": LOCMEM}, "pat": {"BACKEND": LOCMEM, "LOCATION": "purge"}},
        DJANGO_PAT={"CACHE": "pat"},
    ):
        run("pat_purge", "--days=30", "--batch-size=1")
        entries = caches["pat"]._cache  # type: ignore[attr-defined]
        tombstoned = [key for key in entries if any(t.digest in key for t in doomed)]

    assert len(tombstoned) == 2


@pytest.mark.parametrize("signal", [pre_delete, post_delete])
def test_only_cache_mode_connects_a_receiver_to_token_deletes(db, signal):
    # Any pre_delete or post_delete receiver makes Django load every row it deletes.
    assert not signal.has_listeners(PersonalAccessToken)
    with override_settings(DJANGO_PAT={"CACHE": "default"}):
        assert signal.has_listeners(PersonalAccessToken)
    assert not signal.has_listeners(PersonalAccessToken)


@pytest.mark.parametrize("size", ["0", "10001", "many"])
def test_purge_refuses_a_bad_batch_size(db, size):
    with pytest.raises(CommandError, match="is not a whole number from 1 to 10000"):
        run("pat_purge", "--days=1", f"--batch-size={size}")


# --- pat_rotate -------------------------------------------------------------


def test_rotate_prints_the_new_secret_alone_and_revokes_the_old(token, client_for):
    old, old_secret = token

    out, err = run("pat_rotate", str(old.pk))

    secret = out.strip()
    assert SECRET.fullmatch(secret)
    new = PersonalAccessToken.objects.get(digest=digest(secret))
    assert (new.previous, new.name, new.type) == (old, old.name, old.type)
    assert secret not in err
    assert old.display_prefix in err
    assert new.display_prefix in err
    old.refresh_from_db()
    assert (old.revoked_reason, old.revoked_by) == ("rotated", None)
    assert client_for(old_secret).get("/api/personal-access-tokens").status_code == 401
    assert client_for(secret).get("/api/personal-access-tokens").status_code == 200


def test_rotate_with_an_expiry(token):
    expiry = (timezone.now() + timedelta(days=3)).replace(microsecond=0)

    out, _ = run("pat_rotate", str(token[0].pk), f"--expire-at={expiry.isoformat()}")

    assert PersonalAccessToken.objects.get(digest=digest(out.strip())).expire_at == expiry


def test_rotate_expires_in_days(token):
    out, _ = run("pat_rotate", str(token[0].pk), "--expires-in-days", "2")

    new = PersonalAccessToken.objects.get(digest=digest(out.strip()))
    assert timedelta(days=2) - timedelta(minutes=1) < new.expire_at - timezone.now()
    assert new.expire_at - timezone.now() <= timedelta(days=2)


def test_rotate_sends_the_rotated_signal(token, django_capture_on_commit_callbacks):
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.token_rotated.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            out, _ = run("pat_rotate", str(token[0].pk))
    finally:
        signals.token_rotated.disconnect(receiver)

    [signal] = sent
    assert (signal["previous"], signal["rotated_by"]) == (token[0], None)
    assert signal["token"].digest == digest(out.strip())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["not-a-uuid"], "'not-a-uuid' is not a token id"),
        ([str(uuid.UUID(int=1))], "No token with id"),
        (["TOKEN", "--expire-at", "tomorrow"], "is not an RFC 3339"),
        (["TOKEN", "--expires-in-days", "0"], "from 1 to 36500"),
        (["TOKEN", "--no-expiry"], "must expire"),
        (["TOKEN", "--expires-in-days", "400"], "--expire-at: Expiry"),
        (["TOKEN", "--expires-in-days", "99999999999"], "from 1 to 36500"),
    ],
    ids=["malformed", "unknown", "bad-date", "zero-days", "never", "too-long", "past-calendar"],
)
def test_rotate_refuses_bad_input(token, arguments, message):
    arguments = [str(token[0].pk) if a == "TOKEN" else a for a in arguments]

    with pytest.raises(CommandError, match=message):
        run("pat_rotate", *arguments)

    token[0].refresh_from_db()
    assert token[0].revoked_at is None


def test_rotate_refuses_a_revoked_token(token):
    token[0].revoke()

    with pytest.raises(CommandError, match="Only an active token can be rotated"):
        run("pat_rotate", str(token[0].pk))

    assert PersonalAccessToken.objects.filter(previous=token[0]).count() == 0


def test_rotate_refuses_a_deactivated_users_token(token, user):
    user.is_active = False
    user.save()

    with pytest.raises(CommandError, match="is not active"):
        run("pat_rotate", str(token[0].pk))
