from django.urls import path

from . import api, api_oauth, views_oauth

urlpatterns = [
    path("", api.connection, name="pagerduty_api"),
    path("oauth/login", api_oauth.oauth_login, name="pagerduty_oauth_login"),
    # A browser redirect (session), not JSON: PagerDuty sends the admin back here.
    path("login/callback", views_oauth.oauth_callback, name="pagerduty_oauth_callback"),
]
