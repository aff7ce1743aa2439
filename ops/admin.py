from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import PeriodicRun


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    list_display = ("task", "last_run_at")
    ordering = ("task",)
