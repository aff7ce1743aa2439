from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an organization API token and print it. It is shown only this once."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", default="command line")

    def handle(self, *args, slug, name, **options):
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            raise CommandError(f"No organization with slug {slug!r}.")
        _, raw = api_token_create(organization=org, name=name)
        self.stdout.write(raw)
