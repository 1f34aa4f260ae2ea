"""What a user sees of a record: the data dictionary's sensitivity levels against the acting grant's clearance.

A field at or below the clearance's ``clear`` level shows in clear; above it, masked (``access.masking``); for a
property company a field the dictionary does not mark ``visible_to_property`` is hidden (empty, as if it did not
exist). Tags carry their own level: a tag above ``clear`` is not shown at all (not even that there is one).

The access point (``registry.queries``) hands out masked instances: every Person and Organization read through
``*_for(user)`` is masked as it is loaded (``masked(queryset, user)``), and the related people that pages reach
through households, residences and employments are masked by ``Viewer.person`` (``Viewer.employments``,
``masked_employments``). A masked instance remembers which fields it
masks (``masked_fields``, ``hidden_fields``) and refuses ``save()`` and ``delete()``, so a masked value can never be
written back. Clear values of masked fields come only from ``reveal`` (audited, with a purpose).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, overload

from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable
from django.utils.translation import gettext as _

from shequ.access import masking
from shequ.access.models import User
from shequ.access.scopes import Clearance, clearance, level_number
from shequ.core.errors import DomainError

from .dictionary import Field, FieldType
from .models import Employment, Household, Organization, Person, Tag

RECORD_TYPES: dict[type[Model], str] = {Person: "person", Organization: "organization"}
# Fields whose value is a person's or contact's name (masked as 张*明) and addresses (masked to the building).
NAME_FIELDS = {"person.name", "organization.contact_name", "organization.legal_representative", "household.head"}
ADDRESS_FIELDS = {"person.hukou_address", "organization.address", "residence.dwelling"}


class MaskedRecord(DomainError):
    status = 409
    code = "masked_record"


@dataclass(frozen=True)
class Rule:
    level: int
    type: str
    visible_to_property: bool


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise MaskedRecord(_("This record was read with masked values and cannot be saved."), code="masked_record")


class Viewer:
    """One user's view of the dictionary: which fields are clear, masked or hidden, and which may be revealed."""

    def __init__(self, user: User, rules: dict[str, Rule] | None = None) -> None:
        self.user = user
        self.clearance: Clearance = clearance(user)
        self.rules = rules if rules is not None else dictionary_rules()

    # --- fields ---------------------------------------------------------------------------------

    def level(self, name: str) -> int:
        rule = self.rules.get(name)
        return rule.level if rule is not None else 0

    def hidden(self, name: str) -> bool:
        """A property company sees only the fields the dictionary marks visible to property companies."""
        if not self.clearance.property_only:
            return False
        rule = self.rules.get(name)
        return rule is not None and not rule.visible_to_property

    def clear(self, name: str) -> bool:
        return not self.hidden(name) and self.level(name) <= self.clearance.clear

    def may_reveal(self, name: str) -> bool:
        return not self.hidden(name) and self.level(name) <= self.clearance.reveal

    def masked_text(self, name: str, value: Any) -> str:
        """``value`` as this field's mask (the value must not be empty)."""
        rule = self.rules.get(name)
        if rule is not None and rule.type == FieldType.ID_NUMBER:
            return masking.mask_id_number(str(value))
        if rule is not None and rule.type == FieldType.PHONE:
            return masking.mask_phone(str(value))
        if name in NAME_FIELDS:
            return masking.mask_name(str(value))
        if name in ADDRESS_FIELDS:
            return masking.mask_address(str(value))
        if isinstance(value, date) or (rule is not None and rule.type == FieldType.DATE):
            return masking.MASKED_DATE
        return masking.mask_text(value)

    def shown(self, name: str, value: Any) -> Any:
        """What the user sees of ``value`` of dictionary field ``name``: itself, its mask, or nothing."""
        if value is None or value == "" or self.clear(name):
            return value
        if self.hidden(name):
            return None
        return self.masked_text(name, value)

    def visible_fields(self, record_type: str, names: Iterable[str]) -> list[str]:
        """The attribute names that exist for this user (hidden ones left out)."""
        return [n for n in names if not self.hidden(f"{record_type}.{n}")]

    def clear_fields(self, record_type: str, names: Iterable[str]) -> list[str]:
        return [n for n in names if self.clear(f"{record_type}.{n}")]

    # --- tags -----------------------------------------------------------------------------------

    def tags_hidden(self, record_type: str) -> bool:
        return self.hidden(f"{record_type}.tags")

    def tag_clear(self, tag: Tag, record_type: str = "person") -> bool:
        return not self.tags_hidden(record_type) and level_number(tag.sensitivity) <= self.clearance.clear

    def tag_revealable(self, tag: Tag, record_type: str = "person") -> bool:
        return not self.tags_hidden(record_type) and level_number(tag.sensitivity) <= self.clearance.reveal

    def may_reveal_tags(self, record_type: str = "person") -> bool:
        """Whether there can be tags above ``clear`` this user may reveal (offered whether or not any are held)."""
        return not self.tags_hidden(record_type) and self.clearance.reveal > self.clearance.clear

    def clear_tag_rows(self, rows: Iterable[Any], record_type: str = "person") -> list[Any]:
        """Tag rows (PersonTag, OrganizationTag) the user sees in clear; the rest are left out entirely."""
        return [row for row in rows if self.tag_clear(row.tag, record_type)]

    # --- records --------------------------------------------------------------------------------

    def mask(self, record: Any) -> Any:
        """Mask a Person or Organization in place (once) and make it refuse to be saved."""
        if record is None or getattr(record, "masked_fields", None) is not None:
            return record
        record_type = RECORD_TYPES[type(record)]
        masked: set[str] = set()
        hidden: set[str] = set()
        for attribute in type(record).TRACKED:
            name = f"{record_type}.{attribute}"
            if self.clear(name):
                continue
            field = type(record)._meta.get_field(attribute)
            if field.is_relation:  # organization.premises: a dwelling reference
                if getattr(record, field.attname) is not None:
                    (hidden if self.hidden(name) else masked).add(attribute)
                setattr(record, field.attname, None)
                record._state.fields_cache.pop(attribute, None)
                continue
            value = getattr(record, attribute)
            if self.hidden(name):
                hidden.add(attribute)
                setattr(record, attribute, None if field.null else "")
            elif value not in (None, ""):
                masked.add(attribute)
                setattr(record, attribute, self.masked_text(name, value))
        if isinstance(record, Person):  # the search keys say as much as the fields they come from
            if "name" in masked or "name" in hidden:
                record.name_initials = ""
            if not self.clear("person.id_number"):
                record.id_tail = "" if self.hidden("person.id_number") else record.id_tail
        record.masked_fields = frozenset(masked)
        record.hidden_fields = frozenset(hidden)
        record.save = _refuse
        record.delete = _refuse
        return record

    def person(self, person: Person | None) -> Person | None:
        return self.mask(person)

    def people(self, people: Iterable[Person]) -> list[Person]:
        return [self.mask(p) for p in people]

    def residences(self, rows: Iterable[Any]) -> list[Any]:
        """Residences with their person masked and, when the dwelling is above ``clear``, the room left out
        (``dwelling_masked``: show the building only)."""
        rows = list(rows)
        room_hidden = not self.clear("residence.dwelling")
        for row in rows:
            if "person" in row._state.fields_cache:
                self.mask(row.person)
            if row.household_id:  # loaded here if need be: its number is shown beside the person
                self.household(row.household)
            row.dwelling_masked = room_hidden
        return rows

    def employments(self, rows: Iterable[Employment], in_scope: Iterable[int]) -> list[Employment]:
        """Employments as this user sees them, masked in place (they refuse ``save()``): the person masked; the
        organisation shown (``organization_name``, ``organization_masked`` false) only if it is in ``in_scope`` (the
        ids of the user's organisations) and ``employment.organization`` is clear, else masked, without an id or a
        link, like a dwelling above ``residence.dwelling``; position and dates as their fields' levels say
        (``shown_position``, ``shown_start``, ``shown_end``)."""
        rows = list(rows)
        scope = set(in_scope)
        org_clear = self.clear("employment.organization")
        for row in rows:
            if getattr(row, "organization_masked", None) is not None:
                continue
            if "person" in row._state.fields_cache:
                self.mask(row.person)
            if "organization" in row._state.fields_cache:
                self.mask(row.organization)  # the instance the page may read further is masked too
            row.organization_in_scope = row.organization_id in scope
            shown = org_clear and row.organization_in_scope
            row.organization_masked = not shown
            row.organization_name = row.organization.name if shown else masking.MASKED
            row.shown_position = self.shown("employment.position", row.position) or ""
            row.shown_start = self.shown("employment.start", row.start)
            row.shown_end = self.shown("employment.end", row.end)
            row.save = _refuse  # type: ignore[method-assign]
            row.delete = _refuse  # type: ignore[method-assign]
        return rows

    @overload
    def household(self, household: Household) -> Household: ...
    @overload
    def household(self, household: None) -> None: ...
    def household(self, household: Household | None) -> Household | None:
        """A household's number and head as their dictionary fields say."""
        if household is None or getattr(household, "masked_fields", None) is not None:
            return household
        masked: set[str] = set()
        if household.number and not self.clear("household.number"):
            household.number = "" if self.hidden("household.number") else self.masked_text("household.number", "x")
            masked.add("number")
        if household.head_id is not None:
            if self.hidden("household.head"):
                household.head_id = None
                household._state.fields_cache.pop("head", None)
            else:
                head = household.head
                if head is not None and not self.clear("household.head"):
                    # the head's name as the head field's level says, on top of the person's own masking
                    self.mask(head)
                    if head.name and "name" not in head.masked_fields:
                        head.name = masking.mask_name(head.name)
                    masked.add("head")
                else:
                    self.mask(head)
        household.masked_fields = frozenset(masked)
        household.save = _refuse
        household.delete = _refuse
        return household


def dictionary_rules() -> dict[str, Rule]:
    """Every dictionary field's level, type and property visibility, by name (one query)."""
    return {
        name: Rule(level_number(level), type_, visible)
        for name, level, type_, visible in Field.objects.values_list(
            "name", "sensitivity", "type", "visible_to_property"
        )
    }


def viewer_for(user: User) -> Viewer:
    """The user's Viewer, kept on the user object for the request (rebuilt if the acting grant changed)."""
    cached = getattr(user, "_shequ_viewer", None)
    if cached is not None and cached.clearance == clearance(user) and cached.user is user:
        return cached
    viewer = Viewer(user)
    try:
        user._shequ_viewer = viewer  # type: ignore[attr-defined]
    except AttributeError:  # AnonymousUser and the like
        pass
    return viewer


class _MaskingIterable(ModelIterable):
    viewer: Viewer

    def __iter__(self) -> Iterator[Any]:
        for record in super().__iter__():
            yield self.viewer.mask(record)


def masked(queryset: QuerySet, user: User) -> QuerySet:
    """The queryset, yielding masked instances (filter, order_by, slicing and iterator() keep the masking: the
    iterable class is carried over by every clone). ``values()`` and ``values_list()`` are not masked: code that
    reads raw columns from the access point must not hand them to a user."""
    viewer = viewer_for(user)
    queryset = queryset._chain()
    queryset._iterable_class = type("MaskingIterable", (_MaskingIterable,), {"viewer": viewer})
    return queryset


class _EmploymentIterable(ModelIterable):
    viewer: Viewer
    in_scope: frozenset[int]

    def __iter__(self) -> Iterator[Any]:
        for row in super().__iter__():
            yield self.viewer.employments([row], self.in_scope)[0]


def masked_employments(queryset: QuerySet[Employment], user: User, in_scope: Iterable[int]) -> QuerySet[Employment]:
    """Employments yielding ``Viewer.employments`` rows however they are read (a paginator's slices included);
    ``in_scope``: the ids of the user's organisations among them. ``values()`` is not masked, as with ``masked``."""
    viewer = viewer_for(user)
    queryset = queryset._chain()  # type: ignore[attr-defined]
    attributes = {"viewer": viewer, "in_scope": frozenset(in_scope)}
    queryset._iterable_class = type("EmploymentIterable", (_EmploymentIterable,), attributes)
    return queryset


def reveal(viewer: Viewer, record: Any, names: Iterable[str]) -> dict[str, Any]:
    """Clear values of the asked fields of an unmasked record, only those the viewer may reveal. The caller
    records the audit entry."""
    record_type = RECORD_TYPES[type(record)]
    values: dict[str, Any] = {}
    for attribute in names:
        name = f"{record_type}.{attribute}"
        if attribute in type(record).TRACKED and viewer.may_reveal(name):
            field = type(record)._meta.get_field(attribute)
            value = getattr(record, field.attname if field.is_relation else attribute)
            values[attribute] = value
    return values


# --- reveal: clear values on an explicit request with a purpose (audited) -------------------------------------

# The usual reasons, offered first; "other" asks for the reason in words.
PURPOSES = ("visit", "service", "verify", "emergency", "other")


def purpose_labels() -> dict[str, str]:
    return {
        "visit": _("Home visit"),
        "service": _("Handling a service request"),
        "verify": _("Checking the record"),
        "emergency": _("Emergency response"),
        "other": _("Other (say why)"),
    }


def purpose_text(choice: str, text: str = "") -> str:
    """The purpose as recorded: the chosen reason and the words given ("other" needs the words)."""
    from shequ.core.errors import InvalidInput

    text = " ".join((text or "").split())[:200]
    labels = purpose_labels()
    if choice not in labels and not text:
        raise InvalidInput(_("Say why you need to see these values."), code="purpose_required", field="purpose")
    if choice == "other" and not text:
        raise InvalidInput(
            _("Say in words why you need to see these values."), code="purpose_required", field="purpose"
        )
    if choice in labels and choice != "other":
        return f"{labels[choice]}：{text}" if text else str(labels[choice])
    return text


TAGS = "tags"


def reveal_person(user: User, pk: Any, fields: Iterable[str], purpose: str) -> dict[str, Any]:
    """The clear values of the asked fields of one person (``"tags"``: the tags held above the clear level), for
    the user's acting grant up to its reveal level; an audit entry names who, the fields and the purpose.

    A field beyond the reveal level refuses the whole request (403); nothing is shown and nothing recorded."""
    from shequ import audit
    from shequ.core.errors import InvalidInput, PermissionDenied

    from . import queries
    from .models import PersonTag

    purpose = " ".join((purpose or "").split())[:300]
    if not purpose:
        raise InvalidInput(_("Say why you need to see these values."), code="purpose_required", field="purpose")
    names = list(dict.fromkeys(f for f in fields if f))
    unknown = [f for f in names if f not in Person.TRACKED and f != TAGS]
    if not names or unknown:
        raise InvalidInput(_("Choose the fields to show."), code="reveal_fields", field="fields")
    person = queries.get_person_unmasked_for(user, pk)  # outside the scope: not found, before any refusal
    viewer = viewer_for(user)
    refused = [f for f in names if not (viewer.may_reveal_tags() if f == TAGS else viewer.may_reveal(f"person.{f}"))]
    if refused:
        raise PermissionDenied(
            _("Your grant does not allow showing these values."), code="reveal_forbidden", field=refused[0]
        )
    values = reveal(viewer, person, [f for f in names if f != TAGS])
    tags: list[Any] = []
    if TAGS in names:
        rows = PersonTag.objects.filter(queries.open_tags(), person=person).select_related("tag").order_by("since")
        tags = [row for row in rows if not viewer.tag_clear(row.tag) and viewer.tag_revealable(row.tag)]
    audit.record("reveal", actor=user, target=person, fields=[f"person.{f}" for f in names], purpose=purpose)
    return {"values": values, "tags": tags}
