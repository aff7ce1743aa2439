from django.urls import path

from . import views

app_name = "time_off"

urlpatterns = [
    path("", views.time_off, name="index"),
    path("<int:time_off_id>/delete/", views.time_off_delete, name="delete"),
]
