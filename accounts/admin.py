from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from .actor import Actor
from .models import ApiToken, AuditEvent, Invitation, Membership, Organization, User
from .services import (
    LastAdmin,
    account_deactivated,
    api_token_revoke,
    membership_add,
    membership_change_role,
    membership_remove,
)

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
    actions = None  # no bulk delete: each account leaves its organizations through membership_remove

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except LastAdmin as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(request.path)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            for organization in account_deactivated(user=obj, actor=Actor.of_request(request)):
                warning = format_html(
                    '{} has no active admin now: nobody there can manage its connections or members. <a href="{}">'
                    "Make someone an admin</a> on its page.",
                    organization.name,
                    reverse("admin:accounts_organization_change", args=[organization.pk]),
                )
                self.message_user(request, warning, messages.WARNING)

    def delete_model(self, request, obj):
        for membership in obj.memberships.select_related("organization"):
            membership_remove(organization=membership.organization, user_id=obj.pk, actor=Actor.of_request(request))
        super().delete_model(request, obj)


class MembershipFormSet(BaseInlineFormSet):
    """Additions, role changes and removals go through the services, as from Settings → Members: the
    last-admin rule holds (tried first in a rolled-back savepoint, so a refusal is the form's error and
    nothing is saved) and the audit trail names the staff member."""

    actor: Actor

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form in self.initial_forms:
            form.fields["user"].disabled = True  # another person is a removal and an addition

    def clean(self):
        super().clean()
        try:
            with transaction.atomic():
                self.save_existing_objects()
                transaction.set_rollback(True)
        except LastAdmin as refused:
            raise ValidationError(refused.message) from None

    def save_new(self, form, commit=True):
        user, role = form.instance.user, form.instance.role
        return membership_add(organization=self.instance, user=user, role=role, actor=self.actor)

    def save_existing(self, form, obj, commit=True):
        return membership_change_role(organization=self.instance, user_id=obj.user_id, role=obj.role, actor=self.actor)

    def delete_existing(self, obj, commit=True):
        membership_remove(organization=self.instance, user_id=obj.user_id, actor=self.actor)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": Actor.of_request(request)})


class ApiTokenInline(ReadOnlyInline, admin.TabularInline):
    model = ApiToken
    readonly_fields = fields = ("name", "scope", "last4", "created_by", "created_at", "expires_at", "last_used_at")
    show_change_link = True  # revoked from the token's own page (audited)


AUDIT_EVENTS_SHOWN = 20


class LatestAuditEvents(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset()[:AUDIT_EVENTS_SHOWN]


class AuditEventInline(ReadOnlyInline, admin.TabularInline):
    model = AuditEvent
    formset = LatestAuditEvents
    readonly_fields = fields = ("created_at", "provider", "actor_label", "summary")
    verbose_name_plural = f"Audit trail (integrations, members): the latest {AUDIT_EVENTS_SHOWN}"


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug", "memberships__user__email"]
    inlines = [MembershipInline, ApiTokenInline]
    readonly_fields = ["audit_trail"]

    @admin.display(description="Audit trail")
    def audit_trail(self, obj):
        if obj.pk is None:
            return "-"
        url = reverse("admin:accounts_auditevent_changelist") + f"?organization__id__exact={obj.pk}"
        return format_html('<a href="{}">All {} audit events</a>', url, obj.audit_events.count())

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

    def delete_model(self, request, obj):
        api_token_revoke(organization=obj.organization, token_id=obj.pk, actor=Actor.of_request(request))

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("organization"):
            self.delete_model(request, token)


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

    allow_delete = False  # revoked from Settings → Members (audited)

    @admin.display(boolean=True, description="Used")
    def used(self, obj):
        return obj.accepted_at is not None


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "provider", "action", "actor_label", "summary"]
    list_filter = ["provider", "action"]
    search_fields = ["organization__name", "organization__slug", "actor_label", "summary"]
    readonly_fields = ["organization", "provider", "action", "actor", "actor_label", "summary", "detail", "created_at"]
    allow_delete = False
