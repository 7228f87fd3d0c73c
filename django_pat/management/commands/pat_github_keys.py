"""``manage.py pat_github_keys [--output FILE] [--url URL]``: fetch GitHub
secret scanning's current public keys into the file that
``DJANGO_PAT["GITHUB_SECRET_SCANNING_KEYS"]`` names; for a daily cron job on a
site with internet access."""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request
from argparse import ArgumentParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management import BaseCommand, CommandError

from django_pat.conf import pat_settings
from django_pat.github_scanning import (
    INSTALL_HINT,
    cryptography_missing,
    key_problems,
    parse_keys,
)

GITHUB_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning"
TIMEOUT_SECONDS = 30
# GitHub's document is a few kilobytes; anything much larger is not it.
MAX_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Fetch GitHub secret scanning's public keys and write them, as GitHub serves them, "
        "to the file DJANGO_PAT['GITHUB_SECRET_SCANNING_KEYS'] names (or --output). The "
        "file is replaced only by a complete, valid set of keys. Run it daily."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Where to write the keys; default: the file the setting names.",
        )
        parser.add_argument(
            "--url",
            default=GITHUB_KEYS_URL,
            help=f"Where to fetch them (http, https or file); default {GITHUB_KEYS_URL}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if cryptography_missing():
            raise CommandError(f"The cryptography package is not installed: {INSTALL_HINT}")
        output = options["output"] or pat_settings.leaks.github_keys
        if not isinstance(output, Path):
            raise CommandError(
                "Say where to write the keys: --output, or DJANGO_PAT"
                "['GITHUB_SECRET_SCANNING_KEYS'] set to the path of a file."
            )
        body = self.fetch(options["url"])
        try:
            keys = parse_keys(json.loads(body))
        except ValueError as error:
            raise CommandError(
                f"{options['url']} did not answer with GitHub's keys: {error}"
            ) from None
        bad = key_problems(keys)
        if bad:
            raise CommandError(" ".join(bad))
        write_atomically(output, body)
        self.stdout.write(f"Wrote {len(keys)} key(s) to {output}: {', '.join(keys)}")

    def fetch(self, url: str) -> bytes:
        if urlsplit(url).scheme not in {"http", "https", "file"}:
            raise CommandError(f"{url!r} is not an http, https or file URL.")
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            url, headers={"Accept": "application/json", "User-Agent": "django-pat"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                body: bytes = response.read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(f"Could not fetch {url}: {error}") from None
        if len(body) > MAX_BYTES:
            raise CommandError(f"{url} answered with more than {MAX_BYTES} bytes.")
        return body


def write_atomically(path: Path, body: bytes) -> None:
    """Replace ``path`` in one step: a server reading it never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(body)
        os.chmod(temporary, 0o644)  # public keys, readable by the server's user
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
