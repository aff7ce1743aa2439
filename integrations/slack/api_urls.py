from django.urls import path

from . import api

urlpatterns = [path("", api.connection, name="slack_api")]
