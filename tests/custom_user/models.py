"""A custom user model unlike ``auth.User`` in every way the compiled token
query depends on: a UUID primary key, a JSONField (whose values go through a
converter), and multi-table inheritance (the user's row is split across two
tables, joined to the token's)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone


class Party(models.Model):
    """Someone the site knows; a member is a party that can log in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    joined = models.DateTimeField(default=timezone.now)
    display_name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.display_name or str(self.id)


class MemberManager(BaseUserManager["Member"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Member:
        member = self.model(email=self.normalize_email(email), **fields)
        member.set_password(password)
        member.save(using=self._db)
        return member


class Member(AbstractBaseUser, Party):
    email = models.EmailField(unique=True)
    preferences = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True)

    objects = MemberManager()

    USERNAME_FIELD = "email"

    def __str__(self) -> str:
        return self.email
