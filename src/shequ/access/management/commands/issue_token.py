"""``manage.py issue_token <username> --name NAME [--channel hotline]``: print a new API key once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from shequ import audit
from shequ.access.models import ApiToken, User

# The event channels a token may bring reports in on. Kept here as plain values because
# access sits below events and must not import it; events.models.Channel has the same values.
TOKEN_CHANNELS = ("grid_worker", "resident", "hotline", "device", "department")


class Command(BaseCommand):
    help = "Issue an API token for a user and print its key (shown only this once; only a hash is kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for, e.g. '12345 hotline bridge'.")
        parser.add_argument(
            "--channel", default="", choices=("", *TOKEN_CHANNELS), help="Events reported with it come in here."
        )

    def handle(self, *args, username: str, name: str, channel: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        if not name.strip():
            raise CommandError("--name must not be empty.")
        with transaction.atomic():
            token, key = ApiToken.issue(user=user, name=name.strip(), channel=channel)
            audit.record(
                "token_issue", target=token, detail={"user": user.username, "name": token.name, "prefix": token.prefix}
            )
        self.stderr.write(f"Token {token.prefix}… for {user.username}; store the key now, it is not shown again:")
        self.stdout.write(key)
