"""Signals for audit logs and other side effects.

None of them ever carries the secret. ``token_provisioned``,
``token_revoked``, ``token_rotated``, ``token_expiring`` and ``token_leaked``
are sent when the change commits (at once outside a transaction): a receiver
never hears of a token that a rollback undid. They are sent with
``transaction.on_commit(..., robust=True)``: an exception in a receiver is
logged, and cannot undo what was committed.

``token_provisioned(sender, token, parent)``
    A token was made. ``parent`` is the token that authenticated the request
    that made it, or None.
``token_revoked(sender, token, reason, revoked_by)``
    A token went from active to revoked; sent once per token. ``reason`` is
    one of :class:`django_pat.lifecycle.RevokedReason`'s values; ``revoked_by``
    the user who revoked it (the owner, a staff member), or None (a command,
    deactivation, a leak report).
``token_rotated(sender, token, previous, rotated_by)``
    ``token`` replaced ``previous`` by rotation (sent after ``previous``'s
    ``token_revoked`` and ``token``'s ``token_provisioned``); ``rotated_by``
    as ``revoked_by`` above.
``token_expiring(sender, token, days)``
    ``manage.py pat_notify_expiring`` told the owner by email that ``token``
    expires within ``days`` days (one of ``EXPIRY_NOTICE_DAYS``); once per
    token and window.
``token_leaked(sender, token, source, url)``
    ``token`` was reported as leaked and revoked for it (sent after its
    ``token_revoked``, with reason ``leaked``); once per token, by the report
    that revoked it. ``source`` is ``"report"`` (``POST credentials/revoke``)
    or ``"github"`` (GitHub secret scanning); ``url`` is where GitHub found
    it, else None. The owner is emailed as well.
``authentication_failed(sender, reason, token_id, display_prefix, client_ip, method, path)``
    A Bearer value with our prefix was refused. ``reason`` is one of
    :data:`django_pat.verification.REASONS`; ``token_id`` and
    ``display_prefix`` are None when no stored token matched; ``client_ip``
    is an ``ipaddress`` address or None. The request itself is not sent: its
    ``Authorization`` header holds the secret.

Internal, for cache mode rather than audit:

``before_revoke(sender, token, using)``
    ``revoke()`` is about to write ``revoked_at`` to the database ``using``,
    in the caller's transaction if there is one. A receiver that raises stops
    the revocation. Cache mode tombstones the token's entry here, so that no
    revocation is ever committed while a cached entry could still let the
    token in.
"""

from django.dispatch import Signal

token_provisioned = Signal()
token_revoked = Signal()
token_rotated = Signal()
token_expiring = Signal()
token_leaked = Signal()
authentication_failed = Signal()
before_revoke = Signal()
