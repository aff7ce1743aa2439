from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/delete/", views.api_token_delete, name="api_token_delete"),
    path("organizations/switch/", views.switch_organization, name="switch_organization"),
]
