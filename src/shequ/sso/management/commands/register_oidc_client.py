"""``manage.py register_oidc_client NAME --redirect-uri URI [--redirect-uri URI ...] [--public]``: register a
community app that signs its users in with shequ accounts; prints the client ID and (confidential apps) the secret,
which is shown only this once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shequ.access.models import User
from shequ.core.errors import DomainError
from shequ.sso.actions import register_client


class Command(BaseCommand):
    help = "Register an OpenID Connect client app and print its client ID and secret (the secret only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The app's name, shown to people on the consent page.")
        parser.add_argument(
            "--redirect-uri", action="append", required=True, dest="redirect_uris", help="Repeat for several."
        )
        kind = parser.add_mutually_exclusive_group()
        kind.add_argument(
            "--confidential", action="store_true", help="A server-side app that keeps a secret (default)."
        )
        kind.add_argument("--public", action="store_true", help="A mobile or browser app: no secret, PKCE required.")
        parser.add_argument("--skip-consent", action="store_true", help="Trusted in-house app: no consent page.")
        parser.add_argument("--by", default="", help="Username of the administrator registering it (for the trail).")

    def handle(self, *args, name: str, redirect_uris: list[str], public: bool, skip_consent: bool, by: str, **kw):
        actor = None
        if by:
            actor = User.objects.filter(username=by).first()
            if actor is None:
                raise CommandError(f"No user {by!r}.")
        try:
            client, secret = register_client(
                name=name, redirect_uris=redirect_uris, confidential=not public, by=actor, skip_consent=skip_consent
            )
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stderr.write(f"Registered {client.name!r}; store the credentials now, the secret is not shown again:")
        self.stdout.write(f"client_id={client.client_id}")
        if secret:
            self.stdout.write(f"client_secret={secret}")
