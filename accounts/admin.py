from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, Invitation, Membership, Organization, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "email_confirmed"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "email_confirmed", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    fields = ["name", "scope", "last4", "created_by", "created_at", "expires_at", "last_used_at"]
    readonly_fields = fields
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    inlines = [MembershipInline, ApiTokenInline]

    def get_inlines(self, request, obj):
        # Other apps add read-only inlines (connection health, audit, ...) through this registry.
        from integrations.registry import admin_inlines

        return [*self.inlines, *admin_inlines()]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "scope", "last4", "created_at", "expires_at", "last_used_at"]
    search_fields = ["name", "organization__name", "organization__slug"]
    fields = [
        "organization",
        "name",
        "scope",
        "last4",
        "created_by",
        "by_operator",
        "created_at",
        "expires_at",
        "last_used_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: admins invite from Settings → Members. The token is never stored, its hash never shown."""

    list_display = ["email", "organization", "role", "expires_at", "used"]
    list_filter = ["role"]
    search_fields = ["email", "organization__name", "organization__slug"]
    fields = [
        "organization",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "link_shown",
        "accepted_at",
        "accepted_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="Used")
    def used(self, obj):
        return obj.accepted_at is not None
