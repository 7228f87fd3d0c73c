"""README, "Extending": the endpoints with a team on every token, read-only
week-long tokens unless asked otherwise, and a link in the provisioning
response. The code below the docstring is README's, as it stands."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from django_pat.serializers import PersonalAccessTokenSerializer, ProvisionSerializer
from django_pat.views import PersonalAccessTokenViewSet

from .models import TokenProfile


class TeamTokenSerializer(PersonalAccessTokenSerializer):
    # None for a token made elsewhere (the admin, pat_create), without a profile.
    team = serializers.CharField(source="profile.team", read_only=True, default=None)


class TeamProvisionSerializer(ProvisionSerializer):
    team = serializers.CharField(max_length=50)


class TeamTokenViewSet(PersonalAccessTokenViewSet):
    serializer_class = TeamTokenSerializer
    provision_serializer_class = TeamProvisionSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("profile")

    def get_provision_defaults(self):
        # For what the request leaves out; checked like what it sends.
        return {"type": "read_only", "expire_at": timezone.now() + timedelta(days=7)}

    def provision(self, *, team, **arguments):
        # One transaction: no token without its profile. token_provisioned
        # waits for the commit, so its receivers see the profile too.
        with transaction.atomic():
            token, secret = super().provision(**arguments)
            TokenProfile.objects.create(token=token, team=team)
        return token, secret

    def get_provision_response_data(self, token, secret):
        data = super().get_provision_response_data(token, secret)
        return {**data, "docs": "https://example.com/docs/tokens"}
