"""Django admin for every provider's connection: read-only, and never a credential (only last-4
digits and health). A provider's admin.py subclasses these and names its model and fields."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin, ReadOnlyInline


class ConnectionInline(ReadOnlyInline, admin.StackedInline):
    """The connection's health on its organization's admin page (accounts.admin.register_organization_inline)."""


class ConnectionAdmin(ReadOnlyAdmin):
    search_fields = ["organization__name", "organization__slug"]
    allow_change = True
    # Disconnecting revokes or deletes credentials, unbinds rotations and records the audit: an admin
    # of the organization does it from Settings → Integrations, never a bare row delete here.
    allow_delete = False
