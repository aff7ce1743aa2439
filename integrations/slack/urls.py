from django.urls import path

from . import views

app_name = "slack"

urlpatterns = [
    path("install/", views.install, name="install"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("refresh/", views.refresh, name="refresh"),
]
