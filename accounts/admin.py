from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, AuditEvent, Invitation, Membership, Organization, User

# Support staff's Django admin says whose it is (Django's default reads "Django administration").
admin.site.site_header = "Roster support"
admin.site.site_title = "Roster support"
admin.site.index_title = "Organizations, connections and deliveries"

# Read-only inlines other apps add to an organization's admin page (connection health, rotations'
# sync, webhook endpoint): the extension point lives here, at the bottom, so accounts imports no app.
_organization_inlines: list[type[admin.options.InlineModelAdmin]] = []


class ReadOnlyInline(admin.options.InlineModelAdmin):
    """A mixin for inlines that only show rows (support staff read; the app's pages change them):
    `class XInline(ReadOnlyInline, admin.TabularInline)` with `fields = readonly_fields = (...)`."""

    extra = 0
    max_num = 0
    can_delete = False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model admin support staff read: the app makes the rows (its services validate and audit), never
    an add here. `allow_change = True` where an admin action needs the change permission (the fields stay
    read-only); `allow_delete = False` where deleting a row must go through the app instead."""

    allow_change = False
    allow_delete = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return self.allow_change and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and super().has_delete_permission(request, obj)


def register_organization_inline(inline_class: type[admin.options.InlineModelAdmin]) -> None:
    if inline_class not in _organization_inlines:
        _organization_inlines.append(inline_class)


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
    readonly_fields = ["last_login", "date_joined"]
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ApiTokenInline(admin.TabularInline):
    model = ApiToken
    extra = 0
    readonly_fields = fields = ("name", "scope", "last4", "created_by", "created_at", "expires_at", "last_used_at")
    can_delete = True

    def has_add_permission(self, request, obj=None):
        return False


class AuditEventInline(ReadOnlyInline, admin.TabularInline):
    model = AuditEvent
    readonly_fields = fields = ("created_at", "provider", "actor_label", "summary")
    ordering = ["-created_at"]
    verbose_name_plural = "Audit trail (integrations, members)"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    inlines = [MembershipInline, ApiTokenInline]

    def get_inlines(self, request, obj):
        return [*self.inlines, AuditEventInline, *_organization_inlines]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "scope", "last4", "created_at", "expires_at", "last_used_at"]
    search_fields = ["name", "last4", "organization__name", "organization__slug"]
    readonly_fields = fields = (
        "organization",
        "name",
        "scope",
        "last4",
        "created_by",
        "by_operator",
        "created_at",
        "expires_at",
        "last_used_at",
    )
    allow_change = True


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Read-only: admins invite from Settings → Members. The token is never stored, its hash never shown."""

    list_display = ["email", "organization", "role", "expires_at", "used"]
    list_filter = ["role"]
    search_fields = ["email", "organization__name", "organization__slug"]
    readonly_fields = fields = (
        "organization",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "link_shown",
        "accepted_at",
        "accepted_by",
    )

    @admin.display(boolean=True, description="Used")
    def used(self, obj):
        return obj.accepted_at is not None


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "provider", "action", "actor_label", "summary"]
    list_filter = ["provider", "action"]
    search_fields = ["organization__name", "organization__slug", "actor_label", "summary"]
    readonly_fields = ["organization", "provider", "action", "actor", "actor_label", "summary", "detail", "created_at"]
