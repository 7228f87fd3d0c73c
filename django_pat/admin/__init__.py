"""Staff pages for personal access tokens: find, inspect, revoke, provision.

Every page here is a view over the model's own rules: the status filter uses
the queryset's names, revoking calls :meth:`PersonalAccessToken.revoke`,
provisioning calls ``PersonalAccessToken.objects.provision``. Nothing is ever
edited in place. The digest is never shown; the secret is shown once, in the
response to provisioning a token here, and nowhere else.

Permissions (Django's model permissions on ``django_pat.PersonalAccessToken``):

* ``view``: the list, the detail pages and "find a token by its value";
* ``revoke`` (``django_pat.revoke_personalaccesstoken``) together with
  ``view``: the revoke action, the revoke button and its confirmation page
  (alone it grants nothing: revoking starts from a token one can see);
* ``add``: provisioning a token for a user who holds no more than the staff
  member does (:func:`validate_provisioning_for`); superusers, for anyone.

Rows are never deleted from here: revoked tokens stay for the audit trail.

Importing this package (the admin's autodiscovery does) registers
:class:`PersonalAccessTokenAdmin` on the default admin site, and does nothing
else: a user's tokens show on the user's page once the project calls
:func:`attach_user_inline`.

The modules, as in ``django.contrib.admin``: ``options`` (the ModelAdmin),
``inlines`` (the user inline), ``filters``, ``display`` (how fields read),
``views`` (find, revoke, provisioned) and ``addresses`` (tokens kept out of
URLs); ``listing``, ``counting``, ``facets`` and ``search`` keep the list as
quick at a million tokens as at a thousand. The forms are in :mod:`django_pat.forms`.
"""

from django.contrib import admin

from ..forms import validate_provisioning_for
from ..models import PersonalAccessToken
from .inlines import PersonalAccessTokenInline, attach_user_inline
from .options import REVOKE_PERMISSION, PersonalAccessTokenAdmin

__all__ = [
    "REVOKE_PERMISSION",
    "PersonalAccessTokenAdmin",
    "PersonalAccessTokenInline",
    "attach_user_inline",
    "validate_provisioning_for",
]

admin.site.register(PersonalAccessToken, PersonalAccessTokenAdmin)
