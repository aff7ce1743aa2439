from django.urls import path

from . import api

urlpatterns = [
    path("rotations/<int:rotation_id>/notifications", api.rotation_notifications, name="api_rotation_notifications"),
    path("rotations/<int:rotation_id>/reminders/me", api.my_reminders, name="api_my_reminders"),
    path("rotations/<int:rotation_id>/reminders/defaults", api.reminder_defaults, name="api_reminder_defaults"),
]
