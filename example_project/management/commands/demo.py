"""``manage.py demo``: make the example site ready to try, and say how."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command

from django_pat.models import PersonalAccessToken

DEMO_TOKEN_NAME = "demo (from manage.py demo)"


class Command(BaseCommand):
    help = (
        "Migrate the database, (re)create the demo users 'demo' and 'admin' with new "
        "passwords, and print them with a fresh token for 'demo'."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        users = get_user_model()
        logins = {}
        for username, is_staff in (("demo", False), ("admin", True)):
            user, _ = users.objects.get_or_create(username=username)
            # An address for the emails the site prints on the console.
            user.email = f"{username}@example.com"
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_active = True
            user.is_staff = user.is_superuser = is_staff
            user.save()
            logins[username] = (user, password)

        demo = logins["demo"][0]
        for old in PersonalAccessToken.objects.active().for_user(demo).filter(name=DEMO_TOKEN_NAME):
            old.revoke("command")
        _, secret = PersonalAccessToken.objects.provision(demo, name=DEMO_TOKEN_NAME)

        self.stdout.write(
            "\nThe demo site is ready. After `manage.py runserver`, open http://127.0.0.1:8000/\n\n"
            f"  user  (no staff):  demo  / {logins['demo'][1]}   http://127.0.0.1:8000/accounts/login/\n"
            f"  staff (superuser): admin / {logins['admin'][1]}   http://127.0.0.1:8000/admin/\n\n"
            "A token for 'demo' (shown this once; only its digest is stored):\n\n"
            f"  {secret}\n\n"
            f"  curl -H 'Authorization: Bearer {secret}' "
            "http://127.0.0.1:8000/api/personal-access-tokens\n\n"
            "Run `manage.py demo` again for new passwords and a new token.\n"
        )
