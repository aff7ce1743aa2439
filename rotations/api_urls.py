from django.urls import path

from . import api

urlpatterns = [
    path("", api.rotations, name="api_rotations"),
    path("<int:rotation_id>/", api.rotation, name="api_rotation"),
    path("<int:rotation_id>/sync", api.sync, name="api_rotation_sync"),
    path("<int:rotation_id>/current", api.current, name="api_rotation_current"),
    path("<int:rotation_id>/shifts", api.shifts, name="api_rotation_shifts"),
]
