"""The token list's search, written so that indexes can serve it.

Django's admin search ORs every field of ``search_fields`` in one condition,
the owner's username and email included, across the join to the user
table: no index can serve that, so PostgreSQL reads every token and every
user, twice a page (once to count). Here each word of the search is looked
up in two steps instead:

1. the users whose fields match, in the user table alone (one query, at
   most :data:`USER_LIMIT` of them read, fewer where the database limits a
   query's parameters);
2. the tokens that belong to one of those users, or whose own fields match:
   ``user_id IN (…) OR name … OR display_prefix …``, all on the token table,
   which PostgreSQL answers by combining an index per term (the owner index,
   and the trigram indexes of ``django_pat.search_indexes`` when installed).

When more users match than :data:`USER_LIMIT` (a word as common as "a"),
the owners stay a subquery: such a word matches so many tokens that the
first page is found at once anyway.

Results are the same as Django's: each word must match one of the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

__all__ = ["USER_LIMIT", "search_tokens"]

# The most users whose ids one word of a search puts into the token query.
USER_LIMIT = 1000

_OWNER = "user__"


def search_tokens(
    queryset: QuerySet[Any], search_fields: list[str] | tuple[str, ...], search_term: str
) -> QuerySet[Any]:
    """``queryset`` narrowed to the tokens matching every word of ``search_term``.

    ``search_fields`` are written as for ``ModelAdmin.search_fields``
    (``^`` for "starts with", ``=`` for "equals", else "contains"); those
    under ``user__`` are looked up on the user table first.
    """
    owner_lookups, own_lookups = [], []
    for field in map(str, search_fields):
        lookup = _lookup(field)
        if lookup.startswith(_OWNER):
            owner_lookups.append(lookup.removeprefix(_OWNER))
        else:
            own_lookups.append(lookup)
    words = _words(search_term)
    # Ids are sent as query parameters, which some databases count (SQLite:
    # 999 before 3.32): keep half of those for the ids of all the words.
    limit = USER_LIMIT
    max_params = connections[queryset.db].features.max_query_params
    if max_params and words:
        limit = min(limit, max_params // 2 // len(words))
    for word in words:
        condition = Q.create([(lookup, word) for lookup in own_lookups], connector=Q.OR)
        if owner_lookups:
            condition |= _owned_by_matching_users(owner_lookups, word, limit)
        queryset = queryset.filter(condition)
    return queryset


def _words(search_term: str) -> list[str]:
    """The words of a search, as Django's admin splits them: quotes keep spaces."""
    words = []
    for word in smart_split(search_term):
        if word.startswith(('"', "'")) and word[0] == word[-1]:
            word = unescape_string_literal(word)
        words.append(word)
    return words


def _lookup(field: str) -> str:
    if field.startswith("^"):
        return f"{field[1:]}__istartswith"
    if field.startswith("="):
        return f"{field[1:]}__iexact"
    return f"{field}__icontains"


def _owned_by_matching_users(lookups: list[str], word: str, limit: int) -> Q:
    users = get_user_model()._default_manager.filter(
        Q.create([(lookup, word) for lookup in lookups], connector=Q.OR)
    )
    opts = users.model._meta
    if any(lookup_spawns_duplicates(opts, lookup) for lookup in lookups):
        users = users.distinct()
    # Ordered by nothing: any limit + 1 of them tell whether there are more.
    found = list(users.order_by().values_list("pk", flat=True)[: limit + 1])
    if len(found) > limit:
        return Q(user__in=users.values("pk"))
    return Q(user__in=found)
