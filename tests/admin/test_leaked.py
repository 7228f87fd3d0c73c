"""A token revoked as leaked, in the admin: the list says so at a glance, the
token's page says why and when."""

from __future__ import annotations

import re

from django.test import Client

from django_pat.leaks import revoke_leaked
from tests.admin.conftest import CHANGELIST, MakeToken
from tests.admin.test_changelist import cells


def test_the_list_and_the_page_show_a_leak_and_when(
    superuser_client: Client, make_token: MakeToken
) -> None:
    leaked, secret = make_token(name="pasted")
    owned, _ = make_token(name="dropped")
    revoke_leaked([secret])
    owned.revoke("owner")

    html = superuser_client.get(CHANGELIST).content.decode()
    page = superuser_client.get(f"{CHANGELIST}{leaked.pk}/change/").content.decode()

    assert cells(html, leaked)["status_and_expiry"] == "revoked revoked as leaked just now"
    assert cells(html, owned)["status_and_expiry"] == "revoked revoked just now"
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "reported as leaked (leaked)" in text
    assert secret not in page
