from django.contrib import admin

from .models import Building, Dwelling, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "grid", "floors", "managed_by"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["grid", "managed_by"]


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "entrance", "floor", "room", "use"]
    list_filter = ["use"]
    search_fields = ["building__address", "room"]
    autocomplete_fields = ["building"]
