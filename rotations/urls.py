from django.urls import path

from . import views
from .calendar import views as calendar_views

app_name = "rotations"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("my-calendar/", calendar_views.my_calendar, name="my_calendar"),
    path("my-calendar/revoke/", calendar_views.my_calendar_revoke, name="my_calendar_revoke"),
    path("<int:rotation_id>/calendar/", calendar_views.calendar_create, name="calendar_create"),
    path("<int:rotation_id>/calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("<int:rotation_id>/", views.detail, name="detail"),
    path("<int:rotation_id>/edit/", views.edit, name="edit"),
    path("<int:rotation_id>/delete/", views.delete, name="delete"),
    path("<int:rotation_id>/members/", views.member_add, name="member_add"),
    path("<int:rotation_id>/members/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path("<int:rotation_id>/skip/", views.skip, name="skip"),
    path("<int:rotation_id>/skips/<int:skip_id>/delete/", views.skip_delete, name="skip_delete"),
    path("<int:rotation_id>/overrides/", views.override_add, name="override_add"),
    path("<int:rotation_id>/overrides/<int:override_id>/delete/", views.override_delete, name="override_delete"),
    path("<int:rotation_id>/schedules/", views.schedules, name="schedules"),
    path("<int:rotation_id>/bind/", views.bind, name="bind"),
    path("<int:rotation_id>/unbind/", views.unbind, name="unbind"),
    path("<int:rotation_id>/sync/", views.sync_now, name="sync"),
    path("<int:rotation_id>/follow-again/", views.follow_again, name="follow_again"),
]
