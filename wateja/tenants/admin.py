"""Back-office admin for businesses, locations, staff (with the locations each works at) and
API keys."""

from typing import Any

from django.contrib import admin
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from wateja.tenants.models import ApiKey, Business, Location, Staff, StaffLocation


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "currency", "timezone", "default_language")
    search_fields = ("name", "slug")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "city", "is_active")
    list_filter = ("business",)


class StaffLocationInline(admin.TabularInline):
    model = StaffLocation
    fields = ("location",)
    extra = 0


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("user", "business", "role")
    list_filter = ("business", "role")
    inlines = [StaffLocationInline]

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        """A location row belongs to the staff member's business."""
        rows: list[Any] = formset.save(commit=False)
        for row in rows:
            row.business_id = form.instance.business_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "prefix", "role", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at", "created_at")
    list_filter = ("business",)
