"""The token admin's rotation: ask to confirm, then replace the token with its
successor and show the new secret once, as for a token provisioned here.

Rotating hands the staff member a working secret for the owner, so it asks
what provisioning asks (the add permission, and
:func:`~django_pat.forms.validate_provisioning_for` for that owner) and what
revoking asks (the revoke permission).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.debug import sensitive_variables

from ..forms import validate_provisioning_for
from ..rotation import default_expiry, rotate
from .views import _render, _row, admin_url, no_such_token, provisioned

if TYPE_CHECKING:
    from .options import PersonalAccessTokenAdmin

__all__ = ["rotate_token"]


@sensitive_variables("secret")
def rotate_token(
    request: HttpRequest, model_admin: PersonalAccessTokenAdmin, object_id: str
) -> HttpResponse:
    """GET: ask to confirm; POST: rotate this token now and show the new secret."""
    if not model_admin.has_rotate_permission(request):
        raise PermissionDenied
    token = model_admin.get_object(request, unquote(object_id))
    if token is None:
        model_admin.message_user(request, no_such_token(object_id), messages.WARNING)
        return HttpResponseRedirect(admin_url(model_admin, "changelist"))
    change_url = admin_url(model_admin, "change", token.pk)
    if request.method != "POST":
        return _render(
            request,
            model_admin,
            "rotate_confirmation.html",
            title=gettext("Rotate this token?"),
            token=token,
            row=_row(model_admin, token),
            owner=model_admin.owner_link(token),
            new_expiry=default_expiry(token.token_type, None, timezone.now()),
            form_url=admin_url(model_admin, "rotate", token.pk),
            cancel_url=change_url,
        )
    try:
        validate_provisioning_for(request.user, token.user)
        successor, secret = rotate(token, by=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        model_admin.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(change_url)
    model_admin.log_change(request, token, f"Rotated: replaced by {successor.pk}.")
    model_admin.log_addition(request, successor, f"Provisioned by rotating {token.pk}.")
    return provisioned(request, model_admin, successor, secret, replaced=token)
