from django.contrib import admin

from accounts.admin import register_organization_inline
from integrations.admin import ConnectionAdmin, ConnectionInline

from .models import PagerDutyConnection
from .selectors import connection_health


class HealthColumn:
    @admin.display(description="Health")
    def health(self, connection: PagerDutyConnection) -> str:
        """The status the card shows (selectors.connection_health), in one line."""
        found = connection_health(connection)
        return " — ".join(part for part in (found.label, found.message) if part)


# Never a credential field: only last-4 digits and health.
HEALTH_FIELDS = (
    "health",
    "status",
    "auth_type",
    "region",
    "key_last4",
    "is_account_key",
    "external_user_name",
    "external_user_email",
    "account_subdomain",
    "capabilities",
    "validated_at",
    "last_error",
    "last_error_at",
    "last_error_code",
    # OAuth: expiry and the last refresh's result; never a token or the client secret.
    "oauth_uses_operator_app",
    "oauth_client_id",
    "scopes",
    "token_expires_at",
    "last_refreshed_at",
    "last_refresh_result",
    "last_refresh_error",
    "updated_at",
)


class PagerDutyConnectionInline(HealthColumn, ConnectionInline):
    model = PagerDutyConnection
    fields = readonly_fields = HEALTH_FIELDS
    verbose_name = "PagerDuty connection health"


register_organization_inline(PagerDutyConnectionInline)


@admin.register(PagerDutyConnection)
class PagerDutyConnectionAdmin(HealthColumn, ConnectionAdmin):
    list_display = [
        "organization",
        "health",
        "status",
        "auth_type",
        "account_subdomain",
        "key_last4",
        "validated_at",
        "token_expires_at",
        "last_refresh_result",
    ]
    list_filter = ["status", "auth_type", "region", "last_refresh_result"]
    search_fields = [*ConnectionAdmin.search_fields, "account_subdomain", "external_user_email"]
    fields = readonly_fields = ("organization", *HEALTH_FIELDS)
