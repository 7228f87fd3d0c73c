"""Provisioning a token for a user from the admin: the form, the secret shown
once, the model's rules on the form, and who may provision for whom."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from django_pat import tokens
from django_pat.admin import (
    PersonalAccessTokenAdmin,
    validate_provisioning_for,
)
from django_pat.admin import views as admin_views
from django_pat.forms import ProvisionTokenForm
from django_pat.models import PersonalAccessToken
from tests.admin.conftest import (
    ADD,
    ADD_PERM,
    CHANGELIST,
    REVOKE,
    SECRET_RE,
    VIEW,
    MakeStaff,
    MakeToken,
    messages_of,
)
from tests.conftest import LIST_URL, error_report


def test_provisioning_needs_the_add_permission(
    client_with: Callable[..., Client], user: User
) -> None:
    viewer = client_with(VIEW, REVOKE)
    assert viewer.get(ADD).status_code == 403
    assert viewer.post(ADD, {"user": user.pk, "name": "sneaky"}).status_code == 403
    assert not PersonalAccessToken.objects.exists()
    assert client_with(VIEW, ADD_PERM).get(ADD).status_code == 200


# -- provision ----------------------------------------------------------------


def provision(client: Client, **fields: Any) -> Any:
    data = {"type": "read_write", "name": "from the admin", **fields}
    return client.post(ADD, {key: value for key, value in data.items() if value is not None})


def test_the_provisioning_form(client_with: Callable[..., Client], user: User) -> None:
    response = client_with(VIEW, ADD_PERM).get(ADD, {"user": user.pk, "name": "prefilled"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{user.pk}" selected>alice</option>' in html
    assert 'value="prefilled"' in html
    assert 'value="Provision token"' in html
    assert "read_only: GET, HEAD, OPTIONS; read_write: every method" in html


def test_provisioning_shows_the_secret_once_in_that_response_only(
    client_with: Callable[..., Client], user: User, client_for: Callable[[str], APIClient]
) -> None:
    client = client_with(VIEW, ADD_PERM)
    response = provision(client, user=user.pk, type="read_only", ip_restriction="127.0.0.1")

    html = response.content.decode()
    assert response.status_code == 200
    secrets_shown = SECRET_RE.findall(html)
    assert len(secrets_shown) == 1
    secret = secrets_shown[0]
    assert html.count(secret[len("pat_") :]) == 1  # not even as "Pat_…"
    assert "You will not see it again" in html
    assert 'data-pat-copy="pat-secret"' in html
    assert "no-store" in response["Cache-Control"]
    # Not kept anywhere that outlives the response.
    assert "Location" not in response
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    assert secret not in str(dict(client.session.items()))
    assert all(secret not in morsel.value for morsel in client.cookies.values())
    later = client.get(CHANGELIST)
    assert secret not in later.content.decode()
    assert messages_of(later) == []

    token = PersonalAccessToken.objects.get(name="from the admin")
    assert (token.user, token.type, token.ip_restriction) == (user, "read_only", "127.0.0.1")
    assert token.digest == tokens.digest(secret)
    assert client_for(secret).get(LIST_URL).status_code == 200
    assert secret not in str(list(LogEntry.objects.values()))
    assert LogEntry.objects.get(object_id=str(token.pk)).is_addition()


@pytest.mark.parametrize(
    ("where", "attribute"),
    [
        pytest.param(PersonalAccessTokenAdmin, "log_addition", id="before the page"),
        pytest.param(admin_views, "patch_cache_control", id="on the page"),
    ],
)
def test_the_secret_stays_out_of_the_error_report_when_provisioning_fails_after_it_exists(
    superuser_client: Client,
    user: User,
    monkeypatch: pytest.MonkeyPatch,
    where: object,
    attribute: str,
) -> None:
    # Django's report of an error (the DEBUG page, the email to ADMINS) shows
    # every frame's variables: the secret must not be among them.
    made: list[str] = []
    generate = tokens.generate

    def recording_generate(prefix: str) -> str:
        made.append(generate(prefix))
        return made[-1]

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the page broke")

    monkeypatch.setattr(tokens, "generate", recording_generate)
    monkeypatch.setattr(where, attribute, broken)
    try:
        provision(superuser_client, user=user.pk)
    except RuntimeError:
        report = error_report(None, __file__)
    else:  # pragma: no cover
        pytest.fail("the patched step did not raise")

    assert "the page broke" in report
    assert len(made) == 1
    assert made[0][len("pat_") :] not in report


def test_provisioning_without_an_expiry_takes_the_types_default(
    superuser_client: Client, user: User
) -> None:
    before = timezone.now()
    provision(superuser_client, user=user.pk)
    token = PersonalAccessToken.objects.get()
    assert token.expire_at is not None
    assert before + timedelta(days=90) <= token.expire_at <= timezone.now() + timedelta(days=90)


def test_provisioning_with_an_expiry(superuser_client: Client, user: User) -> None:
    when = (timezone.now() + timedelta(days=10)).replace(second=0, microsecond=0)
    provision(
        superuser_client,
        user=user.pk,
        expire_at_0=when.strftime("%Y-%m-%d"),
        expire_at_1=when.strftime("%H:%M:%S"),
    )
    assert PersonalAccessToken.objects.get().expire_at == when


def test_provisioning_a_token_that_never_expires_where_settings_allow_it(
    superuser_client: Client, user: User, settings: Any
) -> None:
    settings.DJANGO_PAT = {"MAX_LIFETIME": None}
    provision(superuser_client, user=user.pk, never_expires="on")
    assert PersonalAccessToken.objects.get().expire_at is None


def _day(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%d")


INVALID = [
    pytest.param({"name": ""}, "name", "Name may not be blank.", id="blank name"),
    pytest.param({"name": "   "}, "name", "Name may not be blank.", id="spaces"),
    pytest.param({"name": "x" * 101}, "name", "at most 100 are allowed", id="long name"),
    pytest.param({"name": "a\x07b"}, "name", "control character", id="control"),
    pytest.param({"name": "taken"}, "name", "already have an active token named", id="dup"),
    pytest.param(
        {"ip_restriction": "10.0.0.300"},
        "ip_restriction",
        "&#x27;10.0.0.300&#x27; is not a valid IP address or network",
        id="bad ip",
    ),
    pytest.param(
        {"ip_restriction": "10.0.0.5/8"}, "ip_restriction", "host bits set", id="host bits"
    ),
    pytest.param({"type": "admin"}, "type", "Select a valid choice", id="unknown type"),
    pytest.param({"user": None}, "user", "This field is required", id="no user"),
    pytest.param({"user": "999999"}, "user", "Select a valid choice", id="unknown user"),
    pytest.param({"user": "abc"}, "user", "Select a valid choice", id="malformed user"),
    pytest.param(
        {"expire_at_0": _day(-1), "expire_at_1": "12:00:00"},
        "expire_at",
        "is not in the future",
        id="past",
    ),
    pytest.param(
        {"expire_at_0": _day(400), "expire_at_1": "12:00:00"},
        "expire_at",
        "longest lifetime",
        id="beyond the maximum",
    ),
    pytest.param(
        {"expire_at_0": "tomorrow", "expire_at_1": "noon"},
        "expire_at",
        "Enter a valid date",
        id="malformed date",
    ),
    pytest.param({"never_expires": "on"}, "expire_at", "must expire", id="never, under a max"),
    pytest.param(
        {"never_expires": "on", "expire_at_0": _day(5), "expire_at_1": "12:00:00"},
        None,
        "not both",
        id="both",
    ),
]


@pytest.mark.parametrize(("fields", "field", "message"), INVALID)
def test_invalid_input_is_shown_on_the_form_and_makes_no_token(
    superuser_client: Client,
    user: User,
    make_token: MakeToken,
    fields: dict[str, Any],
    field: str | None,
    message: str,
) -> None:
    make_token(name="taken")
    response = provision(superuser_client, **{"user": user.pk, **fields})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the error" in html
    assert message in html
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field or "__all__"]
    assert PersonalAccessToken.objects.count() == 1
    assert not SECRET_RE.search(html)


def test_a_deactivated_user_cannot_be_given_a_token(superuser_client: Client, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = provision(superuser_client, user=user.pk, name="for nobody")

    assert response.status_code == 200
    assert "The user &#x27;alice&#x27; is not active." in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


# -- provisioning for someone who holds more ---------------------------------


def grant(user: User, *perms: str) -> User:
    """Give ``user`` these permissions ("app_label.codename"); fresh from the database."""
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def in_group(user: User, *perms: str) -> User:
    group = Group.objects.create(name=f"group of {user.get_username()}")
    for perm in perms:
        app_label, codename = perm.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user.groups.add(group)
    return User.objects.get(pk=user.pk)


def promoted(user: User) -> User:
    User.objects.filter(pk=user.pk).update(is_staff=True)
    return User.objects.get(pk=user.pk)


def refused(response: Any, message: str) -> bool:
    """The form came back with ``message`` on its user field, and nothing was made."""
    errors = response.context["adminform"].form.errors
    return (
        response.status_code == 200
        and list(errors) == ["user"]
        and message in errors["user"][0]
        and "Please correct the error" in response.content.decode()
    )


def test_staff_cannot_provision_a_token_for_a_superuser(make_staff: MakeStaff, user: User) -> None:
    # Provisioning is acting as the owner: a token for a superuser, used on
    # the admin through the middleware, would make this staff member one.
    client = Client()
    client.force_login(make_staff("provisioner", ADD_PERM))
    root = make_staff("root", superuser=True)

    response = provision(client, user=root.pk)

    assert refused(response, "'root' is a superuser: only a superuser may provision a token")
    assert not PersonalAccessToken.objects.exists()
    assert not SECRET_RE.search(response.content.decode())
    # The choice stays on the form, so staff see whom they were refused.
    assert f'value="{root.pk}" selected' in response.content.decode()


@pytest.mark.parametrize(
    "holds",
    [
        pytest.param(lambda u: grant(u, "auth.change_user"), id="a permission of their own"),
        pytest.param(lambda u: in_group(u, "auth.change_user"), id="through a group"),
        pytest.param(
            lambda u: grant(u, "django_pat." + ADD_PERM, "django_pat." + VIEW),
            id="one more than the requester",
        ),
    ],
)
def test_staff_cannot_provision_for_a_user_holding_a_permission_they_lack(
    make_staff: MakeStaff, user: User, holds: Callable[[User], User]
) -> None:
    client = Client()
    client.force_login(make_staff("provisioner", ADD_PERM))
    holds(user)

    response = provision(client, user=user.pk)

    assert refused(response, "'alice' holds permissions you do not")
    assert not PersonalAccessToken.objects.exists()


@pytest.mark.parametrize(
    ("requester_perms", "owner"),
    [
        pytest.param((), lambda u: u, id="owner with no permissions"),
        pytest.param(("auth.change_user",), lambda u: grant(u, "auth.change_user"), id="the same"),
        pytest.param(
            ("auth.change_user", "auth.view_user"),
            lambda u: in_group(u, "auth.view_user"),
            id="a subset, through a group",
        ),
        pytest.param(("auth.view_user",), promoted, id="staff, with fewer"),
    ],
)
def test_staff_may_provision_for_a_user_holding_no_more_than_they_do(
    make_staff: MakeStaff,
    user: User,
    requester_perms: tuple[str, ...],
    owner: Callable[[User], User],
) -> None:
    requester = grant(make_staff("provisioner", ADD_PERM), *requester_perms)
    client = Client()
    client.force_login(requester)
    owner(user)

    response = provision(client, user=user.pk)

    assert response.status_code == 200
    assert len(SECRET_RE.findall(response.content.decode())) == 1
    assert PersonalAccessToken.objects.get().user == user


def test_staff_may_provision_for_themselves(make_staff: MakeStaff) -> None:
    requester = grant(make_staff("provisioner", ADD_PERM), "auth.change_user")
    in_group(requester, "auth.delete_user")
    client = Client()
    client.force_login(requester)

    provision(client, user=requester.pk)

    assert PersonalAccessToken.objects.get().user == requester


def test_a_superuser_may_provision_for_anyone(
    superuser_client: Client, make_staff: MakeStaff, user: User
) -> None:
    other_root = make_staff("other-root", superuser=True)
    powerful = in_group(grant(user, "auth.change_user"), "auth.delete_user")

    provision(superuser_client, user=other_root.pk, name="for root")
    provision(superuser_client, user=powerful.pk, name="for alice")

    assert {(t.user, t.name) for t in PersonalAccessToken.objects.all()} == {
        (other_root, "for root"),
        (powerful, "for alice"),
    }


def test_a_deactivated_user_is_refused_to_staff_too(make_staff: MakeStaff, user: User) -> None:
    client = Client()
    client.force_login(make_staff("provisioner", ADD_PERM))
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = provision(client, user=user.pk)

    assert "The user &#x27;alice&#x27; is not active." in response.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_the_rule_holds_outside_the_admin_too(make_staff: MakeStaff, user: User) -> None:
    # The one function the form calls, for a project's own staff views.
    staff = make_staff("staffer")
    owner = promoted(user)
    nobody = User.objects.create_user("nobody")

    with pytest.raises(ValidationError) as refusal:
        validate_provisioning_for(nobody, staff)
    assert refusal.value.code == "staff"
    with pytest.raises(ValidationError) as refusal:
        validate_provisioning_for(staff, make_staff("root", superuser=True))
    assert refusal.value.code == "superuser"
    with pytest.raises(ValidationError) as refusal:
        validate_provisioning_for(staff, grant(owner, "auth.view_user"))
    assert refusal.value.code == "permissions"
    validate_provisioning_for(staff, nobody)
    validate_provisioning_for(nobody, nobody)


def test_the_cap_on_active_tokens_is_shown_on_the_form(
    superuser_client: Client, user: User, make_token: MakeToken, settings: Any
) -> None:
    settings.DJANGO_PAT = {"MAX_ACTIVE_TOKENS_PER_USER": 1}
    make_token(name="only")
    response = provision(superuser_client, user=user.pk)
    assert "You already have 1 active tokens" in response.content.decode()
    assert PersonalAccessToken.objects.count() == 1


def test_the_user_picker_falls_back_to_a_raw_id_without_a_searchable_user_admin(
    superuser_client: Client, rf: Any, make_staff: MakeStaff
) -> None:
    site = django_admin.AdminSite(name="bare")
    token_admin = PersonalAccessTokenAdmin(PersonalAccessToken, site)
    request = rf.get(ADD)
    request.user = make_staff("bare", superuser=True)
    assert token_admin.get_autocomplete_fields(request) == ()
    site.register(User, type("Searchless", (django_admin.ModelAdmin,), {}))
    assert token_admin.get_autocomplete_fields(request) == ()
    assert "admin-autocomplete" in superuser_client.get(ADD).content.decode()


def test_the_form_without_a_requester_refuses_every_owner(user: User) -> None:
    form = ProvisionTokenForm({"user": user.pk, "name": "nobody asked", "type": "read_only"})

    assert not form.is_valid()
    assert "holds permissions you do not" in form.errors["user"][0]
    assert not PersonalAccessToken.objects.exists()


def test_the_form_outside_the_admin_provisions_in_validating_and_saves_nothing_more(
    user: User,
) -> None:
    form = ProvisionTokenForm(
        {"user": user.pk, "name": "my own", "type": "read_only"}, requester=user
    )

    assert form.is_valid(), form.errors
    with CaptureQueriesContext(connection) as queries:
        token = form.save()
    assert len(queries) == 0
    assert PersonalAccessToken.objects.get() == token
    assert form.secret is not None
    assert tokens.digest(form.secret) == token.digest
