from __future__ import annotations

from django.contrib import admin

from .models import (
    Change,
    CodeItem,
    CodeTable,
    Employment,
    Field,
    Household,
    ImportBatch,
    ImportRejection,
    LedgerSource,
    Organization,
    OrganizationTag,
    Person,
    PersonTag,
    Residence,
    Tag,
)
from .queries import people_with_id_number


class CodeItemInline(admin.TabularInline):
    model = CodeItem
    extra = 0


@admin.register(CodeTable)
class CodeTableAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "standard"]
    inlines = [CodeItemInline]


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "type", "code_table", "sensitivity", "owner", "visible_to_property"]
    list_filter = ["sensitivity", "type", "owner"]
    search_fields = ["name", "label"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "applies_to", "sensitivity", "owner", "active"]
    list_filter = ["applies_to", "sensitivity"]


class ResidenceInline(admin.TabularInline):
    model = Residence
    extra = 0
    raw_id_fields = ["dwelling", "household"]


class EmploymentInline(admin.TabularInline):
    model = Employment
    extra = 0
    raw_id_fields = ["organization"]


class PersonTagInline(admin.TabularInline):
    model = PersonTag
    extra = 0


# Admin edits bypass actions.py and leave no Change rows: the record pages are read-only here; write through the
# actions (pages, API, imports) so that every change keeps its provenance.
class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["name", "id_number", "gender", "birth_date", "phone", "residency"]
    search_fields = ["name", "phone"]
    list_filter = ["residency", "gender"]
    inlines = [ResidenceInline, EmploymentInline, PersonTagInline]

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        # E:admin  The ID number is encrypted at rest: a whole number is found through its blind index.
        found, duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            found |= queryset.filter(pk__in=people_with_id_number(search_term.strip()).values("pk"))
        return found, duplicates


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ["name", "credit_code", "type", "contact_name", "contact_phone"]
    search_fields = ["name", "credit_code"]
    list_filter = ["type"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ["number", "dwelling", "head"]
    raw_id_fields = ["dwelling", "head"]


@admin.register(Residence)
class ResidenceAdmin(ReadOnlyAdmin):
    list_display = ["person", "dwelling", "role", "start", "end"]
    raw_id_fields = ["person", "dwelling", "household"]


@admin.register(PersonTag)
class PersonTagAdmin(ReadOnlyAdmin):
    list_display = ["person", "tag", "since", "until", "source_kind"]


@admin.register(OrganizationTag)
class OrganizationTagAdmin(ReadOnlyAdmin):
    list_display = ["organization", "tag", "since", "until", "source_kind"]


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "record_type", "record_id", "field", "old_value", "new_value", "source_kind", "actor"]
    list_filter = ["record_type", "source_kind"]
    search_fields = ["source_ref"]


@admin.register(LedgerSource)
class LedgerSourceAdmin(admin.ModelAdmin):
    """The saved column mapping of a department's ledger may be corrected here."""

    list_display = ["name", "department", "record_type", "updated_at"]
    search_fields = ["name", "department"]


class ImportRejectionInline(admin.TabularInline):
    model = ImportRejection
    extra = 0
    can_delete = False
    readonly_fields = ["row", "column", "value", "code", "reason"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["file_name", "source", "status", "total", "created", "updated", "unchanged", "rejected"]
    list_filter = ["status", "source"]
    inlines = [ImportRejectionInline]
