"""Scopes enforced (django_pat/permissions.py): the app's own endpoints, a
project's DRF views, plain Django views behind the middleware; RFC 6750's
WWW-Authenticate on every 401 and 403 that concerns a token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient, Client
from rest_framework.test import APIClient

from django_pat.models import PersonalAccessToken
from django_pat.permissions import scopes_required
from tests import scoped_views
from tests.conftest import LIST_URL, detail_url
from tests.test_views import csrf_session, post_json  # noqa: F401 (a fixture)

MakeToken = Callable[..., tuple[PersonalAccessToken, str]]
ClientFor = Callable[..., APIClient]

READ, WRITE, ROTATE = "tokens:read", "tokens:write", "tokens:rotate"
MIDDLEWARE = "django_pat.middleware.PersonalAccessTokenMiddleware"
PACKAGES = {"SCOPES": scoped_views.SCOPES}


@pytest.fixture(autouse=True)
def _empty_cache():
    # Throttling counts requests in the cache; no test may see another's.
    cache.clear()
    yield
    cache.clear()


def insufficient(response: Any, required: list[str], lacking: list[str]) -> None:
    """A 403 for a missing scope: the error body names what is lacking, the
    header what is required."""
    assert response.status_code == 403, response.content
    body = response.json()
    # The app's error body; a project's views keep DRF's ({"detail": ...}).
    message = body["message"] if "message" in body else body["detail"]
    for name in lacking:
        assert repr(name) in message
    assert "errors" not in body
    assert response["WWW-Authenticate"] == (
        f'Bearer error="insufficient_scope", scope="{" ".join(sorted(required))}"'
    )


# --- the app's endpoints, for every combination --------------------------------------

OPERATIONS = {
    "list": (READ, lambda client, other: client.get(LIST_URL)),
    "retrieve": (READ, lambda client, other: client.get(detail_url(other.pk))),
    "provision": (WRITE, lambda client, other: post_json(client, {"name": "made"})),
    "revoke": (WRITE, lambda client, other: client.delete(detail_url(other.pk))),
}
GRANTS = [
    None,
    [],
    [READ],
    [WRITE],
    [ROTATE],
    [READ, WRITE],
    [READ, ROTATE, WRITE],
]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("granted", GRANTS, ids=lambda g: "null" if g is None else "+".join(g))
def test_each_endpoint_needs_its_scope(
    make_token: MakeToken, client_for: ClientFor, operation: str, granted: list[str] | None
) -> None:
    needed, request = OPERATIONS[operation]
    _, secret = make_token(name="caller", scopes=granted)
    other, _ = make_token(name="other")

    response = request(client_for(secret), other)

    if granted is None or needed in granted:
        assert response.status_code == 200, response.content
    else:
        insufficient(response, [needed], [needed])
        assert PersonalAccessToken.objects.filter(revoked_at__isnull=False).count() == 0
        assert not PersonalAccessToken.objects.filter(name="made").exists()


def test_a_read_scoped_token_lists_but_may_not_provision(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(scopes=[READ])
    client = client_for(secret)

    listed = client.get(LIST_URL)
    refused = post_json(client, {"name": "more", "scopes": [READ, WRITE]})

    assert listed.status_code == 200
    assert listed.json()[0]["scopes"] == [READ]
    insufficient(refused, [WRITE], [WRITE])
    assert refused.json()["message"] == (
        "This token lacks the scope 'tokens:write', which this request needs."
    )
    assert PersonalAccessToken.objects.count() == 1


@pytest.mark.parametrize(
    ("asked", "field_message"),
    [
        ([READ, WRITE], "'tokens:read' is not a scope of the token used to make it."),
        (None, "A token not restricted by scope would reach more"),
    ],
)
def test_a_token_it_provisions_cannot_gain_a_scope(
    make_token: MakeToken, client_for: ClientFor, asked: Any, field_message: str
) -> None:
    _, secret = make_token(scopes=[WRITE])

    response = post_json(client_for(secret), {"name": "child", "scopes": asked})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["scopes"]
    assert field_message in response.json()["errors"]["scopes"][0]
    assert not PersonalAccessToken.objects.filter(name="child").exists()


def test_a_token_it_provisions_inherits_its_scopes(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(scopes=[ROTATE, WRITE])
    client = client_for(secret)

    inherited = post_json(client, {"name": "inherited"})
    fewer = post_json(client, {"name": "fewer", "scopes": [ROTATE]})

    assert inherited.json()["scopes"] == [ROTATE, WRITE]
    assert fewer.json()["scopes"] == [ROTATE]
    # The child can use what it has, and nothing else.
    child = client_for(inherited.json()["token"])
    assert child.get(LIST_URL).status_code == 403
    assert post_json(child, {"name": "grandchild"}).status_code == 200


def test_a_session_passes_through(csrf_session: APIClient) -> None:  # noqa: F811
    assert csrf_session.get(LIST_URL).status_code == 200
    made = post_json(csrf_session, {"name": "from the browser", "scopes": [READ]})
    assert made.status_code == 200
    assert made.json()["scopes"] == [READ]
    assert csrf_session.delete(detail_url(made.json()["id"])).status_code == 200


def test_scopes_never_widen_the_type(make_token: MakeToken, client_for: ClientFor) -> None:
    _, secret = make_token(type="read_only", scopes=[READ, WRITE])

    response = post_json(client_for(secret), {"name": "child"})

    assert response.status_code == 403
    assert "read_only" in response.json()["message"]
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize(("granted", "shows_post"), [([READ], False), ([WRITE], True), ([], False)])
def test_options_answers_and_shows_post_only_to_who_may(
    make_token: MakeToken, client_for: ClientFor, granted: list[str], shows_post: bool
) -> None:
    _, secret = make_token(scopes=granted)

    response = client_for(secret).options(LIST_URL)

    assert response.status_code == 200
    assert ("POST" in response.json().get("actions", {})) is shows_post


def test_head_needs_what_get_needs(make_token: MakeToken, client_for: ClientFor) -> None:
    _, read = make_token(name="read", scopes=[READ])
    _, write = make_token(name="write", scopes=[WRITE])

    assert client_for(read).head(LIST_URL).status_code == 200
    assert client_for(write).head(LIST_URL).status_code == 403


def test_a_method_the_view_does_not_answer_is_a_405_not_a_403(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(scopes=[])

    assert client_for(secret).put(LIST_URL, {}, format="json").status_code == 405


def test_checking_scopes_costs_no_query_and_no_write(
    make_token: MakeToken, client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    plain = client_for(make_token(name="plain")[1])
    scoped = client_for(make_token(name="scoped", scopes=[READ, WRITE])[1])
    plain.get(LIST_URL)  # record lastUsedAt: from now on, no write
    scoped.get(LIST_URL)

    # The token with its user, then the list: for either token.
    for client in (plain, scoped):
        with django_assert_num_queries(2) as queries:
            assert client.get(LIST_URL).status_code == 200
        assert not [q for q in queries.captured_queries if not q["sql"].startswith("SELECT")]


# --- through the middleware, and DRF views that know only sessions -------------------


@pytest.fixture
def plain_site(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.plain_views"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.usefixtures("plain_site")
def test_the_middlewares_token_is_checked_by_a_session_only_drf_view(
    make_token: MakeToken,
) -> None:
    """DRF sees a session here (the middleware set the user); the token
    behind it is still the one whose scopes count."""
    _, secret = make_token(scopes=[READ])
    client = Client(enforce_csrf_checks=True)

    listed = client.get("/session-only/tokens", **bearer(secret))
    made = client.post(
        "/session-only/tokens", {"name": "x"}, content_type="application/json", **bearer(secret)
    )

    assert listed.status_code == 200
    insufficient(made, [WRITE], [WRITE])


def get_read_scoped(secret: str, is_async: bool) -> Any:
    """GET the plain view that needs tokens:read, with ``secret``."""
    path = "/async-read-scoped" if is_async else "/read-scoped"
    headers = {"Authorization": f"Bearer {secret}"}
    if is_async:
        return async_to_sync(AsyncClient().get)(path, headers=headers)
    return Client().get(path, headers=headers)


@pytest.mark.usefixtures("plain_site")
@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize(
    ("granted", "status"),
    [(None, 200), ([READ], 200), ([READ, WRITE], 200), ([], 403), ([WRITE], 403)],
)
def test_the_decorator_on_a_plain_view(
    make_token: MakeToken, granted: list[str] | None, status: int, is_async: bool
) -> None:
    stored, secret = make_token(scopes=granted)

    response = get_read_scoped(secret, is_async)

    if status == 200:
        assert response.status_code == 200
        assert response.json()["token"] == str(stored.pk)
    else:
        insufficient(response, [READ], [READ])


@pytest.mark.usefixtures("plain_site")
@pytest.mark.parametrize(
    ("method", "granted", "status", "lacking"),
    [
        ("get", [READ], 200, []),
        ("head", [READ], 200, []),
        ("post", [READ], 403, [WRITE]),
        ("post", [WRITE], 403, [READ]),
        ("post", [READ, WRITE], 200, []),
        ("put", [READ, WRITE, ROTATE], 403, []),
        ("put", None, 200, []),
    ],
)
def test_the_decorator_by_method(
    make_token: MakeToken, method: str, granted: Any, status: int, lacking: list[str]
) -> None:
    _, secret = make_token(scopes=granted)

    response = getattr(Client(), method)("/scoped-by-method", **bearer(secret))

    assert response.status_code == status, response.content
    if status == 403 and lacking:
        insufficient(response, [READ, WRITE], lacking)
    elif status == 403:
        # A method the dict leaves out is closed to tokens restricted by scope.
        assert response.json()["message"] == (
            "No token restricted by scope may make PUT requests here."
        )
        assert response["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


@pytest.mark.usefixtures("plain_site")
def test_the_decorator_lets_a_session_and_an_anonymous_request_through(user: Any) -> None:
    session = Client()
    session.force_login(user)

    assert session.get("/read-scoped").json()["user"] == "alice"
    assert Client().get("/read-scoped").json()["user"] is None
    # With login_required beneath it: anonymous is still sent to log in.
    assert Client().get("/private-read-scoped").status_code == 302
    assert session.get("/private-read-scoped").status_code == 200


@pytest.mark.usefixtures("plain_site")
def test_the_decorated_view_costs_no_more_queries(
    make_token: MakeToken, django_assert_num_queries: Any
) -> None:
    _, secret = make_token(scopes=[READ])
    client = Client()
    client.get("/read-scoped", **bearer(secret))

    with django_assert_num_queries(1):  # the token with its user
        assert client.get("/read-scoped", **bearer(secret)).status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/whoami", **bearer(secret)).status_code == 200


@pytest.mark.parametrize(
    "required",
    ["tokens:read", {"get": ["tokens:read"]}, {"GET": "tokens:read"}, [1], None],
)
def test_the_decorator_refuses_a_malformed_requirement_at_once(required: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match="required_scopes"):
        scopes_required(required)


# --- a project's own DRF views ----------------------------------------------------------


@pytest.fixture
def project_site(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.scoped_views"
    settings.DJANGO_PAT = PACKAGES


@pytest.mark.usefixtures("project_site")
@pytest.mark.parametrize(
    ("path", "method", "granted", "required", "lacking"),
    [
        ("/packages", "get", ["packages:read"], None, None),
        ("/packages", "get", [READ], ["packages:read"], ["packages:read"]),
        ("/packages", "post", ["packages:read", "packages:write"], None, None),
        (
            "/packages",
            "post",
            ["packages:read"],
            ["packages:read", "packages:write"],
            ["packages:write"],
        ),
        ("/download", "get", ["packages:read"], None, None),
        ("/download", "get", ["packages:write"], ["packages:read"], ["packages:read"]),
        ("/own-package?name=alice", "get", ["packages:read"], None, None),
        (
            "/own-package?name=bob",
            "get",
            ["packages:read"],
            ["packages:read", "packages:write"],
            ["packages:write"],
        ),
    ],
)
def test_a_projects_views(
    make_token: MakeToken,
    client_for: ClientFor,
    path: str,
    method: str,
    granted: list[str],
    required: list[str] | None,
    lacking: list[str] | None,
) -> None:
    _, secret = make_token(scopes=granted)

    response = getattr(client_for(secret), method)(path)

    if required is None:
        assert response.status_code == 200, response.content
    else:
        insufficient(response, required, lacking or [])


@pytest.mark.usefixtures("project_site")
def test_a_view_naming_an_unknown_scope_is_a_programming_error(
    make_token: MakeToken, client_for: ClientFor, user: Any
) -> None:
    """Whoever asks, a session or a token not restricted by scope: a typo in a
    view must not pass unnoticed until a scoped token meets it."""
    session = APIClient()
    session.force_login(user)

    with pytest.raises(ImproperlyConfigured, match="'pakages:read', which is not a configured"):
        session.get("/misconfigured")
    with pytest.raises(ImproperlyConfigured, match="Misconfigured: required_scopes names"):
        client_for(make_token(scopes=None)[1]).get("/misconfigured")


# --- RFC 6750 on 401s -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "header"),
    [
        (None, 'Bearer realm="api"'),
        ("Basic YWxpY2U6c2VjcmV0", 'Bearer realm="api"'),
        ("Bearer pat_notatoken", 'Bearer realm="api", error="invalid_token"'),
        ("Bearer pat_" + "A" * 38, 'Bearer realm="api", error="invalid_token"'),
        # Not ours, and no other class took it: still a token that failed.
        ("Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", 'Bearer realm="api", error="invalid_token"'),
    ],
)
def test_a_401_says_invalid_token_exactly_when_a_token_was_presented(
    db: None, authorization: str | None, header: str
) -> None:
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.get(LIST_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == header


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_refused_token_is_an_invalid_token(
    token: tuple[PersonalAccessToken, str], client_for: ClientFor, how: str
) -> None:
    stored, secret = token
    if how == "revoked":
        stored.revoke()
    else:
        PersonalAccessToken.objects.filter(pk=stored.pk).update(expire_at=stored.created_at)

    response = client_for(secret).get(LIST_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


@pytest.mark.usefixtures("plain_site")
@pytest.mark.parametrize("path", ["/whoami", "/api/personal-access-tokens", "/read-scoped"])
def test_the_middlewares_401_says_invalid_token_too(
    token: tuple[PersonalAccessToken, str], path: str
) -> None:
    stored, secret = token
    stored.revoke()

    response = Client().get(path, **bearer(secret))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


@pytest.mark.usefixtures("plain_site")
def test_no_credentials_through_the_middleware_is_a_401_without_error(db: None) -> None:
    response = Client().get("/session-only/tokens")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_message_names_every_missing_scope(
    make_token: MakeToken, client_for: ClientFor, settings: Any
) -> None:
    settings.DJANGO_PAT = PACKAGES
    settings.ROOT_URLCONF = "tests.scoped_views"
    _, secret = make_token(scopes=["tokens:read"])

    response = client_for(secret).post("/packages")

    assert response.json()["detail"] == (
        "This token lacks the scopes 'packages:read' and 'packages:write', which this "
        "request needs."
    )


def test_the_error_body_is_json_with_one_message(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    _, secret = make_token(scopes=[])

    response = client_for(secret).get(LIST_URL)

    assert json.loads(response.content) == {
        "message": "This token lacks the scope 'tokens:read', which this request needs.",
        "status": 403,
    }


# --- a use refused for its scopes never counts (CONTRACT 8, 9.4) ---------------------


def use_of(token: PersonalAccessToken) -> tuple[Any, Any]:
    token.refresh_from_db()
    return token.last_used_at, token.last_used_ip


def through_drf(client: Any, secret: str, path: str) -> Any:
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.mark.parametrize(
    ("granted", "status"), [([], 403), ([WRITE], 403), ([READ], 200), (None, 200)]
)
def test_a_use_the_app_refuses_for_its_scopes_is_not_recorded(
    make_token: MakeToken, client_for: ClientFor, granted: list[str] | None, status: int
) -> None:
    stored, secret = make_token(scopes=granted)

    assert client_for(secret).get(LIST_URL).status_code == status

    last_used_at, last_used_ip = use_of(stored)
    if status == 200:
        assert last_used_at is not None
        assert last_used_ip == "127.0.0.1"
    else:
        assert (last_used_at, last_used_ip) == (None, None)


@pytest.mark.usefixtures("project_site")
def test_a_use_a_projects_view_refuses_for_its_scopes_is_not_recorded(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    refused, refused_secret = make_token(name="refused", scopes=["packages:write"])
    allowed, allowed_secret = make_token(name="allowed", scopes=["packages:read"])

    assert client_for(refused_secret).get("/packages").status_code == 403
    assert client_for(allowed_secret).get("/packages").status_code == 200

    assert use_of(refused) == (None, None)
    assert use_of(allowed)[0] is not None


def test_a_self_rotation_refused_for_its_scopes_is_not_recorded(
    make_token: MakeToken, client_for: ClientFor
) -> None:
    refused, refused_secret = make_token(name="refused", scopes=[READ])
    allowed, allowed_secret = make_token(name="allowed", scopes=[ROTATE])

    for stored, secret, status in ((refused, refused_secret, 403), (allowed, allowed_secret, 200)):
        response = client_for(secret).post(f"{detail_url(stored.pk)}/rotate", {}, format="json")
        assert response.status_code == status, response.content

    assert use_of(refused) == (None, None)
    assert use_of(allowed)[0] is not None


def test_a_scoped_tokens_first_use_is_still_one_conditional_update(
    make_token: MakeToken, client_for: ClientFor, django_assert_num_queries: Any
) -> None:
    _, secret = make_token(scopes=[READ])

    # The token with its user, the UPDATE of its use, then the list.
    with django_assert_num_queries(3) as queries:
        assert client_for(secret).get(LIST_URL).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert len(writes) == 1
    assert writes[0].startswith("UPDATE")


@pytest.mark.usefixtures("plain_site")
@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize(("granted", "status"), [([], 403), ([READ], 200)])
def test_a_use_the_decorator_refuses_is_not_recorded(
    make_token: MakeToken, granted: list[str], status: int, is_async: bool
) -> None:
    stored, secret = make_token(scopes=granted)

    response = get_read_scoped(secret, is_async)

    assert response.status_code == status
    if status == 200:
        assert use_of(stored)[1] == "127.0.0.1"
    else:
        assert use_of(stored) == (None, None)


@pytest.mark.usefixtures("plain_site")
def test_a_use_a_session_only_drf_view_refuses_is_not_recorded(make_token: MakeToken) -> None:
    stored, secret = make_token(scopes=[READ])

    made = Client().post(
        "/session-only/tokens", {"name": "x"}, content_type="application/json", **bearer(secret)
    )

    assert made.status_code == 403
    assert use_of(stored) == (None, None)


@pytest.fixture
def use_site(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.use_views"


@pytest.mark.usefixtures("use_site")
@pytest.mark.parametrize(
    ("path", "granted", "status"),
    [
        ("/composed", [], 403),
        ("/composed", [READ], 200),
        ("/either", [], 403),
        ("/either", [READ], 200),
        ("/either", None, 200),
        ("/admins-only", [READ], 403),
        ("/admins-only", None, 403),
    ],
)
def test_a_use_any_permission_refuses_is_not_recorded(
    make_token: MakeToken,
    client_for: ClientFor,
    path: str,
    granted: list[str] | None,
    status: int,
) -> None:
    """Composed with & or |, or refused by a permission after the scope
    check: the status decides, for a token restricted by scope or not."""
    stored, secret = make_token(scopes=granted)

    assert client_for(secret).get(path).status_code == status

    if status == 200:
        assert use_of(stored)[1] == "127.0.0.1"
    else:
        assert use_of(stored) == (None, None)


@pytest.mark.parametrize("granted", [[WRITE], None])
def test_a_rotation_that_is_not_refused_still_counts_as_a_use(
    make_token: MakeToken, client_for: ClientFor, granted: list[str] | None
) -> None:
    """A 404 (an unknown id) or a 400 (a bad body) is an answer, not a refusal."""
    for attempt in ("unknown id", "bad body"):
        stored, secret = make_token(name=attempt, scopes=granted)
        target = "00000000-0000-0000-0000-000000000001" if attempt == "unknown id" else stored.pk
        body = {} if attempt == "unknown id" else {"name": "not allowed here"}

        response = client_for(secret).post(f"{detail_url(target)}/rotate", body, format="json")

        assert response.status_code == (404 if attempt == "unknown id" else 400)
        assert use_of(stored)[0] is not None, attempt
