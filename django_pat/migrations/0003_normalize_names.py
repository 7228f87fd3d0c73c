"""Store every token name in its normalised form.

From this release a name is stored as ``normalize_name()`` gives it (format
characters of Unicode category Cf removed, NFC, trimmed), so that uniqueness
among a user's active tokens is a plain equality in the database, checked
under the owner's row lock without reading the user's other names. Names made
before were stored as typed, only trimmed; this rewrites those that differ.

Only names with a character outside printable ASCII can differ, and the
database finds those, so a table of plain names is read but not rewritten.

Two active tokens of one user whose names differed only by invisible
characters end with the same name: both are kept, and now look as alike as
they always did. A name that would be empty (invisible characters only) or
longer than 100 characters (NFC lengthens a few characters) is left as it
was.
"""

import unicodedata
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_MAX_LENGTH = 100
_BATCH = 1000


def _normalize(name: str) -> str:
    # The rule as this migration applies it, frozen here so that a later
    # change to django_pat.models.normalize_name cannot change this step.
    visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", visible).strip()


def normalize_names(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Token = apps.get_model("django_pat", "PersonalAccessToken")
    tokens = Token._default_manager.using(schema_editor.connection.alias)
    changed: list[Any] = []
    candidates = tokens.filter(name__regex=r"[^ -~]").only("pk", "name").order_by()
    for token in candidates.iterator(chunk_size=_BATCH):
        name = _normalize(token.name)
        if name != token.name and 0 < len(name) <= _MAX_LENGTH:
            token.name = name
            changed.append(token)
        if len(changed) == _BATCH:
            tokens.bulk_update(changed, ["name"])
            changed.clear()
    tokens.bulk_update(changed, ["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("django_pat", "0002_revoke_permission"),
    ]

    operations = [
        migrations.RunPython(normalize_names, migrations.RunPython.noop, elidable=True),
    ]
