"""PersonalAccessTokenBackend through django.contrib.auth.authenticate()."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.views.debug import SafeExceptionReporterFilter, get_exception_reporter_filter

from django_pat.backends import PersonalAccessTokenBackend

BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "django_pat.backends.PersonalAccessTokenBackend",
]


@pytest.fixture(autouse=True)
def backends(settings):
    settings.AUTHENTICATION_BACKENDS = BACKENDS


def request(method: str = "get", remote_addr: str = "127.0.0.1"):
    return getattr(RequestFactory(), method)("/anything", REMOTE_ADDR=remote_addr)


def test_token_authenticates_its_user(user, token):
    stored, secret = token
    req = request()

    assert authenticate(req, token=secret) == user
    assert req.personal_access_token == stored
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_password_login_still_works(user):
    assert authenticate(request(), username="alice", password="alice-password") == user


@pytest.mark.parametrize(
    "value",
    [None, "", "not-ours", "Bearer pat_x", "pat_short", 42],
)
def test_other_values_are_not_ours(db, value):
    assert authenticate(request(), token=value) is None


def test_revoked_token_is_refused(token):
    stored, secret = token
    stored.revoke()

    assert authenticate(request(), token=secret) is None


def test_inactive_users_token_is_refused(user, token):
    user.is_active = False
    user.save()

    assert authenticate(request(), token=token[1]) is None


def test_restriction_and_type_apply(make_token):
    _, restricted = make_token(ip_restriction="10.0.0.0/8")
    _, read_only = make_token(type="read_only")

    assert authenticate(request(remote_addr="192.0.2.1"), token=restricted) is None
    assert authenticate(request(remote_addr="10.1.2.3"), token=restricted) is not None
    assert authenticate(request("post"), token=read_only) is None
    assert authenticate(request("get"), token=read_only) is not None


def test_without_a_request_nothing_is_decided(token):
    # The IP restriction and the method rule need one.
    assert PersonalAccessTokenBackend().authenticate(None, token=token[1]) is None


def test_get_user(user):
    backend = PersonalAccessTokenBackend()

    assert backend.get_user(user.pk) == user
    assert backend.get_user(10_000) is None
    assert backend.get_user("not a pk") is None
    user.is_active = False
    user.save()
    assert backend.get_user(user.pk) is None


def test_a_database_that_fails_authenticates_no_one(token, caplog):
    def refused(execute, sql, params, many, context):
        raise OperationalError("connection to server failed: Connection refused")

    req = request()
    with connection.execute_wrapper(refused), caplog.at_level("ERROR", logger="django_pat"):
        assert authenticate(req, token=token[1]) is None

    assert not hasattr(req, "personal_access_token")
    (logged,) = [r for r in caplog.records if r.name == "django_pat"]
    assert isinstance(logged.exc_info[1], OperationalError)
    assert token[1] not in caplog.text


def test_a_token_request_hides_sensitive_variables_with_debug_on_too(token, user, settings):
    """Django's authenticate() holds the token in a variable it marks
    sensitive; with DEBUG on, Django's filter would show it."""
    settings.DEBUG = True
    with_token, with_password = request(), request()

    authenticate(with_token, token=token[1])
    authenticate(with_password, username="alice", password="alice-password")

    assert get_exception_reporter_filter(with_token).is_active(with_token)
    assert not get_exception_reporter_filter(with_password).is_active(with_password)


def test_the_projects_own_filter_is_kept_and_made_strict(token, settings):
    class ProjectFilter(SafeExceptionReporterFilter):
        cleansed_substitute = "[hidden by the project]"

    settings.DEBUG = True
    req = request()
    req.exception_reporter_filter = ProjectFilter()

    authenticate(req, token=token[1])
    authenticate(req, token=token[1])

    used = get_exception_reporter_filter(req)
    assert isinstance(used, ProjectFilter)
    assert type(used).__mro__[1] is ProjectFilter  # made strict once, not twice
    assert used.is_active(req)
