"""Signals for audit logs and other side effects.

None of them ever carries the secret.

``token_provisioned(sender, token, parent)``
    A token was made. ``parent`` is the token that authenticated the request
    that made it, or None.
``token_revoked(sender, token)``
    A token went from active to revoked; sent once per token.
``authentication_failed(sender, reason, token_id, display_prefix, client_ip, method, path)``
    A Bearer value with our prefix was refused. ``reason`` is one of
    :data:`django_pat.verification.REASONS`; ``token_id`` and
    ``display_prefix`` are None when no stored token matched; ``client_ip``
    is an ``ipaddress`` address or None. The request itself is not sent: its
    ``Authorization`` header holds the secret.
"""

from django.dispatch import Signal

token_provisioned = Signal()
token_revoked = Signal()
authentication_failed = Signal()
