"""/unsubscribe/<token>/: the one-click unsubscribe link of reminder emails (no sign-in)."""

from django.urls import path

from . import views

urlpatterns = [path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe")]
