"""Fixtures and helpers of the token admin's tests: pages' addresses, staff
with given permissions, and a token in every state."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_pat.models import PersonalAccessToken

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
MakeStaff = Callable[..., User]

CHANGELIST = reverse("admin:django_pat_personalaccesstoken_changelist")
FIND = reverse("admin:django_pat_personalaccesstoken_find")
ADD = reverse("admin:django_pat_personalaccesstoken_add")
SECRET_RE = re.compile(r"pat_[0-9A-Za-z]{38}")

VIEW = "view_personalaccesstoken"
REVOKE = "revoke_personalaccesstoken"
ADD_PERM = "add_personalaccesstoken"
CHANGE = "change_personalaccesstoken"


def change_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_change", args=[token.pk])


def revoke_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_revoke", args=[token.pk])


def history_url(token: PersonalAccessToken) -> str:
    return reverse("admin:django_pat_personalaccesstoken_history", args=[token.pk])


def user_url(user: User) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def listed(response: Any) -> list[str]:
    """Names of the tokens on a changelist page, in order."""
    return [token.name for token in response.context["cl"].result_list]


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def superuser_client(make_staff: MakeStaff) -> Client:
    client = Client()
    client.force_login(make_staff("root", superuser=True))
    return client


@pytest.fixture
def client_with(make_staff: MakeStaff) -> Callable[..., Client]:
    """A client logged in as a new staff member holding these permissions."""
    counter = iter(range(1, 1000))

    def make(*codenames: str, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        client.force_login(make_staff(f"staff{next(counter)}", *codenames))
        return client

    return make


@pytest.fixture
def states(user: User, other_user: User, make_token: MakeToken) -> dict[str, PersonalAccessToken]:
    """A token in every state, with dates that the filters tell apart."""
    now = timezone.now()
    made = {
        "fresh": make_token(user, name="fresh", type="read_only")[0],
        "used": make_token(user, name="used", ip_restriction="10.0.0.0/8")[0],
        "revoked": make_token(user, name="revoked")[0],
        "expired": make_token(other_user, name="expired")[0],
        "soon": make_token(other_user, name="soon", type="read_only")[0],
        "never": make_token(other_user, name="never")[0],
    }
    made["revoked"].revoke()
    PersonalAccessToken.objects.filter(pk=made["used"].pk).update(last_used_at=now)
    PersonalAccessToken.objects.filter(pk=made["expired"].pk).update(
        expire_at=now - timedelta(days=1),
        created_at=now - timedelta(days=400),
        last_used_at=now - timedelta(days=100),
    )
    PersonalAccessToken.objects.filter(pk=made["soon"].pk).update(expire_at=now + timedelta(days=3))
    PersonalAccessToken.objects.filter(pk=made["never"].pk).update(expire_at=None)
    dormant = User.objects.create_user("carol", "carol@example.com")
    made["dormant"] = make_token(dormant, name="dormant")[0]
    # Deactivated after provisioning: an inactive user cannot be given a token.
    User.objects.filter(pk=dormant.pk).update(is_active=False)
    for token in made.values():
        token.refresh_from_db()
    return made


class FormFields(HTMLParser):
    """The values a browser would send for the form with this id."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.select: str | None = None
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
        if not self.inside:
            return
        name = attr.get("name")
        if tag == "input" and name and attr.get("type") not in ("submit", "button"):
            if attr.get("type") == "checkbox" and "checked" not in attr:
                return
            self.data.setdefault(name, []).append(attr.get("value") or "")
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attr:
            self.data.setdefault(self.select, []).append(attr.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
