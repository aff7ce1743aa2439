import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import InputRefused, normalize_email, organization_create


class Command(BaseCommand):
    help = (
        "Create an organization and its first admin, and print the organization's slug. "
        "An existing account becomes the admin as it is: its password is not changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--admin", required=True, help="Email address of the first admin.")
        parser.add_argument("--password-env", help="Read a new admin's password from this environment variable.")

    def handle(self, *args, name, admin, password_env=None, **options):
        admin = normalize_email(admin)
        if User.objects.filter(email__iexact=admin).exists():
            # Setting it would hand the account to whoever runs this command, not to who owns the address.
            self.stderr.write(
                f"{admin} already has a Roster account: it becomes the admin with its own password (left unchanged)."
            )
            password = None
        elif password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"Environment variable {password_env} is empty or unset.")
        elif options.get("interactive", True) and os.isatty(0):
            password = getpass.getpass(f"Password for {admin}: ")
            if not password:
                raise CommandError("A password is required.")
        else:
            password = None  # they set one with "forgot password", or an operator with changepassword
        try:
            org = organization_create(name=name, admin_email=admin, password=password)
        except InputRefused as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(org.slug)
