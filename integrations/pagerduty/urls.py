from django.urls import path

from . import views

app_name = "pagerduty"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("rotate-key/", views.rotate_key, name="rotate_key"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("refresh/", views.refresh, name="refresh"),
]
