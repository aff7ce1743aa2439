import secrets

from django.core.management.base import BaseCommand

from accounts.models import Organization, User
from accounts.services import organization_create


class Command(BaseCommand):
    help = "Development only: create an admin user and a demo organization if there are none, and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args, email, **options):
        if Organization.objects.exists():
            self.stdout.write("Demo data already present; sign in with the account you created earlier.")
            return
        password = secrets.token_urlsafe(12)
        org = organization_create(name="Demo Organization", admin_email=email, password=password)
        user = User.objects.get(email=email)
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
        self.stdout.write(
            self.style.SUCCESS(
                f"\nCreated organization '{org.name}' (slug {org.slug}) and admin user.\n"
                f"  Sign in at /accounts/login/ as {email} with password: {password}\n"
                f"  (this password is printed once; reset it with: python manage.py changepassword {email})\n"
            )
        )
