import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from accounts.services import organization_create


class Command(BaseCommand):
    help = "Create an organization and its first admin, and print the organization's slug."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--admin", required=True, help="Email address of the first admin.")
        parser.add_argument("--password-env", help="Read the admin's password from this environment variable.")

    def handle(self, *args, name, admin, password_env=None, **options):
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"Environment variable {password_env} is empty or unset.")
        elif options.get("interactive", True) and os.isatty(0):
            password = getpass.getpass(f"Password for {admin}: ")
            if not password:
                raise CommandError("A password is required.")
        else:
            password = None  # an existing user keeps theirs; a new one can use "forgot password" / admin
        org = organization_create(name=name, admin_email=admin, password=password)
        self.stdout.write(org.slug)
