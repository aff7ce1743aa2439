"""JSON API for scripts: GET the Slack connection's status, DELETE to disconnect (admins)."""

from django.http import JsonResponse

from accounts.api import api_actor, api_view
from integrations.api import connection_status_json, not_connected

from . import services
from .oauth import missing_scopes, operator_app_problem
from .selectors import get_connection


def status_json(organization) -> dict:
    """The connection as the JSON API shows it. Never the token."""
    connection = get_connection(organization)
    if connection is None:
        return {"connected": False, "status": "not_connected", "setupProblem": operator_app_problem() or None}
    return connection_status_json(
        connection,
        teamId=connection.team_id,
        teamName=connection.team_name,
        teamUrl=connection.team_url or None,
        enterpriseId=connection.enterprise_id or None,
        appId=connection.app_id or None,
        botUserId=connection.bot_user_id or None,
        botName=connection.bot_name or None,
        scopes=connection.scope_list,
        missingScopes=missing_scopes(connection.scope_list),
    )


@api_view(["GET", "DELETE"])
def connection(request):
    org = request.organization
    if request.method == "DELETE":
        if not services.connection_disconnect(organization=org, actor=api_actor(request)):
            raise not_connected(services.NotConnected.message)
    return JsonResponse(status_json(org))
