from django.urls import path

from . import api_feeds

urlpatterns = [
    path("rotations/<int:rotation_id>/calendar", api_feeds.rotation_calendar, name="api_rotation_calendar"),
    path("me/calendar", api_feeds.my_calendar, name="api_my_calendar"),
]
