from django.contrib import admin
from django.contrib.auth.views import LoginView, PasswordChangeView
from django.http import HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from accounts import api_docs
from accounts.api import api
from accounts.forms import ChangePasswordForm, SignInForm
from accounts.views_signin import PasswordResetConfirmView, PasswordResetDoneView, PasswordResetView, SignOutView
from ops import views as ops_views

# The JSON API: one django-ninja router per app (its api.py), at /api/<prefix>.
ROUTERS: list[tuple[str, str]] = [
    ("integrations/pagerduty/", "integrations.pagerduty.api.router"),
    ("integrations/slack/", "integrations.slack.api.router"),
    ("members/", "accounts.api_members.router"),
    ("rotations/", "rotations.api.router"),
    ("", "webhooks.api.router"),
    ("", "rotations.calendar.api.router"),
    ("", "notifications.api.router"),
    ("", "outgoing.api.router"),
    ("", "covers.api.router"),
    ("me/", "rotations.time_off.api.router"),
]
for prefix, router in ROUTERS:
    api.add_router(prefix, router)

# The description itself, as JSON and as a page (plain Django views; accounts.api.ABOUT_PATHS describes them).
api_patterns: list[URLPattern | URLResolver] = [
    path("schema/", api_docs.schema, name="api_schema"),
    path("docs/", api_docs.docs, name="api_docs"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="integrations:index", permanent=False), name="home"),
    path("admin/status/", ops_views.system_status, name="system_status"),  # Django admin → System status
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page says: the icon base.html links to.
    path("favicon.ico", lambda request: HttpResponseRedirect(static("favicon.svg")), name="favicon"),
    # Liveness for load balancers; also the trivial view bench/webhooks.py compares against.
    path("healthz", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    # Readiness for load balancers and Kubernetes (database, migrations, broker, beat): 200 or 503 with JSON.
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),  # Prometheus, with METRICS_TOKEN
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),  # throttled
    path("accounts/password_reset/done/", PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/login/", LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path(
        "accounts/password_change/", PasswordChangeView.as_view(form_class=ChangePasswordForm), name="password_change"
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("accounts.urls")),
    path("settings/integrations/", include("integrations.urls")),
    path("settings/webhooks/", include("outgoing.urls")),
    path("settings/time-off/", include("rotations.time_off.urls")),
    path("integrations/slack/", include("integrations.slack.callback_urls")),  # Slack's OAuth redirect back
    path("integrations/slack/events/", include("covers.slack_urls")),  # Slack's commands, buttons and events
    path("rotations/", include("rotations.urls")),
    path("", include("rotations.calendar.urls")),  # /cal/<token>.ics: private calendar feeds
    path("rotations/", include("notifications.urls")),  # a rotation's Slack and reminders sections
    path("rotations/<int:rotation_id>/cover-requests/", include("covers.urls")),  # the Cover requests section
    path("", include("notifications.unsubscribe_urls")),  # /unsubscribe/<token>/ from reminder emails
    path("api/", api.urls),
    path("api/", include(api_patterns)),
    path("", include("webhooks.urls")),
]

# A JSON `{"code", "message"}` 404 under /api/ (a script reads `code`); Django's page elsewhere.
handler404 = "accounts.api_docs.not_found"
