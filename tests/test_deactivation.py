"""A deactivated user's tokens stop working at once; with
REVOKE_ON_USER_DEACTIVATION they are revoked too, each through revoke()."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import serializers

from django_pat.models import PersonalAccessToken
from django_pat.signals import token_revoked
from tests.conftest import rolled_back

LIST_URL = "/api/personal-access-tokens"


@pytest.fixture
def revoked_signals():
    sent = []

    def receiver(sender, token, **kwargs):
        sent.append(token.pk)

    token_revoked.connect(receiver, dispatch_uid="test_deactivation")
    yield sent
    token_revoked.disconnect(dispatch_uid="test_deactivation")


def deactivate(user: User) -> None:
    user.is_active = False
    user.save()


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
    theirs, _ = make_token(other_user, name="theirs")

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(user)

    assert sorted(revoked_signals) == sorted(token.pk for token in mine)
    assert not PersonalAccessToken.objects.for_user(user).filter(revoked_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


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
