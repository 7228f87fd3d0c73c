"""The example site's admin: a user's tokens on their page, as docs/admin.md says."""

from django_pat.admin import attach_user_inline

attach_user_inline()
