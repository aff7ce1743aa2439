from django.urls import path

from . import api_members

urlpatterns = [
    path("", api_members.members, name="members_api"),
    path("invitations", api_members.invitations, name="invitations_api"),
    path("invitations/<int:invitation_id>", api_members.invitation, name="invitation_api"),
    path("<int:user_id>", api_members.member, name="member_api"),
]
