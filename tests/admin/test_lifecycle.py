"""The lifecycle in the admin (CONTRACT 9): a token's description, where it
was last used from, why and by whom it was revoked, its rotation and expiry
notice on its page; dormant tokens in the list and its filter; rotating
from a token's page, the new secret shown once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from django_pat import rotation
from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    ADD_PERM,
    CHANGELIST,
    REVOKE,
    SECRET_RE,
    VIEW,
    MakeToken,
    change_url,
    listed,
    messages_of,
    revoke_url,
)
from tests.conftest import LIST_URL
from tests.test_authentication import set_fields, stored


def rotate_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_rotate", args=[token.pk])


# --- a token's page -----------------------------------------------------------------


def test_a_tokens_page_shows_the_lifecycles_fields(
    superuser_client: Client, make_token: MakeToken, client_for: Callable[..., APIClient]
) -> None:
    token, secret = make_token(name="ci", description="Nightly <builds>\nand releases.")
    client_for(secret, REMOTE_ADDR="2001:db8::17").get(LIST_URL)
    set_fields(token, expiry_notice_days=7)

    html = superuser_client.get(change_url(token)).content.decode()

    assert "Nightly &lt;builds&gt;\nand releases." in html
    assert "2001:<wbr>db8::<wbr>17" in html
    assert "sent: expires within 7 days" in html
    assert "never rotated" in html
    assert "not revoked" in html
    assert secret not in html
    assert token.digest not in html


def test_a_revoked_tokens_page_says_why_and_who(
    superuser_client: Client, make_token: MakeToken, make_staff: Callable[..., User]
) -> None:
    token, _ = make_token()
    token.revoke("staff", by=make_staff("carol", superuser=True))

    html = superuser_client.get(change_url(token)).content.decode()

    assert "by staff (staff), by carol" in html


def test_a_token_revoked_before_reasons_were_recorded_says_so(
    superuser_client: Client, make_token: MakeToken
) -> None:
    token, _ = make_token()
    set_fields(token, revoked_at=timezone.now())

    html = superuser_client.get(change_url(token)).content.decode()

    assert "not recorded (revoked before reasons were)" in html


def test_revoking_from_the_admin_records_the_staff_member(
    client_with: Callable[..., Client], make_token: MakeToken
) -> None:
    token, _ = make_token()
    client = client_with(VIEW, REVOKE)

    client.post(revoke_url(token))

    token = stored(token)
    assert token.revoked_reason == "staff"
    assert token.revoked_by is not None
    assert token.revoked_by.username.startswith("staff")


def test_rotated_tokens_link_to_each_other(superuser_client: Client, make_token: MakeToken) -> None:
    old, _ = make_token(name="old")
    new, _ = rotation.rotate(old)

    old_page = superuser_client.get(change_url(old)).content.decode()
    new_page = superuser_client.get(change_url(new)).content.decode()

    assert f'replaced by <a href="{change_url(new)}">old ({new.display_prefix}…)</a>' in old_page
    assert f'replaces <a href="{change_url(old)}">old ({old.display_prefix}…)</a>' in new_page
    assert "replaced by rotation (rotated)" in old_page


# --- dormancy in the list -------------------------------------------------------------


@override_settings(DJANGO_PAT={"DORMANT_AFTER_DAYS": 30})
def test_the_list_filters_and_marks_dormant_tokens(
    superuser_client: Client, make_token: MakeToken
) -> None:
    sleeper, _ = make_token(name="sleeper")
    make_token(name="awake")
    set_fields(sleeper, created_at=timezone.now() - timedelta(days=40))

    filtered = superuser_client.get(CHANGELIST, {"status": "dormant"})
    active = superuser_client.get(CHANGELIST, {"status": "active"})
    page = superuser_client.get(CHANGELIST).content.decode()

    assert listed(filtered) == ["sleeper"]
    assert listed(active) == ["awake"]
    assert "Dormant: unused for 30 days" in page
    assert '<span class="pat-status pat-status-dormant">dormant</span>' in page


def test_the_dormant_filter_is_offered_only_while_dormancy_is_on(
    superuser_client: Client, make_token: MakeToken
) -> None:
    make_token()

    assert "Dormant" not in superuser_client.get(CHANGELIST).content.decode()


# --- rotating -----------------------------------------------------------------------


def test_rotating_asks_first_then_shows_the_new_secret_once(
    client_with: Callable[..., Client],
    make_token: MakeToken,
    client_for: Callable[..., APIClient],
) -> None:
    old, old_secret = make_token(name="deploy")
    client = client_with(VIEW, REVOKE, ADD_PERM)

    page = client.get(change_url(old)).content.decode()
    question = client.get(rotate_url(old))
    assert stored(old).revoked_at is None
    answer = client.post(rotate_url(old))

    assert "Rotate this token" in page
    assert "Yes, rotate it" in question.content.decode()
    html = answer.content.decode()
    assert answer.status_code == 200
    [secret] = set(SECRET_RE.findall(html))
    assert "no-store" in answer["Cache-Control"]
    assert "Token rotated for alice" in html
    assert "It replaces" in html
    new = PersonalAccessToken.objects.get(previous=old)
    assert client_for(secret).get(LIST_URL).status_code == 200
    assert client_for(old_secret).get(LIST_URL).status_code == 401
    old = stored(old)
    assert (old.revoked_reason, old.revoked_by.username) == ("rotated", "staff1")
    # Neither a message nor the session keeps the secret.
    again = client.get(change_url(new)).content.decode()
    assert secret not in again
    assert secret not in str(client.session.items())
    changes = LogEntry.objects.filter(object_id__in=[str(old.pk), str(new.pk)])
    assert sorted(entry.get_change_message() for entry in changes) == sorted(
        [f"Rotated: replaced by {new.pk}.", f"Provisioned by rotating {old.pk}."]
    )


@pytest.mark.parametrize(
    "codenames",
    [(VIEW,), (VIEW, REVOKE), (VIEW, ADD_PERM), (REVOKE, ADD_PERM)],
    ids=["view", "view-revoke", "view-add", "revoke-add"],
)
def test_rotating_needs_view_revoke_and_add(
    client_with: Callable[..., Client], make_token: MakeToken, codenames: tuple[str, ...]
) -> None:
    old, _ = make_token()
    client = client_with(*codenames)

    assert client.post(rotate_url(old)).status_code == 403
    assert "Rotate this token" not in client.get(change_url(old)).content.decode()
    assert stored(old).revoked_at is None


def test_staff_may_not_rotate_a_token_of_someone_holding_more(
    client_with: Callable[..., Client], make_token: MakeToken, make_staff: Callable[..., User]
) -> None:
    boss = make_staff("boss", superuser=True)
    token, _ = make_token(owner=boss)
    client = client_with(VIEW, REVOKE, ADD_PERM)

    response = client.post(rotate_url(token), follow=True)

    assert any("only a superuser may" in message for message in messages_of(response))
    assert stored(token).revoked_at is None
    assert not SECRET_RE.search(response.content.decode())


def test_an_inactive_token_offers_no_rotation_and_refuses_one(
    superuser_client: Client, make_token: MakeToken
) -> None:
    token, _ = make_token()
    token.revoke()

    page = superuser_client.get(change_url(token)).content.decode()
    response = superuser_client.post(rotate_url(token), follow=True)

    assert "Rotate this token" not in page
    assert "Only an active token can be rotated; this one is revoked." in messages_of(response)
    assert not PersonalAccessToken.objects.filter(previous=token).exists()


def test_rotating_an_unknown_id_goes_back_to_the_list(superuser_client: Client, db: None) -> None:
    url = reverse(
        "admin:django_pat_personalaccesstoken_rotate",
        args=["6f9619ff-8b86-d011-b42d-00c04fc964ff"],
    )

    response = superuser_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST
