"""README, "Extending": a project's own fields on tokens, in a one-to-one
profile. The code below the docstring is README's, as it stands."""

from django.db import models

from django_pat.models import PersonalAccessToken


class TokenProfile(models.Model):
    """What this project records about a token, beside what django-pat does."""

    token = models.OneToOneField(
        PersonalAccessToken, models.CASCADE, primary_key=True, related_name="profile"
    )
    team = models.CharField(max_length=50)

    def __str__(self) -> str:
        return f"{self.token} ({self.team})"
