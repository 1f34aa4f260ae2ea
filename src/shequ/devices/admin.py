from django.contrib import admin

from .models import Alarm, CarPark, Device, Message, Refusal, Rule, Task, WatchedPlate


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "type", "status", "area_code", "owner_kind", "last_seen_at")
    list_filter = ("type", "status", "owner_kind")
    search_fields = ("code", "name", "building__address")
    raw_id_fields = ("building", "dwelling", "grid", "owner_unit", "car_park")
    readonly_fields = ("key_hash", "last_seen_at", "last_message_type")


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "message_type", "operator", "value", "action", "quiet_minutes", "daily_limit", "active")
    list_filter = ("action", "message_type", "active")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("device", "type", "at", "wire")
    list_filter = ("type", "wire")
    raw_id_fields = ("device",)

    def has_change_permission(self, request, obj=None):  # what a device said is not edited
        return False


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ("device", "rule", "outcome", "count", "event", "at")
    list_filter = ("outcome",)
    raw_id_fields = ("device", "message", "event", "task")


admin.site.register(Refusal, list_display=("device_code", "code", "count", "last_at"))
admin.site.register(
    Task, list_display=("title", "kind", "status", "area_code", "created_at"), raw_id_fields=("device",)
)
admin.site.register(CarPark, list_display=("name", "area_code", "spaces", "occupied"))
admin.site.register(WatchedPlate, list_display=("plate", "reason", "area_code", "active"))
