"""The token admin's own pages: find a token by its value, revoke one or
many (asking first), and the page that shows a provisioned token's secret.

Each view takes the request and the :class:`PersonalAccessTokenAdmin` it
serves, as Django's admin views take their site, and sets
``request.current_app`` so that every link on the page, breadcrumbs
included, stays within that admin site.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from ..forms import FindTokenForm
from ..models import PersonalAccessToken
from .addresses import contains_token

if TYPE_CHECKING:
    from .options import PersonalAccessTokenAdmin

__all__ = ["find_token", "no_such_token", "provisioned", "revoke_selected", "revoke_token"]

TEMPLATES = "admin/django_pat/personalaccesstoken/"


def admin_url(model_admin: PersonalAccessTokenAdmin, name: str, *args: Any) -> str:
    """The address of one of the token admin's pages (``changelist``, ``change``…)
    on its own admin site."""
    opts = model_admin.opts
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_{name}",
        args=args,
        current_app=model_admin.admin_site.name,
    )


def _render(
    request: HttpRequest, model_admin: PersonalAccessTokenAdmin, template: str, **context: Any
) -> TemplateResponse:
    request.current_app = model_admin.admin_site.name
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "app_label": model_admin.opts.app_label,
        "media": model_admin.media,
        **context,
    }
    return TemplateResponse(request, TEMPLATES + template, context)


# -- find a token by its value ----------------------------------------------


@sensitive_post_parameters("token")
def find_token(request: HttpRequest, model_admin: PersonalAccessTokenAdmin) -> HttpResponse:
    """Take a full token by POST and go to its page; never echo the value."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    form = FindTokenForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        token: PersonalAccessToken = form.cleaned_data["token"]
        messages.info(
            request,
            format_html(
                gettext("That value is the token '{name}' ({prefix}) of {owner}."),
                name=token.name,
                prefix=token.display_prefix,
                owner=token.user.get_username(),
            ),
        )
        return HttpResponseRedirect(admin_url(model_admin, "change", token.pk))
    return _render(
        request, model_admin, "find.html", title=gettext("Find a token by its value"), form=form
    )


# -- revoke -----------------------------------------------------------------


def revoke_token(
    request: HttpRequest, model_admin: PersonalAccessTokenAdmin, object_id: str
) -> HttpResponse:
    """GET: ask to confirm; POST: revoke this token now."""
    if not model_admin.has_revoke_permission(request):
        raise PermissionDenied
    token = model_admin.get_object(request, unquote(object_id))
    if token is None:
        model_admin.message_user(request, no_such_token(object_id), messages.WARNING)
        return HttpResponseRedirect(admin_url(model_admin, "changelist"))
    if request.method == "POST":
        revoke(request, model_admin, [token])
        return HttpResponseRedirect(admin_url(model_admin, "change", token.pk))
    return _confirm_revoking(
        request,
        model_admin,
        [token],
        hidden=[],
        form_url=admin_url(model_admin, "revoke", token.pk),
        cancel_url=admin_url(model_admin, "change", token.pk),
    )


def revoke_selected(
    request: HttpRequest,
    model_admin: PersonalAccessTokenAdmin,
    queryset: QuerySet[PersonalAccessToken],
) -> HttpResponse | None:
    """The list's action: ask to confirm, then revoke what was selected,
    at most ``model_admin.revoke_limit`` tokens at a time (the confirmation
    lists each of them, and each is revoked on its own, with its signal)."""
    limit = model_admin.revoke_limit
    selected = list(queryset.select_related("user")[: limit + 1])
    if len(selected) > limit:
        model_admin.message_user(
            request,
            gettext(
                "Select at most %(limit)s tokens to revoke at a time (more are selected). "
                "Narrow the list with a filter or a search first; to revoke every token of "
                "a user, use manage.py pat_revoke --user."
            )
            % {"limit": number_format(limit, force_grouping=True)},
            messages.WARNING,
        )
        return None
    if request.POST.get("post") == "yes":
        revoke(request, model_admin, selected)
        return None
    return _confirm_revoking(
        request,
        model_admin,
        selected,
        hidden=[("action", "revoke_selected"), ("post", "yes")]
        + [(helpers.ACTION_CHECKBOX_NAME, str(token.pk)) for token in selected],
        form_url="",
        cancel_url=request.get_full_path(),
    )


def revoke(
    request: HttpRequest,
    model_admin: PersonalAccessTokenAdmin,
    selected: Iterable[PersonalAccessToken],
) -> None:
    """Revoke with the model's own operation, log it, and say what happened."""
    revoked = already = 0
    for token in selected:
        if token.revoke("staff", by=request.user):  # type: ignore[arg-type]
            model_admin.log_change(request, token, "Revoked.")
            revoked += 1
        else:
            already += 1
    if revoked:
        model_admin.message_user(
            request,
            ngettext(
                "Revoked %(count)d token. It no longer authenticates.",
                "Revoked %(count)d tokens. They no longer authenticate.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS,
        )
    if already:
        model_admin.message_user(
            request,
            ngettext(
                "%(count)d token was already revoked.",
                "%(count)d tokens were already revoked.",
                already,
            )
            % {"count": already},
            messages.INFO,
        )


def _confirm_revoking(
    request: HttpRequest,
    model_admin: PersonalAccessTokenAdmin,
    selected: list[PersonalAccessToken],
    *,
    hidden: list[tuple[str, str]],
    form_url: str,
    cancel_url: str,
) -> TemplateResponse:
    to_revoke = [token for token in selected if token.revoked_at is None]
    return _render(
        request,
        model_admin,
        "revoke_confirmation.html",
        title=gettext("Revoke tokens?") if len(selected) > 1 else gettext("Revoke this token?"),
        to_revoke=[(token, _row(model_admin, token)) for token in to_revoke],
        already_revoked=len(selected) - len(to_revoke),
        hidden=hidden,
        form_url=form_url,
        cancel_url=cancel_url,
    )


# -- provision ----------------------------------------------------------------


@sensitive_variables("secret")
def provisioned(
    request: HttpRequest,
    model_admin: PersonalAccessTokenAdmin,
    token: PersonalAccessToken,
    secret: str,
    replaced: PersonalAccessToken | None = None,
) -> TemplateResponse:
    """The answer to provisioning a token, or to rotating ``replaced`` into
    it: its secret, shown this once."""
    # The secret goes into this response's body and nowhere else: not a
    # message (a cookie or the session), not a redirect's URL.
    response = _render(
        request,
        model_admin,
        "provisioned.html",
        title=(
            gettext("Token rotated for %(owner)s")
            if replaced is not None
            else gettext("Token provisioned for %(owner)s")
        )
        % {"owner": token.user.get_username()},
        replaced=replaced,
        token=token,
        secret=secret,
        row=_row(model_admin, token),
        owner=model_admin.owner_link(token),
    )
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    return response


def no_such_token(object_id: str) -> str:
    """The warning for an ID that names no token; an "ID" that is a token
    pasted into the address is not shown back."""
    if contains_token(object_id):
        return gettext("No personal access token has that ID.")
    return gettext("No personal access token has the ID %(id)s.") % {"id": repr(object_id)}


def _row(model_admin: PersonalAccessTokenAdmin, token: PersonalAccessToken) -> dict[str, Any]:
    return {
        "status": model_admin.status_badge(token),
        "ip_restriction": model_admin.ip_restriction_display(token),
    }
