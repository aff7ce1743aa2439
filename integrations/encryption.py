"""Rotating FIELD_ENCRYPTION_KEY: re-encrypt every encrypted column with the first key.

API keys, OAuth tokens and secrets, and webhook signing secrets are stored with
django-encrypted-model-fields, which encrypts with the first key of FIELD_ENCRYPTION_KEY and
decrypts with any of them. To rotate: put the new key first (keep the old one after it), deploy,
run `manage.py reencrypt_secrets`, then remove the old key. `--check` says whether that is safe.

Values are moved from one key to the other as tokens (`MultiFernet.rotate`); they are never
decrypted into a variable here, logged or printed. A value no configured key decrypts is
reported by table and primary key and left as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from encrypted_model_fields import fields as encrypted

BATCH = 200


@dataclass
class ColumnReport:
    column: str  # "app_label.Model.field"
    current: int = 0  # already under the first key
    reencrypted: int = 0  # moved from an older key to the first (or would be, when checking)
    undecryptable: list = field(default_factory=list)  # primary keys no configured key decrypts

    def __str__(self) -> str:
        text = f"{self.column}: {self.current} under the first key, {self.reencrypted} re-encrypted"
        if self.undecryptable:
            pks = ", ".join(str(pk) for pk in self.undecryptable[:20])
            more = f" and {len(self.undecryptable) - 20} more" if len(self.undecryptable) > 20 else ""
            text += f"; {len(self.undecryptable)} no configured key decrypts (primary keys {pks}{more})"
        return text


def encrypted_columns() -> Iterator[tuple[type[models.Model], models.Field]]:
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, encrypted.EncryptedMixin):
                yield model, model_field


def _keys() -> tuple[Fernet, MultiFernet]:
    configured = settings.FIELD_ENCRYPTION_KEY
    if not configured:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set.")
    keys = [Fernet(k) for k in (configured if isinstance(configured, list | tuple) else [configured])]
    return keys[0], MultiFernet(keys)


def reencrypt(*, check_only: bool = False) -> list[ColumnReport]:
    """Re-encrypt every encrypted value under the first key (or, with `check_only`, count what
    would be). One short transaction per batch of rows, each row locked while it is rewritten."""
    first, every = _keys()
    reports = []
    for model, model_field in encrypted_columns():
        report = ColumnReport(column=f"{model._meta.label}.{model_field.name}")
        manager = model._base_manager
        pks = list(manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            with transaction.atomic():
                rows = (
                    manager.select_for_update()
                    .filter(pk__in=pks[start : start + BATCH])
                    # The stored token, not the decrypted value the field would return.
                    .annotate(stored=Cast(model_field.name, models.TextField()))
                    .values_list("pk", "stored")
                )
                for pk, stored in rows:
                    if stored is None:
                        continue
                    token = stored.encode()
                    if _decrypts(first, token):
                        report.current += 1
                    elif not _decrypts(every, token):
                        report.undecryptable.append(pk)
                    else:
                        report.reencrypted += 1
                        if not check_only:
                            _write_token(model, model_field, pk, every.rotate(token))
        reports.append(report)
    return reports


def _decrypts(crypter: Fernet | MultiFernet, token: bytes) -> bool:
    try:
        crypter.decrypt(token)
    except InvalidToken:
        return False
    return True


def _write_token(model, model_field, pk, token: bytes) -> None:
    # Written as SQL: through the ORM the field would encrypt the token a second time (even a
    # Value() expression is handed to the field's get_db_prep_save).
    meta, quote = model._meta, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {quote(model_field.column)} = %s WHERE {quote(meta.pk.column)} = %s",
            [token.decode(), pk],
        )
