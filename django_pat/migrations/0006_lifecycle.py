"""The token lifecycle (release 1.0): a description, why and by whom a token
was revoked, where it was last used from, the token it replaced by rotation,
and the expiry notices sent for it.

What existing rows get, without a table rewrite (each column is added with a
constant default or as NULL):

* ``description``: ``""``, "no description", as the API has it;
* ``revoked_reason`` ``""`` and ``revoked_by`` NULL: the API reads
  ``revokedReason: null``. For a token still active that is the truth; for
  one revoked before this release, nobody recorded why or by whom, and a
  guess would put a false fact into the audit trail;
* ``last_used_ip`` NULL: unknown until the token's next recorded use;
* ``previous`` NULL: no token was rotated before rotation existed;
* ``expiry_notice_days`` NULL: no notice sent yet, so a token already inside
  a window gets one notice (for the narrowest) on the first run of
  ``pat_notify_expiring``.

Depends on 0005 (scopes), the migration before it; it touches nothing that
the earlier ones add.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_pat', '0005_scopes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='personalaccesstoken',
            name='description',
            field=models.CharField(blank=True, default='', max_length=1000),
        ),
        migrations.AddField(
            model_name='personalaccesstoken',
            name='expiry_notice_days',
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='personalaccesstoken',
            name='last_used_ip',
            field=models.GenericIPAddressField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='personalaccesstoken',
            name='previous',
            field=models.OneToOneField(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='successor', to='django_pat.personalaccesstoken'),
        ),
        migrations.AddField(
            model_name='personalaccesstoken',
            name='revoked_by',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='personalaccesstoken',
            name='revoked_reason',
            field=models.CharField(blank=True, choices=[('owner', 'by its owner'), ('staff', 'by staff'), ('rotated', 'replaced by rotation'), ('leaked', 'reported as leaked'), ('user_deactivated', "its user's account changed"), ('command', 'by a management command')], default='', editable=False, max_length=32),
        ),
        migrations.AddIndex(
            model_name='personalaccesstoken',
            index=models.Index(condition=models.Q(('revoked_at__isnull', True)), fields=['expire_at', 'id'], name='django_pat_live_expiry'),
        ),
        migrations.AddConstraint(
            model_name='personalaccesstoken',
            constraint=models.CheckConstraint(condition=models.Q(('revoked_at__isnull', False), ('revoked_reason', ''), _connector='OR'), name='django_pat_reason_only_if_revoked'),
        ),
    ]
