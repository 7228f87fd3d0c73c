"""Revoking from the admin, by the action or a token's button, and who may."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken
from django_pat.signals import token_revoked
from tests.admin.conftest import (
    ADD_PERM,
    CHANGE,
    CHANGELIST,
    REVOKE,
    VIEW,
    MakeToken,
    change_url,
    listed,
    messages_of,
    revoke_url,
)
from tests.conftest import LIST_URL

# -- revoke -------------------------------------------------------------------


def test_the_revoke_action_asks_first_listing_what_it_will_revoke(
    client_with: Callable[..., Client], states: dict[str, PersonalAccessToken]
) -> None:
    chosen = [states["fresh"], states["soon"]]
    response = client_with(VIEW, REVOKE).post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [t.pk for t in chosen]},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "These 2 tokens stop working" in html
    for token in chosen:
        assert token.display_prefix in html
    assert states["used"].display_prefix not in html
    assert PersonalAccessToken.objects.revoked().count() == 1  # only the one made revoked


def test_confirming_the_action_revokes_with_the_models_operation(
    client_with: Callable[..., Client],
    states: dict[str, PersonalAccessToken],
    client_for: Callable[[str], APIClient],
    make_token: MakeToken,
    django_capture_on_commit_callbacks: Any,
) -> None:
    doomed, secret = make_token(name="doomed")
    _kept, kept_secret = make_token(name="kept")
    signalled: list[PersonalAccessToken] = []

    def receiver(sender: object, token: PersonalAccessToken, **kwargs: object) -> None:
        signalled.append(token)

    token_revoked.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_with(VIEW, REVOKE).post(
                CHANGELIST,
                {
                    "action": "revoke_selected",
                    "_selected_action": [doomed.pk, states["revoked"].pk],
                    "post": "yes",
                },
                follow=True,
            )
    finally:
        token_revoked.disconnect(receiver)

    assert [t.pk for t in signalled] == [doomed.pk]
    assert set(messages_of(response)) == {
        "Revoked 1 token. It no longer authenticates.",
        "1 token was already revoked.",
    }
    doomed.refresh_from_db()
    assert doomed.revoked_at is not None
    before = states["revoked"].revoked_at
    states["revoked"].refresh_from_db()
    assert states["revoked"].revoked_at == before
    assert client_for(secret).get(LIST_URL).status_code == 401
    assert client_for(kept_secret).get(LIST_URL).status_code == 200
    entry = LogEntry.objects.get(object_id=str(doomed.pk))
    assert entry.get_change_message() == "Revoked."


def test_revoking_keeps_the_row(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    superuser_client.post(revoke_url(token_obj))
    response = superuser_client.get(f"{CHANGELIST}?status=revoked")
    assert listed(response) == ["ci"]


def test_the_revoke_button_revokes_at_once_and_goes_back_to_the_token(
    client_with: Callable[..., Client],
    token: tuple[PersonalAccessToken, str],
    client_for: Callable[[str], APIClient],
) -> None:
    token_obj, secret = token
    client = client_with(VIEW, REVOKE)
    response = client.post(revoke_url(token_obj))

    assert response.status_code == 302
    assert response["Location"] == change_url(token_obj)
    assert client_for(secret).get(LIST_URL).status_code == 401
    page = client.get(response["Location"])
    assert messages_of(page) == ["Revoked 1 token. It no longer authenticates."]
    assert "pat-status-revoked" in page.content.decode()

    again = client.post(revoke_url(token_obj), follow=True)
    assert messages_of(again) == ["1 token was already revoked."]


def test_getting_the_revoke_page_only_asks(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    response = client_with(VIEW, REVOKE).get(revoke_url(token_obj))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This token stops working" in html
    assert f'action="{revoke_url(token_obj)}"' in html
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


@pytest.mark.parametrize("object_id", ["0b5f5a1e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_revoking_a_token_that_does_not_exist_says_so(
    superuser_client: Client, object_id: str
) -> None:
    url = reverse("admin:django_pat_personalaccesstoken_revoke", args=[object_id])
    response = superuser_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert messages_of(response) == [f"No personal access token has the ID {object_id!r}."]


def test_revoking_needs_the_csrf_token(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    client = client_with(VIEW, REVOKE, enforce_csrf_checks=True)
    assert client.post(revoke_url(token_obj)).status_code == 403
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


# -- permissions --------------------------------------------------------------


def test_the_revoke_permission_exists(db: None) -> None:
    permission = Permission.objects.get(codename=REVOKE)
    assert permission.content_type.app_label == "django_pat"
    assert permission.name == "Can revoke personal access token"


def test_view_only_staff_see_tokens_but_get_no_way_to_revoke_or_provision(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _secret = token
    viewer = client_with(VIEW)

    page = viewer.get(CHANGELIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert listed(page) == ["ci"]
    assert "action-select" not in html
    assert 'name="action"' not in html
    assert "Provision a token" not in html
    assert viewer.get(change_url(token_obj)).status_code == 200


@pytest.mark.parametrize("codenames", [(VIEW,), (VIEW, CHANGE), (VIEW, ADD_PERM)])
def test_revoking_needs_the_revoke_permission(
    client_with: Callable[..., Client],
    token: tuple[PersonalAccessToken, str],
    codenames: tuple[str, ...],
) -> None:
    token_obj, _ = token
    client = client_with(*codenames)
    assert client.post(revoke_url(token_obj)).status_code == 403
    assert client.get(revoke_url(token_obj)).status_code == 403
    action = client.post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [token_obj.pk], "post": "yes"},
    )
    assert action.status_code in (200, 302)
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


def test_the_revoke_permission_without_view_grants_nothing(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    # Revoking starts from a token one can see: the confirmation page would
    # otherwise show revoke-only staff what the list hides from them.
    token_obj, _ = token
    client = client_with(REVOKE)

    page = client.get(revoke_url(token_obj))
    assert page.status_code == 403
    html = page.content.decode()
    for detail in (token_obj.name, token_obj.display_prefix, "alice"):
        assert detail not in html
    assert client.post(revoke_url(token_obj)).status_code == 403
    assert client.get(CHANGELIST).status_code == 403
    action = client.post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [token_obj.pk], "post": "yes"},
    )
    assert action.status_code == 403
    token_obj.refresh_from_db()
    assert token_obj.revoked_at is None


def test_staff_without_token_permissions_see_nothing(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    client = client_with()
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(token[0])).status_code == 403
