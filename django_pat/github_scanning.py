"""GitHub secret scanning's partner endpoint: GitHub finds one of this site's
tokens in a repository, gist or issue and sends it here (CONTRACT 9.5).

Off (a 404) until ``DJANGO_PAT["GITHUB_SECRET_SCANNING_KEYS"]`` names
GitHub's public keys. A request must carry ``Github-Public-Key-Identifier``
and ``Github-Public-Key-Signature``: the base64 DER ECDSA signature (P-256,
SHA-256) of the raw body by the named key. Anything else (a header missing,
an unknown key, a signature that does not verify) is a 403 and revokes
nothing. A verified body, ``[{"token", "type", "url", "source"}, ...]``, is
revoked by :func:`django_pat.leaks.revoke_leaked` and answered in GitHub's
feedback format: ``[{"token_hash", "token_type", "label"}, ...]``, with
``label`` ``true_positive`` for a token of this site (in any state).

Verifying needs the ``cryptography`` package, an optional extra:
``pip install 'django-personal-access-tokens[github]'``. The system check
``django_pat.E003`` says so when the keys are set but it is missing.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils.decorators import method_decorator
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.debug import sensitive_variables
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import tokens
from .conf import pat_settings
from .exceptions import ServiceUnavailable, exception_handler
from .leaks import revoke_leaked

__all__ = [
    "INSTALL_HINT",
    "GitHubSecretScanningView",
    "cryptography_missing",
    "key_problems",
    "keys_from_file",
    "parse_keys",
    "verify_signature",
]

logger = logging.getLogger("django_pat")

IDENTIFIER_HEADER = "HTTP_GITHUB_PUBLIC_KEY_IDENTIFIER"
SIGNATURE_HEADER = "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE"
INSTALL_HINT = "pip install 'django-personal-access-tokens[github]'"


class SignatureRefused(exceptions.PermissionDenied):
    default_detail = gettext_lazy(
        "The request is not signed by one of GitHub's secret scanning keys."
    )


def cryptography_missing() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return True
    return False


def parse_keys(document: Any) -> dict[str, str]:
    """Key identifier -> PEM from GitHub's document
    ``{"public_keys": [{"key_identifier", "key", "is_current"}, ...]}``;
    ValueError when it is not one."""
    entries = document.get("public_keys") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ValueError("not GitHub's public keys: no 'public_keys' list")
    keys = {}
    for entry in entries:
        identifier = entry.get("key_identifier") if isinstance(entry, dict) else None
        pem = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(identifier, str) or not identifier or not isinstance(pem, str):
            raise ValueError(f"not GitHub's public keys: {entry!r} has no key_identifier and key")
        keys[identifier] = pem
    return keys


def keys_from_file(path: Path) -> dict[str, str]:
    """The keys in a file as ``manage.py pat_github_keys`` writes it."""
    return parse_keys(json.loads(path.read_text(encoding="utf-8")))


def key_problems(configured: Path | dict[str, str]) -> list[str]:
    """What is wrong with the configured keys (a file that cannot be read, a
    key that is not an ECDSA P-256 public key), one sentence each."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    where = "DJANGO_PAT['GITHUB_SECRET_SCANNING_KEYS']"
    if isinstance(configured, Path):
        try:
            configured = keys_from_file(configured)
        except (OSError, ValueError) as error:
            return [
                f"{where}: cannot read GitHub's keys from {str(configured)!r} ({error}); "
                "GitHub's requests will be answered 503 until manage.py pat_github_keys "
                "writes it."
            ]
    found = []
    for identifier, pem in configured.items():
        try:
            key = serialization.load_pem_public_key(pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            key = None
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            found.append(f"{where}: the key {identifier!r} is not an ECDSA P-256 public key.")
    return found


def verify_signature(body: bytes, identifier: str, signature: str, keys: dict[str, str]) -> bool:
    """Whether ``signature`` (base64 DER) is the ECDSA P-256 / SHA-256
    signature of ``body`` by the key ``identifier`` names among ``keys``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = keys.get(identifier)
    if pem is None:
        return False
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
        der = base64.b64decode(signature, validate=True)
    except (ValueError, UnicodeEncodeError, binascii.Error):
        return False
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        return False
    try:
        key.verify(der, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _configured_keys() -> dict[str, str]:
    configured = pat_settings.leaks.github_keys
    if configured is None:
        raise exceptions.NotFound()
    if cryptography_missing():
        logger.error(
            "django_pat: GitHub secret scanning needs the cryptography package: %s", INSTALL_HINT
        )
        raise ServiceUnavailable(
            gettext("GitHub secret scanning needs the cryptography package on this server.")
        )
    if isinstance(configured, dict):
        return configured
    try:
        return keys_from_file(configured)
    except (OSError, ValueError) as error:
        logger.error(
            "django_pat: could not read GitHub's keys from %s (DJANGO_PAT"
            "['GITHUB_SECRET_SCANNING_KEYS']): %s",
            configured,
            error,
        )
        raise ServiceUnavailable() from None


def _reported(body: bytes) -> list[dict[str, str]]:
    """The verified body's entries; a 400 for anything but GitHub's shape."""
    try:
        document = json.loads(body.decode("utf-8"))
    except ValueError:
        raise exceptions.ParseError(gettext("Malformed JSON.")) from None
    if not isinstance(document, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("token"), str)
        and _is_text(entry["token"])
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("url", ""), str | None)
        for entry in document
    ):
        raise exceptions.ValidationError(
            gettext('The body must be a JSON array of {"token", "type", "url", "source"}.')
        )
    return document


def _is_text(value: str) -> bool:
    """Not a lone surrogate (JSON can spell ``\\ud800``; no encoding carries it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class GitHubSecretScanningView(APIView):
    """Tokens GitHub's secret scanning found in public; signed by GitHub."""

    authentication_classes = ()
    # PersonalAccessTokenMiddleware lets a refused token through to it.
    ignores_credentials = True
    permission_classes = (AllowAny,)
    renderer_classes = (JSONRenderer,)
    # The body is read raw (its signature covers the bytes), never parsed by DRF.
    parser_classes = ()

    def get_exception_handler(self) -> Callable[..., Response]:
        return exception_handler

    # The body holds the reported secrets: none of them in an error report.
    @method_decorator(sensitive_variables("body", "entries", "report", "feedback", "entry"))
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        keys = _configured_keys()
        identifier = request.META.get(IDENTIFIER_HEADER, "")
        signature = request.META.get(SIGNATURE_HEADER, "")
        body = request.body
        if (
            not identifier
            or not signature
            or not verify_signature(body, identifier, signature, keys)
        ):
            raise SignatureRefused()
        entries = _reported(body)
        report = revoke_leaked(
            (entry["token"] for entry in entries),
            source="github",
            urls={entry["token"]: entry["url"] for entry in entries if entry.get("url")},
        )
        feedback = []
        for entry in entries:
            digest = tokens.digest(entry["token"])
            feedback.append(
                {
                    "token_hash": digest,
                    "token_type": entry["type"],
                    "label": "true_positive" if digest in report.matched else "false_positive",
                }
            )
        return Response(feedback, status=status.HTTP_200_OK)
