"""Expiry notices (``manage.py pat_notify_expiring``) and the leaked-token
email (``notify_leaked``), CONTRACT 9.4: once per token and window, the
narrowest window only, never a secret, read in bounded batches."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_pat import notices
from django_pat.models import PersonalAccessToken
from django_pat.signals import token_expiring
from tests.test_authentication import set_fields, stored
from tests.test_models import capture

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]

SITE = {"DJANGO_PAT": {"SITE_URL": "https://tokens.example.com"}}


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


def notify(*args: str) -> str:
    out = io.StringIO()
    call_command("pat_notify_expiring", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def expiring(make_token: MakeToken, days: float, **kwargs: Any) -> tuple[PersonalAccessToken, str]:
    return make_token(expire_at=in_days(days), **kwargs)


# --- which notice, once ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_left", "window"),
    [(29, 30), (25, 30), (7.5, 30), (6.9, 7), (2, 7), (0.9, 1), (0.01, 1)],
)
def test_a_token_gets_the_notice_of_the_narrowest_window_it_is_in(
    make_token: MakeToken, days_left: float, window: int
) -> None:
    token, _ = expiring(make_token, days_left)

    output = notify()

    assert f"Sent the {window}-day notice for 'token 1'" in output
    assert len(mail.outbox) == 1
    assert stored(token).expiry_notice_days == window


def test_running_twice_sends_each_notice_once(make_token: MakeToken) -> None:
    for days in (20, 5, 0.5):
        expiring(make_token, days)

    first = notify()
    second = notify()

    assert len(mail.outbox) == 3
    assert first.count("Sent the ") == 3
    assert "Sent the " not in second
    assert second.strip() == "Sent 0 notices."


def test_each_window_comes_once_as_the_expiry_nears(make_token: MakeToken) -> None:
    token, _ = expiring(make_token, 20)
    sent = []
    for days_left in (20, 19, 6, 5, 0.5, 0.2):
        set_fields(token, expire_at=in_days(days_left))
        notify()
        sent.append(len(mail.outbox))

    assert sent == [1, 1, 2, 2, 3, 3]
    assert [m.subject for m in mail.outbox] == [
        'Your personal access token "token 1" expires in 20 days',
        'Your personal access token "token 1" expires in 6 days',
        'Your personal access token "token 1" expires in 12 hours',
    ]


def test_a_token_first_seen_inside_several_windows_gets_one_notice(make_token: MakeToken) -> None:
    token, _ = expiring(make_token, 0.5)

    notify()
    notify()

    assert len(mail.outbox) == 1
    assert stored(token).expiry_notice_days == 1


@pytest.mark.parametrize(
    "setup",
    [
        lambda token: set_fields(token, expire_at=in_days(31)),
        lambda token: set_fields(token, expire_at=None),
        lambda token: set_fields(token, expire_at=in_days(-0.1)),
        lambda token: token.revoke(),
        lambda token: User.objects.filter(pk=token.user_id).update(is_active=False),
        lambda token: set_fields(token, created_at=in_days(-200)),
    ],
    ids=["outside-the-windows", "never-expires", "expired", "revoked", "user-inactive", "dormant"],
)
@override_settings(DJANGO_PAT={"DORMANT_AFTER_DAYS": 100, "MAX_LIFETIME": None})
def test_only_active_tokens_inside_a_window_are_notified(
    make_token: MakeToken, setup: Callable[[PersonalAccessToken], Any]
) -> None:
    token, _ = expiring(make_token, 3)
    setup(token)

    assert notify().strip() == "Sent 0 notices."
    assert mail.outbox == []


@override_settings(DJANGO_PAT={"EXPIRY_NOTICE_DAYS": [14, 2]})
def test_the_windows_come_from_settings(make_token: MakeToken) -> None:
    expiring(make_token, 20)
    soon, _ = expiring(make_token, 10)
    sooner, _ = expiring(make_token, 1)

    output = notify()

    assert len(mail.outbox) == 2
    assert (stored(soon).expiry_notice_days, stored(sooner).expiry_notice_days) == (14, 2)
    assert "14-day notice" in output
    assert "2-day notice" in output


@override_settings(DJANGO_PAT={"EXPIRY_NOTICE_DAYS": []})
def test_no_windows_no_notices(make_token: MakeToken) -> None:
    expiring(make_token, 0.5)

    assert "EXPIRY_NOTICE_DAYS'] is empty" in notify()
    assert mail.outbox == []


# --- dry run, users without an address ------------------------------------------------


def test_a_dry_run_names_each_notice_and_sends_and_records_nothing(
    make_token: MakeToken,
) -> None:
    token, _ = expiring(make_token, 5, name="deploy")

    output = notify("--dry-run")

    assert f"Would send the 7-day notice for 'deploy' ({token.display_prefix}…, id {token.pk})" in (
        output
    )
    assert output.splitlines()[-1] == "Would send 1 notice (dry run: nothing sent)."
    assert mail.outbox == []
    assert stored(token).expiry_notice_days is None
    # And the real run after it still sends.
    notify()
    assert len(mail.outbox) == 1


def test_users_without_an_email_address_are_skipped_and_counted(
    make_token: MakeToken, user: User, other_user: User
) -> None:
    User.objects.filter(pk=other_user.pk).update(email="")
    expiring(make_token, 5, owner=other_user, name="bobs")
    expiring(make_token, 5, name="alice's")

    output = notify()

    assert "Skipped 'bobs'" in output
    assert "bob has no email address" in output
    assert output.splitlines()[-1] == (
        "Sent 1 notice; skipped 1 token of users without an email address."
    )
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    # Skipped, not recorded: once bob has an address, he gets it.
    User.objects.filter(pk=other_user.pk).update(email="bob@example.com")
    notify()
    assert [m.to for m in mail.outbox] == [["alice@example.com"], ["bob@example.com"]]


def test_without_a_site_url_the_command_says_there_is_no_link(make_token: MakeToken) -> None:
    expiring(make_token, 5)
    errors = io.StringIO()

    call_command("pat_notify_expiring", stdout=io.StringIO(), stderr=errors)

    assert "SITE_URL'] is not set" in errors.getvalue()
    assert "http" not in mail.outbox[0].body


# --- the email ----------------------------------------------------------------------


@override_settings(**SITE)
def test_the_email_names_the_token_its_expiry_and_the_token_page(make_token: MakeToken) -> None:
    token, _ = expiring(make_token, 5, name="deploy <prod> & co")

    notify()

    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == ["alice@example.com"]
    assert message.subject == 'Your personal access token "deploy <prod> & co" expires in 5 days'
    expiry = token.expire_at.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for text in (message.body, html):
        assert token.display_prefix in text
        assert expiry in text
        assert "https://tokens.example.com/settings/tokens/" in text
    # The plain text as typed; the HTML escaped.
    assert '"deploy <prod> & co"' in message.body
    assert "deploy &lt;prod&gt; &amp; co" in html
    assert message.alternatives[0][1] == "text/html"


def test_no_email_ever_carries_a_secret_or_a_digest(make_token: MakeToken) -> None:
    made = [expiring(make_token, days) for days in (20, 5, 0.5)]
    leaked, leaked_secret = make_token(name="leaked")
    leaked.revoke("leaked")
    notices.notify_leaked(leaked)

    notify()

    assert len(mail.outbox) == 4
    everything = "\n".join(
        f"{m.subject}\n{m.body}\n{m.alternatives[0][0]}\n{m.message().as_string()}"
        for m in mail.outbox
    )
    for token, secret in [*made, (leaked, leaked_secret)]:
        assert secret not in everything
        assert secret[len(token.display_prefix) :] not in everything
        assert token.digest not in everything


def test_the_templates_can_be_overridden_the_django_way(
    make_token: MakeToken, tmp_path: Path, settings: Any
) -> None:
    own = tmp_path / "django_pat" / "email"
    own.mkdir(parents=True)
    (own / "expiring_subject.txt").write_text("Heads up: {{ name }}")
    (own / "expiring.txt").write_text("{{ name }} goes on {{ expires }}.")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    expiring(make_token, 5, name="ci")

    notify()

    [message] = mail.outbox
    assert message.subject == "Heads up: ci"
    assert message.body.startswith("ci goes on ")
    # The HTML part, not overridden, is the app's.
    assert "Your personal access token" in message.alternatives[0][0]


def test_each_notice_is_a_signal_after_the_commit(
    make_token: MakeToken, django_capture_on_commit_callbacks: Any
) -> None:
    token, _ = expiring(make_token, 5)

    with capture(token_expiring) as sent, django_capture_on_commit_callbacks(execute=True):
        notify()
        notify()

    assert [(s["token"].pk, s["days"]) for s in sent] == [(token.pk, 7)]


class FailingBackend(EmailBackend):
    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("the mail server is down")


def test_a_notice_that_could_not_be_sent_is_sent_by_the_next_run(make_token: MakeToken) -> None:
    token, _ = expiring(make_token, 5)

    with (
        override_settings(EMAIL_BACKEND=f"{__name__}.FailingBackend"),
        pytest.raises(ConnectionRefusedError),
    ):
        notify()

    assert stored(token).expiry_notice_days is None
    notify()
    assert len(mail.outbox) == 1


# --- reading: batches, the index ---------------------------------------------------


def test_notices_are_read_in_batches_of_bounded_size(
    make_token: MakeToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notices, "BATCH_SIZE", 2)
    when = in_days(5)
    # Tokens expiring at the same moment straddle a page boundary.
    made = [make_token(expire_at=when)[0] for _ in range(3)] + [
        make_token(expire_at=in_days(days))[0] for days in (0.5, 20)
    ]

    with CaptureQueriesContext(connection) as queries:
        due = list(notices.due_expiry_notices())

    assert sorted(n.token.pk for n in due) == sorted(t.pk for t in made)
    assert len(due) == len(made)
    selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 3
    assert all("LIMIT 2" in sql for sql in selects)
    assert [n.token.expire_at for n in due] == sorted(n.token.expire_at for n in due)


@pytest.mark.postgres
def test_each_page_is_an_index_scan_starting_where_the_last_ended(
    make_token: MakeToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a scan from the start of the window for every page: over a million
    tokens that made the first run of the command quadratic (33 s, not 11 s,
    for 74,000 notices due)."""
    monkeypatch.setattr(notices, "BATCH_SIZE", 1)
    expiring(make_token, 5)
    expiring(make_token, 6)
    with CaptureQueriesContext(connection) as queries:
        list(notices.due_expiry_notices())
    first, *later = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]

    plans = []
    with connection.cursor() as cursor:
        # A table this small is read whole; forbid that, to see the index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in (first, later[0]):
            cursor.execute(f"EXPLAIN {query}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    assert all("Index Scan using django_pat_live_expiry" in plan for plan in plans)
    [condition] = [
        line for line in plans[1].splitlines() if "Index Cond" in line and "expire_at" in line
    ]
    assert "expire_at >= " in condition


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_notice_once(make_token: MakeToken) -> None:
    for days in (20, 5, 0.5, 3, 1.5):
        expiring(make_token, days)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            notify()
        except BaseException as error:  # handed to the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mail.outbox) == 5


# --- leaked tokens ------------------------------------------------------------------


@override_settings(**SITE)
def test_notify_leaked_tells_the_owner(make_token: MakeToken) -> None:
    token, _ = make_token(name="ci")
    token.revoke("leaked")

    assert notices.notify_leaked(token) is True

    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert message.to == ["alice@example.com"]
    assert message.subject == 'Your personal access token "ci" was found in public and revoked'
    for text in (message.body, html):
        assert token.display_prefix in text
        assert "revoked" in text
        assert "https://tokens.example.com/settings/tokens/" in text


def test_notify_leaked_skips_an_owner_without_an_address(
    make_token: MakeToken, other_user: User
) -> None:
    User.objects.filter(pk=other_user.pk).update(email="")
    token, _ = make_token(owner=User.objects.get(pk=other_user.pk))

    assert notices.notify_leaked(token) is False
    assert mail.outbox == []


def test_token_page_url_needs_the_site_url_and_the_page() -> None:
    assert notices.token_page_url() is None
    with override_settings(**SITE):
        assert notices.token_page_url() == "https://tokens.example.com/settings/tokens/"
        with override_settings(ROOT_URLCONF="tests.worker_urls"):
            assert notices.token_page_url() is None


def test_sending_a_notice_twice_sends_it_once(make_token: MakeToken) -> None:
    expiring(make_token, 5)
    [notice] = notices.due_expiry_notices()

    assert notices.send_expiry_notice(notice) is True
    assert notices.send_expiry_notice(notice) is False
    # A wider window's notice, after a narrower one: never.
    assert notices.send_expiry_notice(notices.DueNotice(notice.token, 30)) is False
    assert len(mail.outbox) == 1


def test_no_notice_for_an_owner_without_an_address(make_token: MakeToken, user: User) -> None:
    expiring(make_token, 5)
    User.objects.filter(pk=user.pk).update(email="  ")
    [notice] = notices.due_expiry_notices()

    assert notices.send_expiry_notice(notice) is False
    assert mail.outbox == []
    assert notice.token.expiry_notice_days is None


@override_settings(DJANGO_PAT={"EXPIRY_NOTICE_DAYS": []})
def test_no_windows_nothing_is_due(make_token: MakeToken) -> None:
    expiring(make_token, 0.5)

    assert list(notices.due_expiry_notices()) == []
