"""Issue an API token for an integration (or any user); the key is printed once and never stored."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from foodbank import tokens


class Command(BaseCommand):
    help = "Issue an API token for USERNAME. The key is shown once; the database keeps only its hash."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'Navi production'.")
        parser.add_argument(
            "--expires-days", type=int, default=0, help="Days until the token expires (default: never)."
        )

    def handle(self, *args, username, name, expires_days, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days > 0 else None
        token, key = tokens.issue_token(user=user, name=name, expires_at=expires_at)
        self.stderr.write(
            f"Token {token.prefix}… issued for {username} ({name})"
            + (f", expires {expires_at:%Y-%m-%d}" if expires_at else "")
            + ". Store the key now: it cannot be shown again."
        )
        self.stdout.write(key)
