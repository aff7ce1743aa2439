"""The public calendar feed, mounted at the site root: `/cal/<token>.ics` (the token is the credential)."""

from django.urls import path

from .views import calendar_feed

urlpatterns = [path("cal/<str:token>.ics", calendar_feed, name="calendar_feed")]
