from django.urls import path

from . import views, views_oauth

app_name = "pagerduty"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("rotate-key/", views.rotate_key, name="rotate_key"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("refresh/", views.refresh, name="refresh"),
    path("oauth/connect/", views_oauth.oauth_connect, name="oauth_connect"),
    path("switch/api-key/", views.switch_api_key, name="switch_api_key"),
    path("switch/oauth/", views_oauth.switch_oauth, name="switch_oauth"),
]
