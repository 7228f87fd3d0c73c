"""Translatable names for the model and its fields (docs/translations.md).

Names only: no column, index or constraint changes, so no SQL runs.
"""

import django.db.models.deletion
import django.utils.timezone
import django_pat.fields
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_pat', '0006_lifecycle'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='personalaccesstoken',
            options={'ordering': ('-created_at', '-id'), 'permissions': (('revoke_personalaccesstoken', 'Can revoke personal access token'),), 'verbose_name': 'personal access token', 'verbose_name_plural': 'personal access tokens'},
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='description',
            field=models.CharField(blank=True, default='', max_length=1000, verbose_name='description'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='digest',
            field=models.CharField(editable=False, max_length=64, unique=True, verbose_name='digest'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='display_prefix',
            field=models.CharField(editable=False, max_length=32, verbose_name='display prefix'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='expire_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='expire at'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='expiry_notice_days',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True, verbose_name='expiry notice days'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='id',
            field=models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False, verbose_name='id'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='ip_restriction',
            field=models.TextField(blank=True, default='', verbose_name='IP restriction'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='last_used_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='last used at'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='last_used_ip',
            field=models.GenericIPAddressField(blank=True, editable=False, null=True, verbose_name='last used IP'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='name',
            field=models.CharField(max_length=100, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='previous',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='successor', to='django_pat.personalaccesstoken', verbose_name='previous token'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='revoked at'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='revoked_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='revoked by'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='revoked_reason',
            field=models.CharField(blank=True, choices=[('owner', 'by its owner'), ('staff', 'by staff'), ('rotated', 'replaced by rotation'), ('leaked', 'reported as leaked'), ('user_deactivated', "its user's account changed"), ('command', 'by a management command')], default='', editable=False, max_length=32, verbose_name='revoked reason'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='scopes',
            field=django_pat.fields.ScopesField(blank=True, default=None, null=True, verbose_name='scopes'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='type',
            field=models.CharField(max_length=32, verbose_name='type'),
        ),
        migrations.AlterField(
            model_name='personalaccesstoken',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='personal_access_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
    ]
