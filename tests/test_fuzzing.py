"""Schemathesis against the example site's live schema, as a client with a token.

The site runs under ``manage.py runserver`` with DEBUG off (the fixtures of
test_example_project, in a database of this module's own). Schemathesis's
command line, configured by tests/schemathesis.toml, loads /api/schema/ and
runs every phase: the schema's examples, its coverage cases (boundaries and
invalid values of every parameter and field), random valid and invalid
requests, and stateful workflows along links it infers (provision, then get
and revoke what was made). Its checks: no 5xx, every status code, header,
content type and body as the schema documents them, invalid data refused,
unauthenticated requests refused, a revoked token gone. Bounded by examples
and steps, it takes well under a minute.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.test_example_project import (  # noqa: F401 (fixtures)
    DEMO_TOKEN_NAME,
    ROOT,
    Browser,
    bearer,
    demo,
    environment,
    server,
    site_dir,
)

ST = Path(sys.executable).with_name("st")
CONFIG = ROOT / "tests" / "schemathesis.toml"
TIMEOUT = 300


def test_api_conforms_to_its_schema_under_fuzzing(server, demo, tmp_path):  # noqa: F811
    auth = bearer(demo.token)
    listed = Browser(server).get("api/personal-access-tokens", **auth).json()
    token_id = next(token["id"] for token in listed if token["name"] == DEMO_TOKEN_NAME)
    fuzz_environment = {
        **os.environ,
        "FUZZ_TOKEN": demo.token,
        "FUZZ_TOKEN_ID": token_id,
        "NO_COLOR": "1",
        "SCHEMATHESIS_REPORTS_DIR": str(tmp_path),
    }

    run = subprocess.run(  # noqa: S603
        [str(ST), "--config-file", str(CONFIG), "run", f"{server}api/schema/?format=json"],
        cwd=ROOT,
        env=fuzz_environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "No issues found" in report or " passed" in report, report
    assert "Authentication failed" not in report, report
    assert demo.token not in report
    # Had the fuzzer revoked it, everything after would have been a 401.
    assert Browser(server).get("api/personal-access-tokens", **auth).status == 200
