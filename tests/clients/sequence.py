"""A script's view of the API: a client generated from the example site's
OpenAPI schema by openapi-python-client runs the whole sequence: list,
provision, use the new token, look it up, ask which token it is, rotate it,
see the old one refused, revoke the new one, and see it refused.
tests/test_generated_clients.py checks it and the generated package with
``mypy --strict``, then runs it against a live site.

Environment: API_BASE_URL (the site, e.g. http://127.0.0.1:8000), API_TOKEN
(a read_write token), TOKEN_NAME (a name for the token to make). Prints one
JSON line saying what it saw; a failed expectation exits non-zero.
"""

from __future__ import annotations

import json
import os
import sys
from typing import NoReturn

from django_pat_example_api_client import AuthenticatedClient
from django_pat_example_api_client.api.personal_access_tokens import (
    get_current_personal_access_token,
    get_personal_access_token,
    list_personal_access_tokens,
    provision_personal_access_token,
    revoke_personal_access_token,
    rotate_personal_access_token,
)
from django_pat_example_api_client.models import (
    PersonalAccessToken,
    PersonalAccessTokenError,
    PersonalAccessTokenProvisionRequest,
    PersonalAccessTokenRevokedReason,
    PersonalAccessTokenRevokeResponse,
    PersonalAccessTokenRotateRequest,
    PersonalAccessTokenState,
)
from django_pat_example_api_client.types import Unset


def fail(what: str) -> NoReturn:
    sys.exit(f"expected {what}")


def main() -> None:
    base_url = os.environ["API_BASE_URL"]
    name = os.environ["TOKEN_NAME"]
    with AuthenticatedClient(base_url, token=os.environ["API_TOKEN"]) as api:
        listed = list_personal_access_tokens.sync(client=api, active=True, limit=10)
        if not isinstance(listed, list):
            fail(f"a list, got {listed!r}")

        # Nothing but a name: the client sends nothing else, the server fills in the rest.
        request = PersonalAccessTokenProvisionRequest(name=name)
        if request.to_dict() != {"name": name}:
            fail(f"only the name sent, not {request.to_dict()}")
        made = provision_personal_access_token.sync(client=api, body=request)
        if not isinstance(made, PersonalAccessToken):
            fail(f"a token, got {made!r}")
        secret = made.token
        if not isinstance(secret, str):
            fail("the secret in the provisioning response")

        # The same name again: a 400 whose body is typed too.
        clash = provision_personal_access_token.sync_detailed(client=api, body=request)
        refused = clash.parsed
        if not (isinstance(refused, PersonalAccessTokenError) and refused.status == 400):
            fail(f"a 400 for a name in use, got {clash.status_code} {refused!r}")
        if isinstance(refused.errors, Unset) or "name" not in refused.errors:
            fail(f"errors.name, got {refused!r}")

        # Use the new token: look itself up. The secret is never shown again.
        with AuthenticatedClient(base_url, token=secret) as own:
            got = get_personal_access_token.sync(client=own, token_id=made.id)
            if not (isinstance(got, PersonalAccessToken) and got.name == name):
                fail(f"the token under its own name, got {got!r}")
            if got.token is not None:
                fail("no secret outside the provisioning response")

            # Which token is this? The one the request came with.
            itself = get_current_personal_access_token.sync(client=own)
            if not (isinstance(itself, PersonalAccessToken) and itself.id == made.id):
                fail(f"self, the calling token, got {itself!r}")
            if itself.state != PersonalAccessTokenState.ACTIVE or itself.last_used_ip is None:
                fail(f"self, active, with the address it was used from, got {itself!r}")

            # The token rotates itself: a new secret; the old one is refused at once.
            rotated = rotate_personal_access_token.sync(
                client=own, token_id=made.id, body=PersonalAccessTokenRotateRequest()
            )
            if not isinstance(rotated, PersonalAccessToken) or rotated.previous_id != made.id:
                fail(f"the successor, got {rotated!r}")
            if not isinstance(rotated.token, str) or rotated.token == secret:
                fail("a new secret in the rotation response")
            old_refused = get_current_personal_access_token.sync_detailed(client=own)
            if old_refused.status_code != 401:
                fail(f"a 401 for the rotated token, got {old_refused.status_code}")
            old = get_personal_access_token.sync(client=api, token_id=made.id)
            if not (
                isinstance(old, PersonalAccessToken)
                and old.revoked_reason == PersonalAccessTokenRevokedReason.ROTATED
            ):
                fail(f"the old token, revoked because it was rotated, got {old!r}")
            again = rotate_personal_access_token.sync(client=api, token_id=made.id)
            if not (isinstance(again, PersonalAccessTokenError) and again.status == 400):
                fail(f"a 400 for rotating it twice, got {again!r}")

        # Revoke the successor; it stays listed, inactive, and stops working at once.
        with AuthenticatedClient(base_url, token=rotated.token) as successor:
            revoked = revoke_personal_access_token.sync(client=api, token_id=rotated.id)
            if not (
                isinstance(revoked, PersonalAccessTokenRevokeResponse) and revoked.status == 200
            ):
                fail(f"a 200 for the revocation, got {revoked!r}")
            after = get_personal_access_token.sync(client=api, token_id=rotated.id)
            if not (isinstance(after, PersonalAccessToken) and after.active is False):
                fail(f"the revoked token, inactive, got {after!r}")
            refused_use = list_personal_access_tokens.sync_detailed(client=successor)
            if not isinstance(refused_use.parsed, PersonalAccessTokenError):
                fail(f"the error body, got {refused_use.content!r}")
            if refused_use.status_code != 401 or refused_use.parsed.status != 401:
                fail(f"a 401 for the revoked token, got {refused_use.status_code}")

    print(
        json.dumps(
            {
                "listed": len(listed),
                "id": str(made.id),
                "rotatedId": str(rotated.id),
                "type": made.type_.value,
                "expireAt": made.expire_at.isoformat() if made.expire_at else None,
                "revokedStatus": revoked.status,
                "afterRevoke": refused_use.parsed.status,
                "afterRotate": old_refused.status_code,
            }
        )
    )


if __name__ == "__main__":
    main()
