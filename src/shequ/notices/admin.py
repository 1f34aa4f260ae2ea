from django.contrib import admin

from .models import Notice, NoticeAttachment, NoticeEntry


class AttachmentInline(admin.TabularInline):
    model = NoticeAttachment
    extra = 0
    readonly_fields = ("name", "content_type", "size", "uploaded_by", "created_at")


class EntryInline(admin.TabularInline):
    model = NoticeEntry
    extra = 0
    readonly_fields = ("action", "actor", "from_state", "to_state", "note", "at")
    can_delete = False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-mostly: writes go through the notice pages (``actions``), which keep the timeline."""

    list_display = ("title", "state", "pinned", "publish_at", "expires_at", "author")
    list_filter = ("state", "pinned")
    search_fields = ("title",)
    readonly_fields = ("body_html", "state", "author", "created_at", "updated_at")
    inlines = [AttachmentInline, EntryInline]
