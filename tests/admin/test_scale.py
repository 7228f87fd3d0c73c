"""What keeps the token list as quick at a million tokens as at a thousand:
counts that stop at a limit, a search that indexes can serve, "Show counts"
in one pass per filter, an order each filter's index can serve, and (on
PostgreSQL) the plans that use those indexes. Times are for the benchmark
(``python -m benchmarks.scale``); these tests hold the queries."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_pat.admin import PersonalAccessTokenAdmin
from django_pat.admin import search as admin_search
from django_pat.admin.counting import RowCount
from django_pat.models import PersonalAccessToken
from tests.admin.conftest import CHANGELIST, REVOKE, VIEW, MakeToken, listed, messages_of

postgres = pytest.mark.postgres


@pytest.fixture
def count_limit(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set the token admin's count limit for this test."""

    def set_limit(limit: int) -> None:
        monkeypatch.setattr(PersonalAccessTokenAdmin, "list_count_limit", limit)

    return set_limit


def token_queries(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if "django_pat_personalaccesstoken" in q["sql"]
    ]


def many_tokens(count: int, **fields: Any) -> list[PersonalAccessToken]:
    """``count`` rows straight into the table (not usable secrets), one owner each."""
    now = timezone.now()
    owners = User.objects.bulk_create(
        [User(username=f"owner-{uuid.uuid4().hex[:12]}") for _ in range(count)]
    )
    return PersonalAccessToken.objects.bulk_create(
        [
            PersonalAccessToken(
                user=owner,
                name=f"bulk {index}",
                type="read_write",
                digest=uuid.uuid4().hex + uuid.uuid4().hex,
                display_prefix=f"pat_{index:04d}",
                created_at=now - timedelta(minutes=index),
                expire_at=now + timedelta(days=30),
                **fields,
            )
            for index, owner in enumerate(owners)
        ]
    )


# -- counting -------------------------------------------------------------------


def test_the_list_is_counted_once_and_at_most_to_the_limit(
    superuser_client: Client, make_token: MakeToken, count_limit: Callable[[int], None]
) -> None:
    count_limit(5)
    for index in range(8):
        make_token(name=f"t{index}")

    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(CHANGELIST, {"q": "t"})

    counts = [sql for sql in token_queries(queries) if "COUNT(" in sql]
    assert len(counts) == 1  # no second count of the whole table
    assert re.search(r"LIMIT 6\b", counts[0])
    html = response.content.decode()
    assert len(listed(response)) == 8  # one page of 50 holds them all
    if connection.vendor == "sqlite":
        assert "more than 5 personal access tokens" in html
        assert "more than 5 results" in html
    else:
        assert re.search(r"(about [0-9,]+|more than 5) personal access tokens", html)
    # Never the exact count (an estimate of "about 18" is no exact 8).
    assert not re.search(r"(?<![\d,])8 personal access tokens", html)


def test_below_the_limit_the_count_is_exact(
    superuser_client: Client, make_token: MakeToken, count_limit: Callable[[int], None]
) -> None:
    count_limit(10)
    for index in range(3):
        make_token(name=f"t{index}")

    html = superuser_client.get(CHANGELIST, {"q": "t"}).content.decode()

    assert "3 personal access tokens" in html
    assert "3 results" in html


def test_pages_past_the_limit_can_be_reached_one_by_one(
    superuser_client: Client, count_limit: Callable[[int], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    count_limit(4)
    monkeypatch.setattr(PersonalAccessTokenAdmin, "list_per_page", 2)
    made = many_tokens(9)  # newest first: bulk 0, bulk 1, ...

    first = superuser_client.get(CHANGELIST)
    fifth = superuser_client.get(CHANGELIST, {"p": "5"})
    beyond = superuser_client.get(CHANGELIST, {"p": "6"})

    assert listed(first) == ["bulk 0", "bulk 1"]
    # Page 5 lies past what was counted (4); it is still there.
    assert listed(fifth) == ["bulk 8"]
    assert beyond.status_code == 200
    assert listed(beyond) == []
    # The page links end with an ellipsis, not a last page that is not known.
    links = re.search(r'<p class="paginator">(.*?)</p>', first.content.decode(), re.S)
    assert links is not None
    assert re.split("about|more than", links.group(1))[0].strip().endswith("…")
    assert len(made) == 9


def test_select_all_is_offered_only_where_the_list_was_counted(
    client_with: Callable[..., Client],
    count_limit: Callable[[int], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PersonalAccessTokenAdmin, "list_per_page", 2)
    many_tokens(4)
    client = client_with(VIEW, REVOKE)

    count_limit(10)
    assert "Select all 4 personal access tokens" in client.get(CHANGELIST).content.decode()
    count_limit(3)
    assert not re.search(r"Select all \S+ personal", client.get(CHANGELIST).content.decode())


@postgres
def test_on_postgresql_a_long_list_reads_about_as_many_as_the_planner_expects(
    superuser_client: Client, count_limit: Callable[[int], None]
) -> None:
    count_limit(5)
    many_tokens(40)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_pat_personalaccesstoken")

    html = superuser_client.get(CHANGELIST).content.decode()

    assert "about 40 personal access tokens" in html


def test_a_row_count_reads_as_a_person_would_write_it() -> None:
    assert str(RowCount(1234)) == "1234"
    assert str(RowCount(10_001, lower_bound=True)) == "more than 10,000"
    assert str(RowCount(1_234_567, exact=False)) == "about 1,200,000"
    assert str(RowCount(48_935, exact=False)) == "about 49,000"


# -- the number of queries -----------------------------------------------------------

FILTERS = [
    "",
    "status=active",
    "status=revoked",
    "status=expired",
    "status=inactive",
    "type=read_only",
    "expires=7d",
    "expires=30d",
    "expires=past",
    "expires=never",
    "used=7d",
    "used=stale",
    "used=never",
    "q=owner",
    "q=alice",
    "_facets=1",
    "_facets=1&status=active&q=o",
]


@pytest.fixture
def tokens_of_many_owners(make_token: MakeToken) -> Callable[[int], None]:
    def make(count: int) -> None:
        now = timezone.now()
        for n in range(count):
            someone = User.objects.create_user(f"owner{n}-{uuid.uuid4().hex[:6]}")
            made, _ = make_token(someone, name=f"token {n}", ip_restriction="10.0.0.0/8")
            if n % 3 == 1:
                made.revoke()
            if n % 4 == 0:
                PersonalAccessToken.objects.filter(pk=made.pk).update(
                    expire_at=now - timedelta(days=1), last_used_at=now - timedelta(days=100)
                )
            if n % 5 == 0:
                User.objects.filter(pk=someone.pk).update(is_active=False)

    return make


@pytest.mark.parametrize("limit", [10_000, 0])
@pytest.mark.parametrize("query", FILTERS)
def test_each_filter_search_and_show_counts_costs_the_same_queries_at_any_size(
    superuser_client: Client,
    tokens_of_many_owners: Callable[[int], None],
    count_limit: Callable[[int], None],
    django_assert_num_queries: Any,
    query: str,
    limit: int,
) -> None:
    # With a limit of 0, every list that is not empty is past it, at both
    # sizes: counted "more than 0", or estimated on PostgreSQL.
    count_limit(limit)
    tokens_of_many_owners(4)  # one expired, one revoked, two active
    superuser_client.get(f"{CHANGELIST}?{query}")
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(f"{CHANGELIST}?{query}").status_code == 200

    tokens_of_many_owners(40)

    with django_assert_num_queries(len(few)):
        response = superuser_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200


def test_show_counts_counts_the_filters_in_one_pass_without_subqueries(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(CHANGELIST, {"_facets": "1"})

    html = response.content.decode()
    passes = [sql for sql in token_queries(queries) if "FILTER (WHERE" in sql or "CASE WHEN" in sql]
    # No filter in use: status, type, created, expiry and last used, in one pass.
    assert len(passes) == 1
    assert "IN (SELECT" not in passes[0].upper()
    # Django's own facets would show the same numbers, by a subquery per choice.
    for label, count in [
        ("Active", 4),
        ("Revoked", 1),
        ("Expired", 1),
        ("Not active, for any reason", 3),
        ("read_only", 2),
        ("read_write", 5),
        ("In the next 7 days", 1),
        ("Already passed", 1),
        ("Never", 1),
        ("Not in the last 90 days", 1),
    ]:
        assert f"{label} ({count})" in html


def test_a_filter_in_use_counts_its_choices_in_a_pass_of_its_own(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        html = superuser_client.get(CHANGELIST, {"_facets": "1", "status": "revoked"}).content
    passes = [sql for sql in token_queries(queries) if "FILTER (WHERE" in sql or "CASE WHEN" in sql]

    # The other filters, over the revoked tokens; the status, over them all.
    assert len(passes) == 2
    assert "Active (4)" in html.decode()
    assert "read_write (1)" in html.decode()


def test_show_counts_match_what_each_choice_lists(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    html = superuser_client.get(CHANGELIST, {"_facets": "1", "type": "read_write"}).content.decode()
    for value, label in [("active", "Active"), ("revoked", "Revoked"), ("inactive", "Not active")]:
        shown = len(
            listed(superuser_client.get(CHANGELIST, {"status": value, "type": "read_write"}))
        )
        assert re.search(rf"{label}[^<(]*\({shown}\)", html)


@postgres
def test_on_postgresql_counts_past_the_limit_are_the_planners_estimates(
    superuser_client: Client, count_limit: Callable[[int], None]
) -> None:
    count_limit(5)
    many_tokens(30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_pat_personalaccesstoken")

    html = superuser_client.get(CHANGELIST, {"_facets": "1"}).content.decode()

    assert "read_write (about 30)" in html
    assert "Active (about " in html


# -- search --------------------------------------------------------------------------


def test_the_search_looks_up_owners_first_and_never_joins_them_into_the_condition(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(CHANGELIST, {"q": "alice"})

    assert set(listed(response)) == {"fresh", "used", "revoked"}
    sql = token_queries(queries)
    count = next(q for q in sql if "COUNT(" in q)
    assert "auth_user" not in count
    # The page's query joins the owner to show them, never to search them.
    page = next(q for q in sql if "ORDER BY" in q)
    where = page.split(" WHERE ", 1)[1]
    assert "auth_user" not in where


def test_a_word_matching_more_owners_than_the_limit_still_finds_their_tokens(
    superuser_client: Client,
    states: dict[str, PersonalAccessToken],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(admin_search, "USER_LIMIT", 1)

    # "example.com" is in alice's, bob's and carol's email: more than one.
    response = superuser_client.get(CHANGELIST, {"q": "example.com"})

    assert set(listed(response)) == set(states)


def test_owner_ids_never_exceed_what_the_database_takes_in_one_query(
    superuser_client: Client,
    states: dict[str, PersonalAccessToken],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Like SQLite before 3.32: at most 999 parameters a query; here 8.
    features = connection.features
    try:
        monkeypatch.setattr(features, "max_query_params", 8)
    except AttributeError:  # Django 6: a property of SQLite's features, not settable
        monkeypatch.setattr(type(features), "max_query_params", 8)

    with CaptureQueriesContext(connection) as queries:
        # Two words, each matching three owners: 6 ids would leave no room.
        response = superuser_client.get(CHANGELIST, {"q": "example.com e"})

    assert set(listed(response)) == set(states)
    count = next(q for q in token_queries(queries) if "COUNT(" in q)
    assert count.count("IN (SELECT") == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alice fresh", {"fresh"}),  # every word must match one of the fields
        ('"bob@example"', {"expired", "soon", "never"}),
        ("alice bob", set()),
        ("ALICE", {"fresh", "used", "revoked"}),
    ],
)
def test_every_word_of_a_search_must_match(
    superuser_client: Client,
    states: dict[str, PersonalAccessToken],
    query: str,
    expected: set[str],
) -> None:
    assert set(listed(superuser_client.get(CHANGELIST, {"q": query}))) == expected


def test_a_project_admin_may_search_other_owner_fields(
    superuser_client: Client,
    states: dict[str, PersonalAccessToken],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    User.objects.filter(username="bob").update(first_name="Roberta")
    monkeypatch.setattr(
        PersonalAccessTokenAdmin,
        "get_search_fields",
        lambda self, request: ["=user__first_name", "^name"],
    )

    assert set(listed(superuser_client.get(CHANGELIST, {"q": "roberta"}))) == {
        "expired",
        "soon",
        "never",
    }
    assert set(listed(superuser_client.get(CHANGELIST, {"q": "rob"}))) == set()
    assert set(listed(superuser_client.get(CHANGELIST, {"q": "ne"}))) == {"never"}


# -- the order a filter chooses ----------------------------------------------------------


def test_expiry_filters_list_by_expiry_which_the_column_header_shows(
    superuser_client: Client, many_expiries: dict[str, PersonalAccessToken]
) -> None:
    soon = superuser_client.get(CHANGELIST, {"expires": "30d"})
    expired = superuser_client.get(CHANGELIST, {"status": "expired"})
    passed = superuser_client.get(CHANGELIST, {"expires": "past"})

    assert listed(soon) == ["in 1 day", "in 5 days", "in 20 days"]
    assert listed(expired) == ["1 day ago", "5 days ago", "20 days ago"]
    assert listed(passed) == ["1 day ago", "5 days ago", "20 days ago"]
    assert 'class="sortable column-status_and_expiry sorted ascending"' in soon.content.decode()
    assert 'class="sortable column-status_and_expiry sorted descending"' in (
        expired.content.decode()
    )


def test_stale_tokens_are_listed_oldest_first(
    superuser_client: Client, many_expiries: dict[str, PersonalAccessToken]
) -> None:
    stale = listed(superuser_client.get(CHANGELIST, {"used": "stale"}))
    # Newest first, it would be the other way round.
    assert stale == ["1 day ago", "5 days ago", "20 days ago"]


def test_a_column_the_user_sorts_by_comes_before_the_filters_order(
    superuser_client: Client, many_expiries: dict[str, PersonalAccessToken]
) -> None:
    # Column 5 is "created": o=-5 sorts by it, newest first.
    names = listed(superuser_client.get(CHANGELIST, {"status": "expired", "o": "-5"}))
    assert names == ["20 days ago", "5 days ago", "1 day ago"]


@pytest.fixture
def many_expiries(make_token: MakeToken) -> dict[str, PersonalAccessToken]:
    """Expired and expiring tokens, made in the opposite order of their expiry."""
    now = timezone.now()
    made = {}
    for days, name in [(20, "in 20 days"), (5, "in 5 days"), (1, "in 1 day")]:
        made[name] = make_token(name=name, expire_at=now + timedelta(days=days))[0]
    for index, (days, name) in enumerate(
        [(1, "1 day ago"), (5, "5 days ago"), (20, "20 days ago")]
    ):
        token = make_token(name=name)[0]
        PersonalAccessToken.objects.filter(pk=token.pk).update(
            expire_at=now - timedelta(days=days),
            created_at=now - timedelta(days=100 - index),
            last_used_at=now - timedelta(days=95),
        )
        made[name] = token
    return made


# -- revoking many -------------------------------------------------------------------


def test_the_revoke_action_takes_at_most_its_limit_at_a_time(
    client_with: Callable[..., Client], make_token: MakeToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PersonalAccessTokenAdmin, "revoke_limit", 2)
    chosen = [make_token()[0].pk for _ in range(3)]

    response = client_with(VIEW, REVOKE).post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": chosen, "post": "yes"},
        follow=True,
    )

    assert any("Select at most 2 tokens to revoke at a time" in m for m in messages_of(response))
    assert not PersonalAccessToken.objects.revoked().exists()


# -- PostgreSQL's plans ------------------------------------------------------------------


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def analysed_table() -> None:
    many_tokens(3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE django_pat_personalaccesstoken")
        cursor.execute("ANALYZE auth_user")


@postgres
def test_on_postgresql_the_default_page_reads_the_newest_tokens_from_an_index(
    superuser_client: Client, analysed_table: None
) -> None:
    with CaptureQueriesContext(connection) as queries:
        superuser_client.get(CHANGELIST)
    page = next(q for q in token_queries(queries) if "LIMIT 50" in q)

    plan = explain(page)

    assert "django_pat_created" in plan
    assert "Sort" not in plan  # the index gives the order: no table read and sorted


@postgres
def test_on_postgresql_a_search_can_be_served_by_indexes_alone(
    superuser_client: Client, analysed_table: None
) -> None:
    with CaptureQueriesContext(connection) as queries:
        superuser_client.get(CHANGELIST, {"q": "bulk 12"})
    count = next(q for q in token_queries(queries) if "COUNT(" in q)

    with connection.cursor() as cursor:
        # Few rows: let the planner show what it can do without reading them all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = explain(count)

    assert "Seq Scan" not in plan
    assert "django_pat_name_trgm" in plan
    assert "django_pat_prefix_trgm" in plan


# -- the migrations ------------------------------------------------------------------


# sqlmigrate cannot run inside a test's transaction on SQLite.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("direction", [[], ["--backwards"]])
def test_the_list_indexes_are_built_without_locking_writes_on_postgresql(
    direction: list[str],
) -> None:
    out = StringIO()
    call_command("sqlmigrate", "django_pat", "0004", *direction, stdout=out)
    sql = out.getvalue()

    statement = "DROP INDEX" if direction else "CREATE INDEX"
    assert sql.count(statement) == 3
    if connection.vendor == "postgresql":
        assert sql.count(f"{statement} CONCURRENTLY") == 3
    else:
        assert "CONCURRENTLY" not in sql


@postgres
def test_on_postgresql_the_trigram_app_indexes_every_searched_column(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE indexdef LIKE '%gin_trgm_ops%'"
        )
        found = {
            (table, re.search(r"upper\(\(?(\w+)", definition).group(1))  # type: ignore[union-attr]
            for table, definition in cursor.fetchall()
        }

    assert found == {
        ("django_pat_personalaccesstoken", "name"),
        ("django_pat_personalaccesstoken", "display_prefix"),
        ("auth_user", "username"),
        ("auth_user", "email"),
    }


def test_only_columns_an_index_can_order_are_sortable(
    superuser_client: Client, states: dict[str, PersonalAccessToken]
) -> None:
    html = superuser_client.get(CHANGELIST).content.decode()

    sortable = re.findall(r'<th scope="col" class="sortable column-(\w+)', html)
    assert sortable == ["owner", "status_and_expiry", "created"]
