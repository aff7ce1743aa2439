from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, Organization
from accounts.services import InputRefused, api_token_create


class Command(BaseCommand):
    help = (
        "Create an organization API token and print it (shown only this once). An operator's token: "
        "it stays valid whoever leaves the organization, until revoked or expired."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="command line")
        parser.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            default=ApiToken.Scope.READ,
            help="read: GET what members may read; write: also rotations; admin: also the PagerDuty connection, "
            "webhook secrets, members and invitations. Default: read.",
        )
        parser.add_argument("--expires-days", type=int, help="The token stops working after this many days.")

    def handle(self, *args, slug, name, scope, expires_days=None, **options):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organization with slug {slug!r}.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        try:
            _, raw = api_token_create(organization=org, name=name, scope=scope, expires_in_days=expires_days)
        except InputRefused as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(raw)
