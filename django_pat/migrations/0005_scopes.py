"""Scopes: a token may be restricted to some of the project's scopes.

Every token made before has NULL, "not restricted by scope": it reaches what
it reached before, no more and no less. Adding a nullable column with no
default rewrites no row.
"""

from django.db import migrations

import django_pat.fields


class Migration(migrations.Migration):
    dependencies = [
        ("django_pat", "0004_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="personalaccesstoken",
            name="scopes",
            field=django_pat.fields.ScopesField(blank=True, default=None, null=True),
        ),
    ]
