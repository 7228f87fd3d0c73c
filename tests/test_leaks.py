"""``POST credentials/revoke`` and :func:`django_pat.leaks.revoke_leaked`
(CONTRACT 9.5): anyone who finds a token has it revoked, learning nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import AsyncClient, Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from django_pat import tokens
from django_pat.conf import DEFAULTS, pat_settings, problems
from django_pat.leaks import revoke_leaked
from django_pat.models import PersonalAccessToken
from django_pat.signals import token_leaked, token_revoked
from tests.conftest import LIST_URL

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
URL = "/api/credentials/revoke"
ACCEPTED = {
    "message": "Thank you. Any of these that is a token of this site is revoked, and its "
    "owner told.",
    "status": 202,
}


@pytest.fixture(autouse=True)
def fresh_throttle() -> Iterator[None]:
    # The throttle counts in the default cache; each test starts uncounted.
    cache.clear()
    yield
    cache.clear()


def report(client: APIClient, *values: Any, url: str = URL, **extra: Any) -> Any:
    return client.post(url, {"credentials": list(values)}, format="json", **extra)


def stored(token: PersonalAccessToken) -> PersonalAccessToken:
    return PersonalAccessToken.objects.get(pk=token.pk)


def unknown_token() -> str:
    """Well-formed, with the right checksum, and nobody's."""
    return tokens.generate("pat")


def flip_last(secret: str) -> str:
    return secret[:-1] + ("A" if secret[-1] != "A" else "B")


# --- what a finder sees ----------------------------------------------------------------


@pytest.mark.parametrize("url", [URL, URL + "/"])
def test_a_reported_token_is_revoked_and_refused_on_its_next_request(
    anon_client: APIClient,
    client_for: Callable[[str], APIClient],
    token: tuple[PersonalAccessToken, str],
    url: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    revoked, secret = token
    assert client_for(secret).get(LIST_URL).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = report(anon_client, secret, url=url)

    assert response.status_code == 202
    assert response.json() == ACCEPTED
    assert client_for(secret).get(LIST_URL).status_code == 401
    row = stored(revoked)
    assert (row.revoked_reason, row.revoked_by) == ("leaked", None)
    assert row.revoked_at is not None


def test_an_unknown_value_gets_the_same_answer(
    anon_client: APIClient, token: tuple[PersonalAccessToken, str]
) -> None:
    for value in [unknown_token(), flip_last(token[1]), "hunter2", "ghp_" + "a" * 36]:
        response = report(anon_client, value)
        assert (response.status_code, response.json()) == (202, ACCEPTED), value
    assert stored(token[0]).revoked_at is None


def test_the_owner_is_emailed_without_the_secret(
    anon_client: APIClient,
    token: tuple[PersonalAccessToken, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    revoked, secret = token

    with django_capture_on_commit_callbacks(execute=True):
        report(anon_client, secret)

    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert revoked.name in email.subject
    assert revoked.display_prefix in email.body
    html = email.alternatives[0][0]  # type: ignore[attr-defined]
    for text in (email.subject, email.body, html):
        assert secret not in text
        assert revoked.digest not in text


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_AUTHORIZATION": "Bearer pat_" + "x" * 38},
        {"HTTP_AUTHORIZATION": "Basic Zm9vOmJhcg=="},
    ],
    ids=["a refused token", "another scheme"],
)
def test_an_authorization_header_changes_nothing(
    anon_client: APIClient, token: tuple[PersonalAccessToken, str], headers: dict[str, str]
) -> None:
    response = report(anon_client, token[1], **headers)

    assert (response.status_code, response.json()) == (202, ACCEPTED)
    assert stored(token[0]).revoked_reason == "leaked"


@pytest.mark.parametrize("is_async", [False, True], ids=["wsgi", "asgi"])
def test_behind_the_middleware_a_refused_token_in_the_header_changes_nothing(
    settings: Any, token: tuple[PersonalAccessToken, str], is_async: bool
) -> None:
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django_pat.middleware.PersonalAccessTokenMiddleware",
    ]
    body = {"credentials": [token[1]]}
    headers = {"Authorization": "Bearer pat_" + "x" * 38}

    if is_async:
        response = async_to_sync(AsyncClient().post)(
            URL, body, content_type="application/json", headers=headers
        )
    else:
        response = Client().post(URL, body, content_type="application/json", headers=headers)

    assert (response.status_code, response.json()) == (202, ACCEPTED)
    assert stored(token[0]).revoked_reason == "leaked"
    # Elsewhere the middleware still refuses that header.
    assert Client().get(LIST_URL, headers=headers).status_code == 401


def test_a_valid_token_in_the_header_may_report_itself(
    client_for: Callable[[str], APIClient], token: tuple[PersonalAccessToken, str]
) -> None:
    response = report(client_for(token[1]), token[1])

    assert response.status_code == 202
    assert stored(token[0]).revoked_reason == "leaked"


def test_no_csrf_token_is_needed_even_with_a_session(
    user: User, token: tuple[PersonalAccessToken, str]
) -> None:
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user)

    assert report(browser, token[1]).status_code == 202


def test_an_already_revoked_token_keeps_its_reason_and_sends_nothing(
    anon_client: APIClient,
    token: tuple[PersonalAccessToken, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    token[0].revoke("owner")
    heard: list[Any] = []
    token_revoked.connect(heard.append, dispatch_uid="test-leaks")
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = report(anon_client, token[1])
    finally:
        token_revoked.disconnect(dispatch_uid="test-leaks")

    assert (response.status_code, response.json()) == (202, ACCEPTED)
    assert stored(token[0]).revoked_reason == "owner"
    assert (callbacks, heard, mail.outbox) == ([], [], [])


def test_signals_are_sent_once_the_revocation_commits(
    make_token: MakeToken, django_capture_on_commit_callbacks: Any
) -> None:
    leaked, secret = make_token(name="leaked")
    heard: list[tuple[str, Any]] = []

    def on_revoked(sender: Any, token: PersonalAccessToken, **kwargs: Any) -> None:
        heard.append(("revoked", (token.pk, kwargs["reason"], kwargs["revoked_by"])))

    def on_leaked(sender: Any, token: PersonalAccessToken, **kwargs: Any) -> None:
        heard.append(("leaked", (token.pk, kwargs["source"], kwargs["url"])))

    token_revoked.connect(on_revoked, dispatch_uid="test-leaks-revoked")
    token_leaked.connect(on_leaked, dispatch_uid="test-leaks-leaked")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = revoke_leaked([secret, secret], urls={secret: "https://example.com/x"})
            assert heard == []  # not before the commit
    finally:
        token_revoked.disconnect(dispatch_uid="test-leaks-revoked")
        token_leaked.disconnect(dispatch_uid="test-leaks-leaked")

    assert heard == [
        ("revoked", (leaked.pk, "leaked", None)),
        ("leaked", (leaked.pk, "report", "https://example.com/x")),
    ]
    assert result.matched == {leaked.digest}
    assert [token.pk for token in result.revoked] == [leaked.pk]


def test_a_batch_revokes_every_match_whoever_owns_it(
    anon_client: APIClient,
    make_token: MakeToken,
    other_user: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mine, my_secret = make_token()
    theirs, their_secret = make_token(owner=other_user)
    spared, _ = make_token()

    with django_capture_on_commit_callbacks(execute=True):
        report(anon_client, my_secret, "nonsense", their_secret, unknown_token())

    assert [stored(t).revoked_reason for t in (mine, theirs, spared)] == ["leaked", "leaked", ""]
    assert sorted(email.to[0] for email in mail.outbox) == ["alice@example.com", "bob@example.com"]


# --- bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (["pat_x"], 'The body must be a JSON object: {"credentials": ["..."]}.'),
        ("pat_x", 'The body must be a JSON object: {"credentials": ["..."]}.'),
        ({}, "credentials: This field is required."),
        ({"credentials": ["x"], "note": "hi"}, "note: Unknown field; only credentials is allowed."),
        ({"tokens": ["x"]}, "tokens: Unknown field; only credentials is allowed."),
        ({"credentials": "pat_x"}, "credentials: Must be an array of strings, not a string."),
        ({"credentials": None}, "credentials: Must be an array of strings, not null."),
        ({"credentials": {"a": "b"}}, "credentials: Must be an array of strings, not an object."),
        ({"credentials": []}, "credentials: Must list at least one value."),
        ({"credentials": ["ok", 7]}, "credentials: Entry 1 is a number, not a string."),
        ({"credentials": [["x"]]}, "credentials: Entry 0 is an array, not a string."),
        (
            {"credentials": ["ok", "x" * 257]},
            "credentials: Entry 1 is longer than 256 characters.",
        ),
        (
            {"credentials": ["x"] * 1001},
            "credentials: Must list at most 1000 values, not 1001.",
        ),
    ],
)
def test_a_bad_body_is_a_400_naming_what_is_wrong(
    anon_client: APIClient, body: Any, message: str
) -> None:
    response = anon_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["message"] == message
    assert response.json()["status"] == 400


def test_the_limits_themselves_are_fine(anon_client: APIClient, db: None) -> None:
    assert report(anon_client, *(["x" * 256] * 1000)).status_code == 202


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (lambda c: c.post(URL, "credentials=x", content_type="text/plain"), 415),
        (lambda c: c.post(URL, "{", content_type="application/json"), 400),
        (lambda c: c.get(URL), 405),
    ],
    ids=["not JSON", "malformed JSON", "GET"],
)
def test_other_requests_get_the_error_body(
    anon_client: APIClient, db: None, send: Callable[[APIClient], Any], status: int
) -> None:
    response = send(anon_client)

    assert response.status_code == status
    assert response.json()["status"] == status


def test_other_paths_under_credentials_are_json_404s(anon_client: APIClient) -> None:
    response = anon_client.post("/api/credentials/nothing", {}, format="json")

    assert (response.status_code, response.json()["status"]) == (404, 404)


# --- what it costs ---------------------------------------------------------------------


def test_values_failing_the_checksum_cost_no_query(
    anon_client: APIClient, token: tuple[PersonalAccessToken, str]
) -> None:
    values = [flip_last(token[1]), "pat_short", "x" * 256, token[1].upper()]

    with CaptureQueriesContext(connection) as queries:
        response = report(anon_client, *values)

    assert response.status_code == 202
    assert queries.captured_queries == []


def token_queries(queries: CaptureQueriesContext) -> list[str]:
    """The statements on the token table (not the transaction's savepoints)."""
    return [
        q["sql"].split()[0].upper()
        for q in queries.captured_queries
        if PersonalAccessToken._meta.db_table in q["sql"]
    ]


def test_a_batch_costs_one_lookup_and_one_update_matched_or_not(
    anon_client: APIClient, make_token: MakeToken
) -> None:
    secrets = [make_token()[1] for _ in range(5)]
    unknown = [unknown_token() for _ in range(5)]

    with CaptureQueriesContext(connection) as matched:
        assert report(anon_client, *secrets).status_code == 202
    with CaptureQueriesContext(connection) as unmatched:
        assert report(anon_client, *unknown).status_code == 202

    # The same statements either way: the work done tells nothing.
    assert token_queries(matched) == token_queries(unmatched) == ["SELECT", "UPDATE"]
    assert len(matched.captured_queries) == len(unmatched.captured_queries)
    assert PersonalAccessToken.objects.filter(revoked_reason="leaked").count() == 5


# --- the throttle ----------------------------------------------------------------------


def test_the_default_rate_is_sixty_an_hour() -> None:
    assert DEFAULTS["LEAK_REPORT_RATE"] == "60/hour"


@override_settings(DJANGO_PAT={"LEAK_REPORT_RATE": "3/hour"})
def test_every_request_from_an_address_counts_400s_too(anon_client: APIClient, db: None) -> None:
    assert report(anon_client, unknown_token()).status_code == 202
    assert anon_client.post(URL, {}, format="json").status_code == 400
    assert anon_client.post(URL, "x", content_type="text/plain").status_code == 415

    throttled = report(anon_client, unknown_token())

    assert throttled.status_code == 429
    assert throttled.json()["status"] == 429
    assert "throttled" in throttled.json()["message"]
    assert int(throttled["Retry-After"]) > 0
    # Another address has its own count.
    assert report(anon_client, unknown_token(), REMOTE_ADDR="192.0.2.9").status_code == 202


@override_settings(DJANGO_PAT={"LEAK_REPORT_RATE": "1/hour"})
def test_an_ipv6_client_is_counted_by_its_64(anon_client: APIClient, db: None) -> None:
    assert report(anon_client, "x", REMOTE_ADDR="2001:db8:1:2::1").status_code == 202

    assert report(anon_client, "x", REMOTE_ADDR="2001:db8:1:2::ffff").status_code == 429
    assert report(anon_client, "x", REMOTE_ADDR="2001:db8:1:3::1").status_code == 202


@override_settings(DJANGO_PAT={"LEAK_REPORT_RATE": "1/hour", "TRUSTED_PROXIES": 1})
def test_the_address_is_the_one_section_8_computes(anon_client: APIClient, db: None) -> None:
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert report(anon_client, "x", HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy).status_code == 202

    # Behind the same proxy, another client is counted on its own...
    assert report(anon_client, "x", HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy).status_code == 202
    # ...and the first one, whatever it writes further left, is not.
    spoofed = "203.0.113.5, 192.0.2.1"
    assert report(anon_client, "x", HTTP_X_FORWARDED_FOR=spoofed, **proxy).status_code == 429


@override_settings(DJANGO_PAT={"LEAK_REPORT_RATE": None})
def test_no_rate_means_no_throttle(anon_client: APIClient, db: None) -> None:
    assert all(report(anon_client, "x").status_code == 202 for _ in range(70))


@pytest.mark.parametrize("rate", ["60", "60/fortnight", "0/hour", "-1/hour", 60, "sixty/hour"])
def test_a_bad_rate_is_a_configuration_error(rate: Any) -> None:
    [problem] = problems({"LEAK_REPORT_RATE": rate})

    assert "LEAK_REPORT_RATE" in problem
    assert repr(rate) in problem


@pytest.mark.parametrize("rate", ["5/s", "10/minute", "60/hour", "1000/day", None])
def test_good_rates(rate: str | None) -> None:
    assert problems({"LEAK_REPORT_RATE": rate}) == []


# --- cache mode ------------------------------------------------------------------------


@override_settings(
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "pat": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "leaks"},
    },
    DJANGO_PAT={"CACHE": "pat"},
)
def test_in_cache_mode_a_cached_token_is_refused_on_its_next_request(
    anon_client: APIClient,
    client_for: Callable[[str], APIClient],
    token: tuple[PersonalAccessToken, str],
) -> None:
    assert pat_settings.cache == "pat"
    secret = token[1]
    assert client_for(secret).get(LIST_URL).status_code == 200  # fills the entry
    with CaptureQueriesContext(connection) as queries:
        assert client_for(secret).get(LIST_URL).status_code == 200
    assert token_queries(queries) == ["SELECT"]  # the list; the token came from the cache

    assert report(anon_client, secret).status_code == 202

    assert client_for(secret).get(LIST_URL).status_code == 401
