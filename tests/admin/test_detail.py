"""A token's page: every field read-only, a revoke button for those who may,
no delete for anyone."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client
from django.urls import reverse

from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    ADD_PERM,
    CHANGELIST,
    REVOKE,
    VIEW,
    change_url,
    revoke_url,
)

# -- the detail page --------------------------------------------------------


def test_the_detail_page_shows_every_field_read_only(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    token = states["used"]
    response = superuser_client.get(change_url(token))
    html = response.content.decode()

    assert response.status_code == 200
    for text in (token.name, "alice", str(token.pk), token.display_prefix, "10.0.0.0/8"):
        assert text in html
    for label in ("Status", "Type", "Expires", "Created", "Last used", "Revoked"):
        assert f"<label>{label}:</label>" in html
    form = html.split('id="personalaccesstoken_form"')[1].split("</form>")[0]
    editable = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    assert all('type="hidden"' in tag for tag in editable), editable
    assert 'name="_save"' not in html


def test_staff_cannot_change_a_token_by_posting_its_form(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    response = superuser_client.post(change_url(token_obj), {"name": "renamed", "type": "x"})
    assert response.status_code == 403
    token_obj.refresh_from_db()
    assert token_obj.name == "ci"


def test_the_revoke_button_is_there_for_staff_who_may_revoke_an_active_token(
    client_with: Callable[..., Client], states: dict[str, PersonalAccessToken]
) -> None:
    active, revoked = states["fresh"], states["revoked"]
    revoker = client_with(VIEW, REVOKE)
    viewer = client_with(VIEW)
    form = f'<form method="post" action="{revoke_url(active)}" id="pat-revoke-form"'

    assert form in revoker.get(change_url(active)).content.decode()
    assert "pat-revoke-form" not in revoker.get(change_url(revoked)).content.decode()
    assert "pat-revoke-form" not in viewer.get(change_url(active)).content.decode()


def test_no_delete_is_offered_to_anyone(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    assert "deletelink" not in superuser_client.get(change_url(token_obj)).content.decode()
    actions = superuser_client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert [value for value, _ in actions if value] == ["revoke_selected"]


def test_not_even_a_superuser_can_delete_a_token(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    delete = reverse("admin:django_pat_personalaccesstoken_delete", args=[token_obj.pk])

    assert superuser_client.get(delete).status_code == 403
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert PersonalAccessToken.objects.filter(pk=token_obj.pk).exists()


def test_deleting_a_user_in_the_admin_still_takes_their_tokens(
    superuser_client: Client, token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    owner = token_obj.user
    delete = reverse("admin:auth_user_delete", args=[owner.pk])

    confirmation = superuser_client.get(delete)
    assert confirmation.status_code == 200
    assert not confirmation.context["perms_lacking"]
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 302
    assert not PersonalAccessToken.objects.filter(pk=token_obj.pk).exists()


def test_ordinary_staff_cannot_delete_a_token(
    client_with: Callable[..., Client], token: tuple[PersonalAccessToken, str]
) -> None:
    token_obj, _ = token
    delete = reverse("admin:django_pat_personalaccesstoken_delete", args=[token_obj.pk])
    client = client_with(VIEW, REVOKE, ADD_PERM)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PersonalAccessToken.objects.filter(pk=token_obj.pk).exists()
