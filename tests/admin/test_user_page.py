"""A user's tokens on their page in the admin: listed read-only, with links,
at a constant cost, and left alone when the user is saved."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_pat.admin.inlines import NewestTokensFormSet
from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    CHANGELIST,
    FormFields,
    MakeToken,
    change_url,
    user_url,
)


def test_the_users_page_provisions_nothing(
    superuser_client: Client, user: User, make_token: MakeToken
) -> None:
    # The only way to provision from the admin is the form above: the inline
    # on a user's page takes no new rows, whatever is posted to it.
    make_token(name="existing")
    page = superuser_client.get(user_url(user)).content.decode()
    parser = FormFields("user_form")
    parser.feed(page)
    prefix = "personal_access_tokens"
    data = {
        **parser.data,
        f"{prefix}-TOTAL_FORMS": ["2"],
        f"{prefix}-1-name": ["smuggled"],
        f"{prefix}-1-type": ["read_write"],
        f"{prefix}-1-user": [str(user.pk)],
        f"{prefix}-1-digest": ["0" * 64],
        f"{prefix}-1-display_prefix": ["pat_0000"],
    }

    response = superuser_client.post(user_url(user), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(PersonalAccessToken.objects.values_list("name", flat=True)) == ["existing"]


# -- the user's page ----------------------------------------------------------


def test_the_users_page_lists_their_tokens_read_only_with_links(
    superuser_client: Client, states: dict[str, PersonalAccessToken], user: User
) -> None:
    response = superuser_client.get(user_url(user))
    html = response.content.decode()
    group = html.split('id="personal_access_tokens-group"')[1].split("</fieldset>")[0]

    assert response.status_code == 200
    for name in ("fresh", "used", "revoked"):
        assert change_url(states[name]) in group
        assert states[name].display_prefix in group
    assert states["soon"].display_prefix not in group  # another user's
    assert "pat-status-revoked" in group
    assert not re.search(r'<input(?![^>]*type="hidden")[^>]*>', group)
    inline = next(
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.opts.model is PersonalAccessToken
    )
    assert not inline.has_add_permission
    assert not inline.has_change_permission
    assert not inline.has_delete_permission


def test_the_users_page_costs_the_same_queries_for_any_number_of_tokens(
    superuser_client: Client, user: User, make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    make_token(name="first")
    with CaptureQueriesContext(connection) as few:
        superuser_client.get(user_url(user))
    for n in range(15):
        made, _ = make_token(name=f"more {n}")
        if n % 2:
            made.revoke()
    with django_assert_num_queries(len(few)):
        superuser_client.get(user_url(user))


def test_saving_the_users_page_leaves_their_tokens_alone(
    superuser_client: Client, user: User, make_token: MakeToken
) -> None:
    token, _ = make_token(name="in use")
    page = superuser_client.get(user_url(user)).content.decode()
    # Meanwhile the token is revoked and used elsewhere.
    token.revoke()
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    token.refresh_from_db()

    parser = FormFields("user_form")
    parser.feed(page)
    parser.data["first_name"] = ["Alice"]
    response = superuser_client.post(user_url(user), parser.data)

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.first_name == "Alice"
    after = PersonalAccessToken.objects.get(pk=token.pk)
    assert (after.revoked_at, after.last_used_at) == (token.revoked_at, token.last_used_at)


def test_a_user_with_many_tokens_shows_the_newest_and_links_to_all(
    superuser_client: Client, user: User, make_token: MakeToken, monkeypatch: Any
) -> None:
    monkeypatch.setattr(NewestTokensFormSet, "shown", 3)
    made = [make_token(name=f"t{index}")[0] for index in range(5)]
    for age, token in enumerate(made):
        PersonalAccessToken.objects.filter(pk=token.pk).update(
            created_at=timezone.now() - timedelta(days=age)
        )

    html = superuser_client.get(user_url(user)).content.decode()

    group = html.split('id="personal_access_tokens-group"')[1].split("</fieldset>")[0]
    shown = re.findall(r'<td class="field-name">\s*<p>(t\d)</p>', group)
    assert shown == ["t0", "t1", "t2"]
    assert "The newest 3 of 5 tokens." in html
    assert f'href="{CHANGELIST}?owner={user.pk}">All of them</a>' in html


def test_a_user_with_few_tokens_shows_them_all_and_no_link(
    superuser_client: Client, user: User, make_token: MakeToken
) -> None:
    make_token(name="only")

    html = superuser_client.get(user_url(user)).content.decode()

    assert "The newest" not in html
    assert "All of them" not in html
