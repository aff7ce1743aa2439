"""The receiver's two database statements, written in SQL because they are its whole cost.

A delivery costs one SELECT (the endpoint and its organization's secrets, joined) and one INSERT
(which is also the deduplication). Built through the ORM they spent more time composing SQL than
PostgreSQL spent running it; `bench/webhooks.py` prints the receiver's throughput. Both
statements run on PostgreSQL and on SQLite (3.35+: `ON CONFLICT DO NOTHING … RETURNING`), and
values go through each field's own conversion (`get_db_prep_save`, `from_db_value`), so the
encrypted, binary, JSON and date columns read and write exactly as the ORM does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.db import connection
from django.utils import timezone

from .models import Delivery, WebhookEndpoint, WebhookSecret


@dataclass(frozen=True)
class Endpoint:
    pk: int
    organization_id: int
    secrets: list[str]  # decrypted, oldest first; empty until an admin saves one
    last_rejected_at: datetime | None = None  # when a delivery was last refused for its signature


@cache
def _endpoint_sql() -> str:
    endpoint, secret = WebhookEndpoint._meta, WebhookSecret._meta
    quote = connection.ops.quote_name
    # Only table and column names from the models go into the text; values are parameters.
    return (
        f"SELECT e.{quote('id')}, e.{quote('organization_id')}, e.{quote('last_rejected_at')}, s.{quote('secret')}"
        f" FROM {quote(endpoint.db_table)} e"
        f" LEFT JOIN {quote(secret.db_table)} s ON s.{quote('organization_id')} = e.{quote('organization_id')}"
        f" WHERE e.{quote('public_id')} = %s"
        f" ORDER BY s.{quote('created_at')}, s.{quote('id')}"
    )


def endpoint(public_id: str) -> Endpoint | None:
    """The endpoint with this public id and its organization's signing secrets, in one query."""
    if "\x00" in public_id:  # no id has one, and PostgreSQL refuses it in a query (anyone may post here)
        return None
    with connection.cursor() as cursor:
        cursor.execute(_endpoint_sql(), [public_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    field = WebhookSecret._meta.get_field("secret")
    secrets = [field.from_db_value(value, None, connection) for *_, value in rows if value is not None]
    return Endpoint(pk=rows[0][0], organization_id=rows[0][1], secrets=secrets, last_rejected_at=_aware(rows[0][2]))


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back a stored datetime without its zone (it is UTC); PostgreSQL with it."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


@cache
def _insert_sql() -> tuple[str, tuple]:
    fields = tuple(f for f in Delivery._meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) VALUES ({placeholders})"
        f" ON CONFLICT DO NOTHING RETURNING {quote(Delivery._meta.pk.column)}"
    )
    return sql, fields


def insert_delivery(**values) -> int | None:
    """Store a delivery; its id, or None when a unique constraint already holds it (a redelivery:
    the same X-Webhook-Id or event id, verified, in the same organization). Fields not given take
    their defaults. Commits at once in autocommit (a request), like `Model.objects.create`."""
    sql, fields = _insert_sql()
    params = [
        field.get_db_prep_save(values[field.attname] if field.attname in values else field.get_default(), connection)
        for field in fields
    ]
    unknown = set(values) - {field.attname for field in fields}
    if unknown:
        raise TypeError(f"Delivery has no field {sorted(unknown)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None
