"""How PagerDuty appears on Settings → Integrations (the registry entry and its card context)."""

from django.conf import settings

from accounts.dialogs import ConfirmForm
from integrations.registry import Disconnect, Provider

from . import oauth
from .forms import connect_form, oauth_connect_form, rotate_form, switch_key_form, switch_oauth_form
from .models import PROVIDER as PROVIDER_KEY
from .models import PagerDutyConnection
from .selectors import connection_health, get_connection
from .services import disconnect_warnings

CAPABILITY_LABELS = {
    "read_users": "Read users",
    "read_schedules": "Read schedules",
    "read_teams": "Read teams",
    "write": "Write (create webhook subscriptions)",
    "write_overrides": "Write overrides",
}
CAPABILITY_VALUES = {"yes": "yes", "no": "no", "not_in_plan": "not in your plan", "unknown": "unknown"}


def capability_rows(capabilities: dict) -> list[tuple[str, str, str]]:
    return [
        (label, CAPABILITY_VALUES.get(capabilities.get(key, "unknown"), "unknown"), capabilities.get(key, "unknown"))
        for key, label in CAPABILITY_LABELS.items()
    ]


def card_context(request, organization) -> dict:
    connection = get_connection(organization)
    problem = oauth.operator_app_problem()
    scopes = oauth.requested_scopes(operator=not problem)
    region = connection.region if connection else None
    is_oauth = connection is not None and connection.auth_type == PagerDutyConnection.AuthType.OAUTH
    return {
        "pd": connection,
        "pd_health": connection_health(connection, organization=organization),
        "pd_capabilities": capability_rows(connection.capabilities) if connection else [],
        "pd_connect_form": connect_form(),
        "pd_rotate_form": rotate_form(region=region),
        "pd_switch_key_form": switch_key_form(region=region),
        # OAuth: the Connect dialog and the card's OAuth parts.
        "pd_oauth_form": oauth_connect_form(operator_app_ready=not problem),
        "pd_switch_oauth_form": switch_oauth_form(operator_app_ready=not problem),
        "pd_oauth_operator_problem": problem,
        "pd_oauth_redirect_url": oauth.redirect_url(),
        "pd_oauth_scopes": " ".join(scopes),
        "pd_oauth_org_scopes": " ".join(oauth.ORG_APP_SCOPES),
        "pd_oauth_scope_list": scopes,
        "pd_oauth_org_scope_list": list(oauth.ORG_APP_SCOPES),
        "pd_oauth_missing_scopes": oauth.missing_scopes(connection.scope_list) if connection and is_oauth else [],
    }


PROVIDER = Provider(
    key=PROVIDER_KEY,
    name="PagerDuty",
    pitch="Rotations follow PagerDuty on-call schedules, and incidents arrive by webhook.",
    card_template="integrations/pagerduty/card.html",
    card_context=card_context,
    order=10,
    prefix="pd",
    disconnect=Disconnect(ConfirmForm, disconnect_warnings),
    sign_in_urls=lambda: [settings.PAGERDUTY_IDENTITY_URL],  # OAuth: Connect, Refresh Connection
)
