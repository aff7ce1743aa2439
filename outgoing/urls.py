from django.urls import path

from . import views

app_name = "outgoing"

urlpatterns = [
    path("", views.endpoints, name="endpoints"),
    path("<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("<int:endpoint_id>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path("<int:endpoint_id>/test/", views.endpoint_test, name="endpoint_test"),
    path("<int:endpoint_id>/enabled/", views.endpoint_enabled, name="endpoint_enabled"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete, name="endpoint_delete"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="delivery_resend"),
]
