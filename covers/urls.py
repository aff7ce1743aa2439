"""The rotation page's "Cover requests" section, under rotations/<rotation_id>/cover-requests/."""

from django.urls import path

from . import views

app_name = "covers"
urlpatterns = [
    path("", views.ask, name="ask"),
    path("<int:cover_request_id>/take/", views.take, name="take"),
    path("<int:cover_request_id>/cancel/", views.cancel, name="cancel"),
]
