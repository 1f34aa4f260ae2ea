"""Every write to the community base goes through these functions.

Each one validates first, then writes in one transaction, and keeps one ``Change`` row per changed field with who,
when and the source (import batch, collection task, API client, manual edit). A refused write changes nothing.
Moving out, leaving an employment and untagging set an end date: history is never deleted. The bulk writes of
imports and the demo, with the same Change rows, are ``bulk_writes.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition
from shequ.geo.models import Dwelling

from . import queries
from .dictionary import CodeItem, Field, FieldType
from .models import (
    Change,
    Employment,
    Household,
    Organization,
    OrganizationTag,
    Person,
    PersonTag,
    Residence,
    SourceKind,
    Tag,
)
from .validators import (
    birth_and_gender_from_id,
    check_consistent_with_id,
    check_credit_code,
    check_id_number,
    check_phone,
)


@dataclass(frozen=True)
class Source:
    """Where a write comes from: its kind and a reference (batch id, task id, API client name, ...)."""

    kind: SourceKind
    ref: str = ""


MANUAL = Source(SourceKind.MANUAL)


# --- values and the history -----------------------------------------------------------------


def dump(value: Any) -> str | None:
    """A field value as Change text: empty -> NULL, dates in ISO form, model instances by id."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def field_value(record: models.Model, name: str) -> Any:
    field = record._meta.get_field(name)
    return getattr(record, field.attname)  # type: ignore[union-attr]  # tracked names are concrete fields


def _record_changes(
    record: models.Model, record_type: str, before: dict[str, Any], *, by: User | None, source: Source
) -> list[Change]:
    at = clock.now()
    changes = [
        Change(
            record_type=record_type,
            record_id=record.pk,
            field=name,
            old_value=dump(old),
            new_value=dump(field_value(record, name)),
            source_kind=source.kind,
            source_ref=source.ref,
            actor=by,
            at=at,
        )
        for name, old in before.items()
        if dump(old) != dump(field_value(record, name))
    ]
    Change.objects.bulk_create(changes)
    if changes:
        audit.record(
            "write",
            actor=by,
            target=record,
            fields=[c.field for c in changes],
            detail={"source": str(source.kind), "ref": source.ref},
        )
    return changes


def _unknown_fields(model: type[Person] | type[Organization], fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(model.TRACKED))
    if unknown:
        # A programming error, not a user's: callers pass dictionary fields only.
        raise TypeError(f"not a field of {model.__name__}: {', '.join(unknown)}")


def _check_codes(record_type: str, values: dict[str, Any]) -> None:
    """Coded values must be active items of the code table the dictionary gives for that field."""
    coded = Field.objects.filter(type=FieldType.CODE, name__in=[f"{record_type}.{n}" for n in values])
    for field in coded.select_related("code_table"):
        value = values[field.attribute]
        if value and not CodeItem.objects.filter(table=field.code_table, code=value, active=True).exists():
            raise InvalidInput(
                _("%(value)s is not a valid %(field)s code.") % {"value": value, "field": field.label},
                code="invalid_code",
                field=field.attribute,
            )


def _clean_text(values: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name in values and isinstance(values[name], str):
            values[name] = values[name].strip()


# --- people ---------------------------------------------------------------------------------


def _validated_person(values: dict[str, Any], *, pk: int | None) -> dict[str, Any]:
    """Check the merged values of a person; fill birth date and gender from the ID number when empty."""
    _clean_text(values, Person.TRACKED)
    if not values.get("name"):
        raise InvalidInput(_("A person needs a name."), code="name_required", field="name")
    if values.get("phone"):
        values["phone"] = check_phone(values["phone"])
    if values.get("id_number"):
        number = check_id_number(values["id_number"])
        values["id_number"] = number
        check_consistent_with_id(number, birth_date=values.get("birth_date"), gender=values.get("gender") or "")
        born, sex = birth_and_gender_from_id(number)
        values["birth_date"] = values.get("birth_date") or born
        values["gender"] = values.get("gender") or sex
        if queries.people_with_id_number(number).exclude(pk=pk or 0).exists():
            raise InvalidInput(
                _("Another person already has this ID number."), code="id_number_taken", field="id_number"
            )
    else:
        values["id_number"] = None
    if values.get("birth_date") and values["birth_date"] > clock.now().date():
        raise InvalidInput(_("The birth date is in the future."), code="birth_date_future", field="birth_date")
    _check_codes("person", values)
    return values


def _create(model: Any, record_type: str, validate: Any, *, by: User | None, source: Source, fields: dict) -> Any:
    """Validate the tracked fields, create the record, and log every value as one Change row from nothing."""
    _unknown_fields(model, fields)
    values = {name: fields.get(name, model._meta.get_field(name).get_default()) for name in model.TRACKED}
    values = validate(values, pk=None)
    now = clock.now()
    record = model(**values, created_at=now, updated_at=now)
    if isinstance(record, Person):
        record.fill_search_keys()
    record.save(force_insert=True)
    _record_changes(record, record_type, dict.fromkeys(model.TRACKED), by=by, source=source)
    return record


def _update(record: Any, record_type: str, validate: Any, *, by: User | None, source: Source, fields: dict) -> list:
    """Change the given fields on the locked row; only values that really change are written and logged."""
    model = type(record)
    _unknown_fields(model, fields)
    locked = model.objects.select_for_update().get(pk=record.pk)
    current = {name: getattr(locked, name) for name in model.TRACKED}
    before = {name: field_value(locked, name) for name in model.TRACKED}  # ids, not objects, for foreign keys
    values = validate({**current, **fields}, pk=locked.pk)
    for name, value in values.items():
        setattr(locked, name, value)
    changes = _record_changes(locked, record_type, before, by=by, source=source)
    if changes:
        locked.updated_at = clock.now()
        if isinstance(locked, Person):
            locked.fill_search_keys()
        locked.save()
    record.refresh_from_db()
    return changes


@transaction.atomic
def create_person(*, by: User | None, source: Source, **fields: Any) -> Person:
    """Create a person from dictionary fields; every non-empty value is one Change row from nothing."""
    return _create(Person, "person", _validated_person, by=by, source=source, fields=fields)


@transaction.atomic
def update_person(person: Person, *, by: User | None, source: Source, **fields: Any) -> list[Change]:
    """Change the given fields; only values that really change are written and logged. Returns the Change rows."""
    return _update(person, "person", _validated_person, by=by, source=source, fields=fields)


# --- organisations --------------------------------------------------------------------------


def _validated_organization(values: dict[str, Any], *, pk: int | None) -> dict[str, Any]:
    _clean_text(values, Organization.TRACKED)
    if not values.get("name"):
        raise InvalidInput(_("An organization needs a name."), code="name_required", field="name")
    if values.get("contact_phone"):
        values["contact_phone"] = check_phone(values["contact_phone"], field="contact_phone")
    if values.get("credit_code"):
        values["credit_code"] = check_credit_code(values["credit_code"])
        if Organization.objects.filter(credit_code=values["credit_code"]).exclude(pk=pk or 0).exists():
            raise InvalidInput(
                _("Another organization already has this credit code."),
                code="credit_code_taken",
                field="credit_code",
            )
    else:
        values["credit_code"] = None
    _check_codes("organization", values)
    return values


@transaction.atomic
def create_organization(*, by: User | None, source: Source, **fields: Any) -> Organization:
    return _create(Organization, "organization", _validated_organization, by=by, source=source, fields=fields)


@transaction.atomic
def update_organization(org: Organization, *, by: User | None, source: Source, **fields: Any) -> list[Change]:
    return _update(org, "organization", _validated_organization, by=by, source=source, fields=fields)


# --- where people live ----------------------------------------------------------------------


def _check_role(role: str) -> None:
    _check_codes("residence", {"role": role})
    if not role:
        raise InvalidInput(_("A residence needs a role."), code="role_required", field="role")


@transaction.atomic
def move_in(
    person: Person,
    dwelling: Dwelling,
    *,
    role: str,
    since: date,
    by: User | None,
    source: Source,
    household: Household | None = None,
) -> Residence:
    """Open a residence. A person has at most one open residence per dwelling."""
    _check_role(role)
    if household is not None and household.dwelling_id != dwelling.pk:
        raise InvalidInput(_("The household lives in another dwelling."), code="household_elsewhere")
    Person.objects.select_for_update().get(pk=person.pk)
    if Residence.objects.filter(person=person, dwelling=dwelling, end__isnull=True).exists():
        raise InvalidTransition(_("This person already lives in this dwelling."), code="already_resident")
    residence = Residence.objects.create(person=person, dwelling=dwelling, household=household, role=role, start=since)
    before = dict.fromkeys(["person", "dwelling", "household", "role", "start"])
    _record_changes(residence, "residence", before, by=by, source=source)
    return residence


@transaction.atomic
def move_out(residence: Residence, *, until: date | None = None, by: User | None, source: Source) -> Residence:
    """Close a residence on ``until`` (today by default). The row stays: it is the dwelling's history."""
    locked = Residence.objects.select_for_update().get(pk=residence.pk)
    if locked.end is not None:
        raise InvalidTransition(_("This person has already moved out."), code="already_moved_out")
    end = until or clock.now().date()
    if end < locked.start:
        raise InvalidInput(_("Moving out cannot come before moving in."), code="end_before_start", field="end")
    locked.end = end
    locked.save(update_fields=["end"])
    _record_changes(locked, "residence", {"end": None}, by=by, source=source)
    residence.refresh_from_db()
    return locked


@transaction.atomic
def create_household(
    dwelling: Dwelling, *, number: str = "", head: Person | None = None, by: User | None, source: Source
) -> Household:
    household = Household.objects.create(dwelling=dwelling, number=number.strip(), head=head, created_at=clock.now())
    _record_changes(household, "household", {"number": None, "head": None}, by=by, source=source)
    return household


# --- where people work ----------------------------------------------------------------------


@transaction.atomic
def employ(
    person: Person, organization: Organization, *, since: date, position: str = "", by: User | None, source: Source
) -> Employment:
    """Open an employment: the person works at the organisation from ``since``. One open employment per pair."""
    Person.objects.select_for_update().get(pk=person.pk)
    if Employment.objects.filter(person=person, organization=organization, end__isnull=True).exists():
        raise InvalidTransition(_("This person already works at this organization."), code="already_employed")
    employment = Employment.objects.create(
        person=person, organization=organization, position=position.strip()[:50], start=since
    )
    before = dict.fromkeys(["person", "organization", "position", "start"])
    _record_changes(employment, "employment", before, by=by, source=source)
    return employment


@transaction.atomic
def leave_employment(
    employment: Employment, *, until: date | None = None, by: User | None, source: Source
) -> Employment:
    """Close an employment on ``until`` (today by default). The row stays: it is the organisation's history."""
    locked = Employment.objects.select_for_update().get(pk=employment.pk)
    if locked.end is not None:
        raise InvalidTransition(_("This employment has already ended."), code="already_left")
    end = until or clock.now().date()
    if end < locked.start:
        raise InvalidInput(_("Leaving cannot come before starting."), code="end_before_start", field="end")
    locked.end = end
    locked.save(update_fields=["end"])
    _record_changes(locked, "employment", {"end": None}, by=by, source=source)
    employment.end = end  # the caller's instance says what happened too, as move_out's does
    return locked


# --- tags -----------------------------------------------------------------------------------


def _tag_for(code: str, target: str) -> Tag:
    tag = Tag.objects.filter(code=code, active=True).first()
    if tag is None:
        raise InvalidInput(_("There is no tag %(code)s.") % {"code": code}, code="unknown_tag", field="tags")
    if tag.applies_to != target:
        raise InvalidInput(
            _("The tag %(tag)s does not apply to this kind of record.") % {"tag": tag.name},
            code="tag_not_applicable",
            field="tags",
        )
    return tag


@transaction.atomic
def tag(
    record: Person | Organization, code: str, *, since: date | None = None, by: User | None, source: Source
) -> PersonTag | OrganizationTag:
    """Give a person or organisation a tag from the catalog; a tag already held stays as it is (refused)."""
    model: type[PersonTag] | type[OrganizationTag]
    owner: dict[str, Person | Organization]
    if isinstance(record, Person):
        model, target, owner, record_type = PersonTag, "person", {"person": record}, "person_tag"
    else:
        model, target, owner, record_type = (
            OrganizationTag,
            "organization",
            {"organization": record},
            "organization_tag",
        )
    found = _tag_for(code, target)
    if model.objects.filter(**owner, tag=found, until__isnull=True).exists():
        raise InvalidTransition(_("The record already has this tag."), code="already_tagged")
    tagging = model.objects.create(
        **owner, tag=found, since=since or clock.now().date(), source_kind=source.kind, source_ref=source.ref
    )
    _record_changes(tagging, record_type, {target: None, "tag": None, "since": None}, by=by, source=source)
    return tagging


@transaction.atomic
def untag(
    record: Person | Organization, code: str, *, until: date | None = None, by: User | None, source: Source
) -> PersonTag | OrganizationTag:
    """End a tag on ``until`` (today by default); the row stays as history."""
    model: type[PersonTag] | type[OrganizationTag]
    owner: dict[str, Person | Organization]
    if isinstance(record, Person):
        model, owner, record_type = PersonTag, {"person": record}, "person_tag"
    else:
        model, owner, record_type = OrganizationTag, {"organization": record}, "organization_tag"
    tagging = model.objects.select_for_update().filter(**owner, tag__code=code, until__isnull=True).first()
    if tagging is None:
        raise InvalidTransition(_("The record does not have this tag."), code="not_tagged")
    end = until or clock.now().date()
    if end < tagging.since:
        raise InvalidInput(_("A tag cannot end before it starts."), code="end_before_start", field="until")
    tagging.until = end
    tagging.save(update_fields=["until"])
    _record_changes(tagging, record_type, {"until": None}, by=by, source=source)
    return tagging
