from django.core.management.base import BaseCommand, CommandError

from integrations.encryption import reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (API keys, OAuth tokens, webhook secrets) with the first key "
        "of FIELD_ENCRYPTION_KEY, so older keys can be removed. Prints counts, never a value."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; exit 1 unless every value is already under the first key",
        )

    def handle(self, *args, check, **options):
        reports = reencrypt(check_only=check)
        for report in reports:
            self.stdout.write(str(report))
        undecryptable = sum(len(r.undecryptable) for r in reports)
        behind = sum(r.reencrypted for r in reports)
        if undecryptable:
            raise CommandError(
                f"{undecryptable} stored values are not decrypted by any key in FIELD_ENCRYPTION_KEY; "
                "they were left as they are. Add the key they were written with, or reconnect the "
                "integrations they belong to (see the primary keys above)."
            )
        if check and behind:
            raise CommandError(
                f"{behind} values are still under an older key: run `manage.py reencrypt_secrets` "
                "before removing it from FIELD_ENCRYPTION_KEY."
            )
        if check:
            self.stdout.write("Every value is under the first key: older keys can be removed.")
        else:
            self.stdout.write(
                f"Re-encrypted {behind} values. Every value is now under the first key: "
                "older keys can be removed from FIELD_ENCRYPTION_KEY."
            )
