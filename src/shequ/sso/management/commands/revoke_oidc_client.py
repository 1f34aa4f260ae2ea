"""``manage.py revoke_oidc_client CLIENT_ID``: refuse a community app from now on and delete its tokens."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.access.models import User
from shequ.sso.actions import revoke_client
from shequ.sso.models import Client


class Command(BaseCommand):
    help = "Revoke an OpenID Connect client app: its sign-ins and tokens stop working at once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("--by", default="", help="Username of the administrator revoking it (for the trail).")

    def handle(self, *args, client_id: str, by: str, **options) -> None:
        client = Client.objects.filter(client_id=client_id).first()
        if client is None:
            raise CommandError(f"No client {client_id!r}.")
        actor = User.objects.filter(username=by).first() if by else None
        if by and actor is None:
            raise CommandError(f"No user {by!r}.")
        if client.revoked_at is not None:
            raise CommandError(f"Client {client_id!r} was already revoked at {client.revoked_at:%Y-%m-%d %H:%M}.")
        removed = revoke_client(client, by=actor)
        self.stdout.write(f"Revoked {client.name!r}; {removed} codes and tokens deleted.")
