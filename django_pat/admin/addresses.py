"""Keeping tokens out of the admin's addresses.

A token pasted into the search box, or into any part of an admin address,
is in that request's URL already, too late for that; but it must not be
searched for and shown back, nor carried on into the next URL and the links
of the page. Whatever is shaped like a token is dropped, with a message
pointing to "Find a token by its value", which takes the token by POST.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from django.contrib import messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.debug import sensitive_variables

from .. import tokens
from ..conf import pat_settings

__all__ = ["contains_token", "token_pattern", "without_tokens"]


def token_pattern() -> str:
    """What a token looks like, checksum unchecked, anywhere in a text.

    Matched without regard to case, as secret scanners do: a token whose
    prefix was upper-cased on the way still gives its secret part away.
    """
    length = tokens.RANDOM_LENGTH + tokens.CHECKSUM_LENGTH
    return f"{re.escape(pat_settings.token_prefix)}_[0-9A-Za-z]{{{length}}}"


@sensitive_variables()
def contains_token(text: str) -> bool:
    """Whether ``text`` holds something shaped like a token, even percent-encoded."""
    pattern = re.compile(token_pattern(), re.IGNORECASE)
    return any(pattern.search(form) for form in (text, unquote(text)))


@sensitive_variables()
def without_tokens(request: HttpRequest) -> HttpResponse | None:
    """Send a request whose query string holds a token to the same page without it.

    A token pasted into the search box (``Bearer pat_…``, ``token=pat_…``,
    quoted, upper-cased, percent-encoded) is in this request's URL already,
    too late for that; but not in the page, which would show it back, nor in
    the next URL, nor in the links the page would carry it in.
    """
    params = request.GET.copy()
    dropped = [
        key
        for key, values in params.lists()
        if contains_token(key) or any(contains_token(value) for value in values)
    ]
    if not dropped:
        return None
    for key in dropped:
        del params[key]
    what = "search" if SEARCH_VAR in dropped else "address"
    messages.warning(
        request,
        f"That {what} contained a token, and addresses go into logs, so it was dropped. "
        "Paste the token into 'Find a token by its value' instead, which sends it by POST.",
    )
    return HttpResponseRedirect(f"{request.path}?{params.urlencode()}" if params else request.path)
