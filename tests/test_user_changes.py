"""Tokens and changes to their user (django_pat/user_changes.py).

A deactivated user's tokens stop working at once; with
REVOKE_ON_USER_DEACTIVATION they are revoked too. A new password leaves
tokens working; with REVOKE_ON_PASSWORD_CHANGE it revokes them. Either way
each is revoked through revoke(), with its signal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import User
from django.core import serializers
from django.core.management import call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone
from rest_framework.request import Request

from django_pat.authentication import PersonalAccessTokenAuthentication
from django_pat.models import PersonalAccessToken
from django_pat.signals import token_revoked
from tests.conftest import rolled_back

LIST_URL = "/api/personal-access-tokens"


@pytest.fixture
def revoked_signals():
    sent = []

    def receiver(sender, token, **kwargs):
        sent.append(token.pk)

    token_revoked.connect(receiver, dispatch_uid="test_user_changes")
    yield sent
    token_revoked.disconnect(dispatch_uid="test_user_changes")


def deactivate(user: User) -> None:
    user.is_active = False
    user.save()


def revoked(token: PersonalAccessToken) -> bool:
    token.refresh_from_db()
    return token.revoked_at is not None


def expire(token: PersonalAccessToken) -> PersonalAccessToken:
    PersonalAccessToken.objects.filter(pk=token.pk).update(
        expire_at=timezone.now() - timedelta(seconds=1)
    )
    token.refresh_from_db()
    return token


# --- deactivation ---------------------------------------------------------------


def test_tokens_stop_working_at_once(user, token, client_for):
    client = client_for(token[1])
    assert client.get(LIST_URL).status_code == 200

    deactivate(user)

    # The same client, straight after: nothing remembered the earlier success.
    assert client.get(LIST_URL).status_code == 401


def test_by_default_tokens_are_not_revoked(user, token, client_for, revoked_signals):
    deactivate(user)
    token[0].refresh_from_db()

    assert token[0].revoked_at is None
    assert revoked_signals == []
    user.is_active = True
    user.save()
    assert client_for(token[1]).get(LIST_URL).status_code == 200


@pytest.fixture
def revoke_on_deactivation(settings):
    settings.DJANGO_PAT = {"REVOKE_ON_USER_DEACTIVATION": True}


def test_setting_revokes_every_token_with_a_signal_each(
    user,
    other_user,
    make_token,
    revoke_on_deactivation,
    revoked_signals,
    django_capture_on_commit_callbacks,
):
    mine = [make_token(name=f"t{i}")[0] for i in range(3)]
    already, _ = make_token(name="old")
    already.revoke()
    expired = expire(make_token(name="expired")[0])
    theirs, _ = make_token(other_user, name="theirs")

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(user)

    assert sorted(revoked_signals) == sorted(token.pk for token in mine)
    assert all(revoked(token) for token in mine)
    assert not revoked(expired)  # stays "expired": it could not authenticate anyway
    assert not revoked(theirs)


def test_a_deactivation_rolled_back_revokes_nothing_and_says_nothing(
    user,
    token,
    client_for,
    revoke_on_deactivation,
    revoked_signals,
    django_capture_on_commit_callbacks,
):
    """Signals wait for the commit: an audit log never records a revocation
    that the rollback of the user's save undid."""

    def deactivate_and_check() -> None:
        deactivate(user)
        assert PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        rolled_back(deactivate_and_check)

    assert revoked_signals == []
    assert PersonalAccessToken.objects.get(pk=token[0].pk).revoked_at is None
    assert client_for(token[1]).get(LIST_URL).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(user)

    assert revoked_signals == [token[0].pk]


def test_reactivation_does_not_bring_revoked_tokens_back(
    user, token, client_for, revoke_on_deactivation
):
    deactivate(user)
    user.is_active = True
    user.save()

    assert client_for(token[1]).get(LIST_URL).status_code == 401


def test_saving_an_active_user_revokes_nothing(user, token, revoke_on_deactivation):
    user.first_name = "Alice"
    user.save()

    token[0].refresh_from_db()
    assert token[0].revoked_at is None


def test_loaddata_does_not_revoke(user, token, revoke_on_deactivation):
    user.is_active = False
    data = serializers.serialize("json", [user])

    for restored in serializers.deserialize("json", data):
        restored.save()  # raw save, as loaddata does

    token[0].refresh_from_db()
    assert token[0].revoked_at is None


# --- password changes -----------------------------------------------------------


def set_password(user: User) -> None:
    user.set_password("a-new-password")
    user.save()


def set_unusable_password(user: User) -> None:
    user.set_unusable_password()
    user.save()


def save_only_the_password(user: User) -> None:
    user.set_password("a-new-password")
    user.save(update_fields=["password"])


CHANGES = [
    pytest.param(set_password, id="set_password"),
    pytest.param(set_unusable_password, id="set_unusable_password"),
    pytest.param(save_only_the_password, id="update_fields"),
]


@pytest.mark.parametrize("change", CHANGES)
def test_by_default_tokens_outlive_a_password_change(
    user, token, client_for, revoked_signals, change
):
    change(user)

    assert not revoked(token[0])
    assert revoked_signals == []
    assert client_for(token[1]).get(LIST_URL).status_code == 200


@pytest.fixture
def revoke_on_password_change(settings):
    settings.DJANGO_PAT = {"REVOKE_ON_PASSWORD_CHANGE": True}


@pytest.mark.parametrize("change", CHANGES)
def test_setting_revokes_every_live_token_on_a_password_change(
    user,
    other_user,
    make_token,
    client_for,
    revoke_on_password_change,
    revoked_signals,
    change,
    django_capture_on_commit_callbacks,
):
    mine = [make_token(name=f"t{i}") for i in range(3)]
    already, _ = make_token(name="old")
    already.revoke()
    expired = expire(make_token(name="expired")[0])
    theirs, _ = make_token(other_user, name="theirs")

    with django_capture_on_commit_callbacks(execute=True):
        change(user)

    assert sorted(revoked_signals) == sorted(token.pk for token, _ in mine)
    assert all(client_for(secret).get(LIST_URL).status_code == 401 for _, secret in mine)
    assert not revoked(expired)  # stays "expired": it could not authenticate anyway
    assert not revoked(theirs)


def test_a_new_password_for_a_deactivated_user_revokes_for_good(
    user, token, client_for, revoke_on_password_change
):
    deactivate(user)
    set_password(user)
    user.is_active = True
    user.save()

    assert revoked(token[0])
    assert client_for(token[1]).get(LIST_URL).status_code == 401


def test_a_password_change_through_the_admin_revokes(
    user, token, make_staff, client, revoke_on_password_change
):
    client.force_login(make_staff("root", superuser=True))

    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"usable_password": "true", "password1": "Xy7-new-pass", "password2": "Xy7-new-pass"},
    )

    assert response.status_code == 302, response.content
    user.refresh_from_db()
    assert user.check_password("Xy7-new-pass")
    assert revoked(token[0])


def test_changepassword_command_revokes(user, token, revoke_on_password_change, monkeypatch):
    from django.contrib.auth.management.commands import changepassword

    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "Xy7-new")

    call_command("changepassword", user.username, stdout=None)

    user.refresh_from_db()
    assert user.check_password("Xy7-new")
    assert revoked(token[0])


def test_a_hash_upgraded_at_login_is_not_a_change(user, token, revoke_on_password_change):
    # A hash made with a salt too short for today's hasher: Django rewrites it
    # at the next successful check of the password, which is no new password.
    old_hash = MD5PasswordHasher().encode("alice-password", "ab")
    User.objects.filter(pk=user.pk).update(password=old_hash)

    assert authenticate(username="alice", password="alice-password") is not None

    user.refresh_from_db()
    assert user.password != old_hash  # upgraded
    assert not revoked(token[0])


def test_a_save_that_keeps_the_password_revokes_nothing(
    user, token, revoke_on_password_change, django_assert_num_queries
):
    user.first_name = "Alice"
    with django_assert_num_queries(1):  # the UPDATE: not even a look at the old hash
        user.save()

    assert not revoked(token[0])


def test_a_save_that_keeps_an_unusable_password_revokes_nothing(
    user, make_token, revoke_on_password_change
):
    set_unusable_password(user)
    token, _ = make_token(name="after")

    user.first_name = "Alice"
    user.save()

    assert not revoked(token)


def test_a_new_password_left_out_of_update_fields_is_no_change(
    user, token, revoke_on_password_change
):
    user.set_password("a-new-password")
    user.save(update_fields=["first_name"])

    user.refresh_from_db()
    assert user.check_password("alice-password")
    assert not revoked(token[0])


def test_a_user_created_with_a_password_is_no_change(
    db, revoke_on_password_change, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the INSERT: no look for tokens to revoke
        User.objects.create_user("carol", "carol@example.com", "carol-password")


def test_loaddata_of_a_new_hash_does_not_revoke(user, token, revoke_on_password_change):
    user.set_password("a-new-password")
    data = serializers.serialize("json", [user])

    for restored in serializers.deserialize("json", data):
        restored.save()  # raw save, as loaddata does

    assert not revoked(token[0])


def token_user(secret: str) -> User:
    """The user as the authentication class gives it to a view."""
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    result = PersonalAccessTokenAuthentication().authenticate(Request(request))
    assert result is not None
    return result[0]


def test_a_change_made_by_a_request_revokes_the_token_it_came_with(
    token, client_for, revoke_on_password_change
):
    set_password(token_user(token[1]))

    assert revoked(token[0])
    assert client_for(token[1]).get(LIST_URL).status_code == 401


CACHE_MODE = {
    "CACHES": {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pat": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"pat-{uuid.uuid4()}",
        },
    },
}


# Transactional: cache mode forgets entries when a change commits.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("setting", "works_after"), [(False, True), (True, False)])
def test_cache_mode_sees_the_change(token, client_for, setting, works_after):
    pat = {"CACHE": "pat", "REVOKE_ON_PASSWORD_CHANGE": setting}
    with override_settings(**CACHE_MODE, DJANGO_PAT=pat):
        token_user(token[1])  # fills the cache
        # A hit: the user the view gets has no hash loaded.
        user = token_user(token[1])
        assert "password" in user.get_deferred_fields()

        set_password(user)

        assert (client_for(token[1]).get(LIST_URL).status_code == 200) is works_after
        assert revoked(token[0]) is not works_after
