"""The extension pg_trgm and the trigram indexes of the admin's token search.

Each index is on ``UPPER(column::text)``, the expression of Django's
``icontains`` on PostgreSQL, so that a search's ``LIKE`` can use it. The
user model's columns are those of its ``USERNAME_FIELD`` and email field,
read from the model when this migration runs. Not atomic: ``CREATE INDEX
CONCURRENTLY`` cannot run in a transaction.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def _indexes(apps: StateApps) -> list[tuple[str, str, str]]:
    """(index name, table, column) of each trigram index."""
    tokens = apps.get_model("django_pat", "PersonalAccessToken")._meta
    found = [
        ("django_pat_name_trgm", tokens.db_table, tokens.get_field("name").column),
        ("django_pat_prefix_trgm", tokens.db_table, tokens.get_field("display_prefix").column),
    ]
    # The live model: a historical one does not know its USERNAME_FIELD.
    user_model = get_user_model()
    table = user_model._meta.db_table
    for name in dict.fromkeys([user_model.USERNAME_FIELD, user_model.get_email_field_name()]):
        try:
            column = user_model._meta.get_field(name).column  # type: ignore[union-attr]
        except FieldDoesNotExist:
            continue
        # PostgreSQL cuts names at 63 bytes, here and when dropping alike.
        found.append((f"django_pat_trgm_{table}_{column}", table, column))
    return found


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        indexes = _indexes(apps)
        for index, table, column in indexes:
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(index)} ON {quote(table)} "
                f"USING gin ((UPPER({quote(column)}::text)) gin_trgm_ops)"
            )
        # The planner knows how many rows a search matches only from the
        # statistics of the indexed expressions, which ANALYZE gathers; until
        # then it takes every word for rare. (ANALYZE blocks no reads or writes.)
        for table in dict.fromkeys(table for _index, table, _column in indexes):
            cursor.execute(f"ANALYZE {quote(table)}")


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for index, _table, _column in _indexes(apps):
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("django_pat", "0004_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
