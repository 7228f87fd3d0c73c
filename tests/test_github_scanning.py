"""GitHub secret scanning's partner endpoint and ``manage.py pat_github_keys``
(CONTRACT 9.5), with keys the tests make: never GitHub, never the network."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from django_pat import checks, github_scanning, tokens
from django_pat.models import PersonalAccessToken
from django_pat.signals import token_leaked
from tests.conftest import LIST_URL

URL = "/api/credentials/github-secret-scanning"
KEY_ID = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a"


def new_key(curve: ec.EllipticCurve | None = None) -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(curve or ec.SECP256R1())
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, pem.decode("ascii")


@pytest.fixture(scope="module")
def github_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    return new_key()


@pytest.fixture
def configured(github_key: tuple[ec.EllipticCurvePrivateKey, str]) -> Iterator[None]:
    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": {KEY_ID: github_key[1]}}):
        yield


def signed(body: bytes, private: ec.EllipticCurvePrivateKey) -> str:
    return base64.b64encode(private.sign(body, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def alert(*found: str, kind: str = "django_pat_token") -> bytes:
    return json.dumps(
        [
            {
                "token": value,
                "type": kind,
                "url": "https://github.com/o/r/blob/x",
                "source": "content",
            }
            for value in found
        ]
    ).encode()


def send(body: bytes, signature: str | None, key_id: str | None = KEY_ID, **extra: Any) -> Any:
    headers = {}
    if key_id is not None:
        headers["HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER"] = key_id
    if signature is not None:
        headers["HTTP_GITHUB_PUBLIC_KEY_SIGNATURE"] = signature
    return APIClient().post(URL, body, content_type="application/json", **headers, **extra)


def stored(token: PersonalAccessToken) -> PersonalAccessToken:
    return PersonalAccessToken.objects.get(pk=token.pk)


# --- a signed alert --------------------------------------------------------------------


@pytest.mark.usefixtures("configured")
def test_a_signed_alert_revokes_and_is_answered_in_githubs_format(
    token: tuple[PersonalAccessToken, str],
    github_key: tuple[ec.EllipticCurvePrivateKey, str],
    client_for: Callable[[str], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    revoked, secret = token
    stranger = tokens.generate("pat")
    body = alert(secret, stranger, "not a token at all")
    heard: list[Any] = []
    token_leaked.connect(lambda **kwargs: heard.append(kwargs), weak=False, dispatch_uid="gh")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = send(body, signed(body, github_key[0]))
    finally:
        token_leaked.disconnect(dispatch_uid="gh")

    assert response.status_code == 200
    assert response.json() == [
        {
            "token_hash": hashlib.sha256(value.encode()).hexdigest(),
            "token_type": "django_pat_token",
            "label": label,
        }
        for value, label in [
            (secret, "true_positive"),
            (stranger, "false_positive"),
            ("not a token at all", "false_positive"),
        ]
    ]
    assert stored(revoked).revoked_reason == "leaked"
    assert client_for(secret).get(LIST_URL).status_code == 401
    assert [(h["source"], h["url"]) for h in heard] == [("github", "https://github.com/o/r/blob/x")]
    assert len(mail.outbox) == 1


@pytest.mark.usefixtures("configured")
def test_a_token_revoked_before_is_still_a_true_positive(
    token: tuple[PersonalAccessToken, str], github_key: tuple[ec.EllipticCurvePrivateKey, str]
) -> None:
    token[0].revoke("owner")
    body = alert(token[1])

    response = send(body, signed(body, github_key[0]))

    assert response.json()[0]["label"] == "true_positive"
    assert stored(token[0]).revoked_reason == "owner"


def test_keys_are_read_from_the_file_pat_github_keys_writes(
    tmp_path: Path,
    token: tuple[PersonalAccessToken, str],
    github_key: tuple[ec.EllipticCurvePrivateKey, str],
) -> None:
    path = tmp_path / "github-keys.json"
    path.write_text(json.dumps(githubs_document(github_key[1])))
    body = alert(token[1])

    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": str(path)}):
        response = send(body, signed(body, github_key[0]), key_id=f"{KEY_ID[:-1]}0")

    assert response.json()[0]["label"] == "true_positive"


# --- forged, unsigned, off -------------------------------------------------------------


def forgeries(body: bytes, github_key: Any) -> dict[str, tuple[str | None, str | None]]:
    impostor, _ = new_key()
    good = signed(body, github_key[0])
    return {
        "unsigned": (None, None),
        "no key id": (good, None),
        "no signature": (None, KEY_ID),
        "unknown key id": (good, "someone-else"),
        "signed by another key": (signed(body, impostor), KEY_ID),
        "another body's signature": (signed(body + b" ", github_key[0]), KEY_ID),
        "not base64": ("!!!" + good, KEY_ID),
        "empty": ("", KEY_ID),
    }


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    "case",
    [
        "unsigned",
        "no key id",
        "no signature",
        "unknown key id",
        "signed by another key",
        "another body's signature",
        "not base64",
        "empty",
    ],
)
def test_a_forged_alert_is_refused_and_revokes_nothing(
    token: tuple[PersonalAccessToken, str],
    github_key: tuple[ec.EllipticCurvePrivateKey, str],
    case: str,
) -> None:
    body = alert(token[1])
    signature, key_id = forgeries(body, github_key)[case]

    response = send(body, signature, key_id)

    assert response.status_code == 403
    assert response.json() == {
        "message": "The request is not signed by one of GitHub's secret scanning keys.",
        "status": 403,
    }
    assert stored(token[0]).revoked_at is None


def test_a_key_on_another_curve_verifies_nothing(token: tuple[PersonalAccessToken, str]) -> None:
    private, pem = new_key(ec.SECP384R1())
    body = alert(token[1])

    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": {KEY_ID: pem}}):
        assert send(body, signed(body, private)).status_code == 403
    assert stored(token[0]).revoked_at is None


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    "document",
    [{"token": "x"}, [{"token": 7, "type": "t"}], [{"type": "t"}], ["pat_x"], "x"],
)
def test_a_signed_body_of_another_shape_is_a_400(
    github_key: tuple[ec.EllipticCurvePrivateKey, str], document: Any, db: None
) -> None:
    body = json.dumps(document).encode()

    response = send(body, signed(body, github_key[0]))

    assert (response.status_code, response.json()["status"]) == (400, 400)


def test_it_is_off_unless_configured(
    token: tuple[PersonalAccessToken, str], github_key: tuple[ec.EllipticCurvePrivateKey, str]
) -> None:
    body = alert(token[1])

    response = send(body, signed(body, github_key[0]))

    assert (response.status_code, response.json()["status"]) == (404, 404)
    assert stored(token[0]).revoked_at is None


@pytest.mark.usefixtures("configured")
def test_without_cryptography_it_answers_503_and_the_check_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, token: tuple[PersonalAccessToken, str]
) -> None:
    monkeypatch.setattr(github_scanning, "cryptography_missing", lambda: True)

    response = send(alert(token[1]), "c2ln")
    [error] = checks.check_github_keys()

    assert response.status_code == 503
    assert "cryptography" in response.json()["message"]
    assert error.id == "django_pat.E003"
    assert error.hint == "pip install 'django-personal-access-tokens[github]'"


def test_a_keys_file_that_cannot_be_read_is_a_warning_and_a_503(
    tmp_path: Path, token: tuple[PersonalAccessToken, str]
) -> None:
    missing = tmp_path / "nowhere.json"
    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": str(missing)}):
        [warning] = checks.check_github_keys()
        response = send(alert(token[1]), "c2ln")

    assert warning.id == "django_pat.W003"
    assert "pat_github_keys" in warning.msg
    assert response.status_code == 503


def test_a_key_that_is_not_p256_is_a_warning() -> None:
    _, pem = new_key(ec.SECP384R1())
    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": {"k": pem}}):
        [warning] = checks.check_github_keys()

    assert warning.id == "django_pat.W003"
    assert "'k' is not an ECDSA P-256 public key" in warning.msg


@pytest.mark.parametrize("keys", [{}, ["pem"], {"k": "not a key"}, {"": "x"}, 7])
def test_bad_key_settings_are_configuration_errors(keys: Any) -> None:
    from django_pat.conf import problems

    assert any(
        "GITHUB_SECRET_SCANNING_KEYS" in problem
        for problem in problems({"GITHUB_SECRET_SCANNING_KEYS": keys})
    )


# --- manage.py pat_github_keys ---------------------------------------------------------


def githubs_document(*pems: str) -> dict[str, Any]:
    return {
        "public_keys": [
            {"key_identifier": f"{KEY_ID[:-1]}{index}", "key": pem, "is_current": index == 0}
            for index, pem in enumerate(pems)
        ]
    }


@pytest.fixture
def served() -> Iterator[Callable[[bytes], str]]:
    """A local HTTP server answering every GET with the body given; its URL."""
    answers: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answers[-1])

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(body: bytes) -> str:
        answers.append(body)
        return f"http://127.0.0.1:{server.server_address[1]}/meta/public_keys/secret_scanning"

    yield serve
    server.shutdown()
    server.server_close()


def test_the_command_writes_githubs_keys_where_the_setting_says(
    tmp_path: Path, served: Callable[[bytes], str]
) -> None:
    _, first = new_key()
    _, second = new_key()
    document = json.dumps(githubs_document(first, second)).encode()
    path = tmp_path / "keys" / "github.json"
    out = StringIO()

    with override_settings(DJANGO_PAT={"GITHUB_SECRET_SCANNING_KEYS": str(path)}):
        call_command("pat_github_keys", "--url", served(document), stdout=out)

    assert path.read_bytes() == document
    assert out.getvalue().startswith(f"Wrote 2 key(s) to {path}")
    assert github_scanning.keys_from_file(path) == {
        f"{KEY_ID[:-1]}0": first,
        f"{KEY_ID[:-1]}1": second,
    }


def test_the_command_reads_a_file_url_and_takes_output(tmp_path: Path) -> None:
    _, pem = new_key()
    source = tmp_path / "from-github.json"
    source.write_text(json.dumps(githubs_document(pem)))
    output = tmp_path / "keys.json"

    call_command(
        "pat_github_keys", "--url", source.as_uri(), "--output", str(output), stdout=StringIO()
    )

    assert json.loads(output.read_text()) == githubs_document(pem)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<html>rate limited</html>", "did not answer with GitHub's keys"),
        (b'{"public_keys": []}', "did not answer with GitHub's keys"),
        (b'{"public_keys": [{"key": "x"}]}', "did not answer with GitHub's keys"),
        (
            json.dumps(githubs_document("-----BEGIN PUBLIC KEY-----\nAAAA\n")).encode(),
            "is not an ECDSA P-256 public key",
        ),
    ],
)
def test_the_command_keeps_the_old_file_unless_it_got_valid_keys(
    tmp_path: Path, served: Callable[[bytes], str], answer: bytes, message: str
) -> None:
    path = tmp_path / "github.json"
    path.write_text("the keys of yesterday")

    with pytest.raises(CommandError, match=message):
        call_command("pat_github_keys", "--url", served(answer), "--output", str(path))

    assert path.read_text() == "the keys of yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["github.json"]


def test_the_command_needs_to_know_where_to_write() -> None:
    with pytest.raises(CommandError, match="--output"):
        call_command("pat_github_keys", "--url", "file:///nowhere")


@pytest.mark.parametrize("url", ["ftp://example.com/keys", "/etc/passwd", "file:///nowhere/x"])
def test_the_command_refuses_other_urls_and_says_what_failed(tmp_path: Path, url: str) -> None:
    with pytest.raises(CommandError, match=r"not an http|Could not fetch"):
        call_command("pat_github_keys", "--url", url, "--output", str(tmp_path / "k.json"))
