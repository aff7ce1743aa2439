from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("<int:rotation_id>/slack/", views.save, name="slack_save"),
    path("<int:rotation_id>/slack/test/", views.test_message, name="slack_test"),
    path("<int:rotation_id>/reminders/", views.reminders_save, name="reminders_save"),
    path("<int:rotation_id>/reminders/defaults/", views.reminders_defaults, name="reminders_defaults"),
    path("<int:rotation_id>/slack/preview/", views.preview, name="slack_preview"),
    path("<int:rotation_id>/slack/usergroup/", views.create_usergroup, name="slack_create_usergroup"),
]
