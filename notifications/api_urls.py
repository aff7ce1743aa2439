from django.urls import path

from . import api

urlpatterns = [
    path("rotations/<int:rotation_id>/notifications", api.rotation_notifications, name="api_rotation_notifications"),
]
