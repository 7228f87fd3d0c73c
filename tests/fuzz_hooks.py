"""Schemathesis hooks for tests/test_fuzzing.py (loaded by tests/schemathesis.toml)."""

from __future__ import annotations

import os
import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    """The fuzzer may revoke any token but the one it authenticates with:
    after that, every request would be a 401 and prove little."""
    spared = os.environ["FUZZ_TOKEN_ID"]
    if case.path_parameters and case.path_parameters.get("token_id") == spared:
        case.path_parameters["token_id"] = str(uuid.uuid4())
