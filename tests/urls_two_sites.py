"""The test project with a second admin site, "other" at /other-admin/, that
registers the token admin and a user admin of its own too."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.urls import path

from django_pat.admin import PersonalAccessTokenAdmin, attach_user_inline
from django_pat.models import PersonalAccessToken
from tests.urls import urlpatterns as default_urlpatterns

other_site = admin.AdminSite(name="other")
other_site.register(User, UserAdmin)
other_site.register(PersonalAccessToken, PersonalAccessTokenAdmin)
attach_user_inline(other_site)

urlpatterns = [path("other-admin/", other_site.urls), *default_urlpatterns]
