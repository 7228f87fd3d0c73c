"""Indexes that keep the admin's list, its filters and ``pat_purge`` quick at
any number of tokens: the list's order (newest first), expiry, and the
revoked tokens (a partial index: only rows with ``revoked_at`` set).

On PostgreSQL they are built with ``CREATE INDEX CONCURRENTLY``, which does
not lock the table against writes while it runs: tokens keep being used,
provisioned and revoked. That cannot run inside a transaction, so this
migration is not atomic. On a table of 1,000,000 tokens the three took about
5 seconds on a shared two-core machine (README, "Upgrading"). Should one
fail part way (a deadlock, a cancelled statement), PostgreSQL leaves it
behind marked invalid: drop it (``DROP INDEX CONCURRENTLY <name>``) and run
``migrate`` again. Other databases build them as usual.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class AddIndexConcurrentlyOnPostgreSQL(migrations.AddIndex):
    """``AddIndex``, built ``CONCURRENTLY`` on PostgreSQL. The migration
    state is that of ``AddIndex``, whatever the database."""

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)  # type: ignore[call-arg]

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)  # type: ignore[call-arg]

    def describe(self) -> str:
        return f"{super().describe()} (concurrently on PostgreSQL)"


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    atomic = False

    dependencies = [
        ("django_pat", "0003_normalize_names"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="personalaccesstoken",
            index=models.Index(fields=["-created_at", "-id"], name="django_pat_created"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="personalaccesstoken",
            index=models.Index(fields=["expire_at"], name="django_pat_expire_at"),
        ),
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="personalaccesstoken",
            index=models.Index(
                condition=models.Q(("revoked_at__isnull", False)),
                fields=["revoked_at"],
                name="django_pat_revoked_at",
            ),
        ),
    ]
