from django.urls import path

from . import views, views_members

app_name = "accounts"

urlpatterns = [
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/delete/", views.api_token_delete, name="api_token_delete"),
    path("settings/members/", views_members.members, name="members"),
    path("settings/members/invite/", views_members.member_invite, name="member_invite"),
    path("settings/members/<int:user_id>/role/", views_members.member_role, name="member_role"),
    path("settings/members/<int:user_id>/remove/", views_members.member_remove, name="member_remove"),
    path(
        "settings/members/invitations/<int:invitation_id>/revoke/",
        views_members.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views_members.invitation, name="invitation"),
    path("confirm-email/resend/", views.confirm_email_resend, name="confirm_email_resend"),
    path("confirm-email/<str:uidb64>/<str:token>/", views.confirm_email, name="confirm_email"),
    path("organizations/switch/", views.switch_organization, name="switch_organization"),
]
