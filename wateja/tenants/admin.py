"""Back-office admin for businesses, locations, staff and API keys."""

from django.contrib import admin

from wateja.tenants.models import ApiKey, Business, Location, Staff


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "country", "currency", "timezone", "default_language")
    search_fields = ("name", "slug")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "city", "is_active")
    list_filter = ("business",)


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("user", "business", "role")
    list_filter = ("business", "role")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "prefix", "role", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "last_used_at", "created_at")
    list_filter = ("business",)
