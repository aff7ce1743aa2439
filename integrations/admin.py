from django.contrib import admin

from .models import AuditEvent
from .registry import register_admin_inline


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    readonly_fields = fields = ("created_at", "provider", "actor_label", "summary")
    can_delete = False
    ordering = ["-created_at"]
    max_num = 0
    verbose_name_plural = "Audit trail (integrations, members)"


register_admin_inline(AuditEventInline)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "provider", "action", "actor_label", "summary"]
    list_filter = ["provider", "action"]
    search_fields = ["organization__name", "organization__slug", "actor_label", "summary"]
    readonly_fields = ["organization", "provider", "action", "actor", "actor_label", "summary", "detail", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
