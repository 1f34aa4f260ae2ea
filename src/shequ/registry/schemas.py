"""Typed shapes of the community base's API. Field descriptions come from the data dictionary (the labels,
sensitivity and notes in ``seed.FIELDS``, the same definitions the Field rows are seeded from), so the OpenAPI
spec says what each shared field is, as the pages and forms do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator

from .seed import FIELDS

# The largest id a client may send: beyond it SQLite cannot even compare (an overflow, not a miss).
MAX_ID = 2**53


def _printable(value: str) -> str:
    # NUL cannot be stored in PostgreSQL text and lone surrogates cannot be encoded: refuse them as bad input.
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("contains a character that cannot be stored")
    return value


def Text(max_length: int) -> Any:  # reads as a type in the schemas below
    return Annotated[str, Field(max_length=max_length), AfterValidator(_printable)]


def described(name: str, **kwargs: Any) -> Any:
    """A ninja Field whose description is the dictionary's: label, sensitivity level, owner and notes."""
    label, _type, _table, level, owner, required, _visible, note = FIELDS[name]
    text = f"{label}（{level}，{owner}）" + (f"：{note}" if note else "") + ("。必填。" if required else "")
    return Field(description=text, **kwargs)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- references ------------------------------------------------------------------------------------


class GridRef(Schema):
    code: str
    name: str


class BuildingRef(Schema):
    id: int
    name: str
    address: str
    grid: GridRef


class DwellingRef(Schema):
    id: int | None = Field(description="Null when the dwelling is masked to its building.")
    address: str = Field(description="Building address, entrance and room, as one line (to the building if masked).")
    floor: int | None
    room: str


class PersonRef(Schema):
    id: int
    name: str = described("person.name")


class HouseholdRef(Schema):
    id: int
    number: str = described("household.number")


class ResidenceOut(Schema):
    person: PersonRef
    dwelling: DwellingRef
    household: HouseholdRef | None
    role: str = described("residence.role")
    start: date = described("residence.start")
    end: date | None = described("residence.end")


class OrganizationRef(Schema):
    id: int | None = Field(
        description="Null when the organisation is outside your area or above your clearance: its name is then "
        "masked (***)."
    )
    name: str


class EmploymentOut(Schema):
    id: int
    person: PersonRef
    organization: OrganizationRef = described("employment.organization")
    position: str = described("employment.position")
    start: date | str = described("employment.start")
    end: date | str | None = described("employment.end")


class TagOut(Schema):
    code: str
    name: str
    sensitivity: str
    since: date
    until: date | None


# --- people ------------------------------------------------------------------------------------------


MASKING = (
    "Values above your clearance are masked (110105********1234, 138****5678, 张*明, an address to the building, "
    "*** for others) and named in `masked`; fields hidden from you (property companies) are null and named in "
    "`hidden`. A masked value is shown in clear only by POST .../reveal with a purpose."
)


class PersonRow(Schema):
    id: int
    id_number: str | None = described("person.id_number")
    name: str | None = described("person.name")
    gender: str | None = described("person.gender")
    birth_date: date | str | None = described("person.birth_date")
    phone: str | None = described("person.phone")
    ethnicity: str | None = described("person.ethnicity")
    residency: str | None = described("person.residency")
    hukou_address: str | None = described("person.hukou_address")
    note: str | None = described("person.note")
    updated_at: datetime
    masked: list[str] = Field(description=MASKING)
    hidden: list[str] = Field(description="Fields that do not exist for you (null above).")


class PersonDetail(PersonRow):
    tags: list[TagOut] = described("person.tags")
    residences: list[ResidenceOut] = Field(description="Current residences.")
    past_residences: list[ResidenceOut] = Field(description="Residences that have ended, newest first.")
    workplaces: list[EmploymentOut] = Field(
        description="Where the person works: employments not ended (one starting later included), newest first. "
        "Empty for property companies (the dictionary hides employment from them)."
    )
    past_workplaces: list[EmploymentOut] = Field(description="Employments that have ended, newest first.")


class PersonPage(Schema):
    count: int = Field(description="Matches, counted up to 1000.")
    more: bool = Field(description="True when there are more than 1000: narrow the search.")
    page: int
    page_size: int
    kind: str = Field(description="How the query was read: id_number, id_tail, phone, initials, name, address ...")
    items: list[PersonRow]


class ListQuery(Schema):
    q: Text(60) = Field(  # type: ignore[valid-type]
        "",
        description="Name (start), pinyin initials, 11-digit phone, ID number or its last 4 or 6 characters, address.",
    )
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)
    tag: Text(40) = Field(  # type: ignore[valid-type]
        "", description="Only people holding this tag (code) today; refused for a tag above your clear level."
    )


class PersonFields(Schema):
    """The tracked person fields, all optional (for a patch: only the fields given are changed)."""

    id_number: Text(30) | None = described("person.id_number", default=None)  # type: ignore[valid-type]
    gender: Text(2) | None = described("person.gender", default=None)  # type: ignore[valid-type]
    birth_date: date | None = described("person.birth_date", default=None)
    phone: Text(30) | None = described("person.phone", default=None)  # type: ignore[valid-type]
    ethnicity: Text(2) | None = described("person.ethnicity", default=None)  # type: ignore[valid-type]
    residency: Text(20) | None = described("person.residency", default=None)  # type: ignore[valid-type]
    hukou_address: Text(200) | None = described("person.hukou_address", default=None)  # type: ignore[valid-type]
    note: Text(2000) | None = described("person.note", default=None)  # type: ignore[valid-type]


class PersonPatch(PersonFields):
    name: Text(50) | None = described("person.name", default=None)  # type: ignore[valid-type]


class ResidenceIn(Schema):
    dwelling: Id = described("residence.dwelling")
    role: Text(20) = described("residence.role")  # type: ignore[valid-type]
    since: date | None = described("residence.start", default=None)
    household: Id | None = Field(None, description="A household of that dwelling the person joins.")


class EmploymentIn(Schema):
    organization: Id = described("employment.organization")
    position: Text(50) = described("employment.position", default="")  # type: ignore[valid-type]
    since: date | None = described("employment.start", default=None)


class EmploymentEndIn(Schema):
    until: date | None = described("employment.end", default=None)


class PersonIn(PersonFields):
    name: Text(50) = described("person.name")  # type: ignore[valid-type]
    residence: ResidenceIn | None = Field(
        None,
        description="Where the person lives. Required unless you see the whole district: a record outside "
        "your area would be invisible to you.",
    )
    workplace: EmploymentIn | None = Field(
        None,
        description="Where the person works (an organisation of your area), from `since` (default today). "
        "Opened in the same transaction as the person.",
    )


class RevealIn(Schema):
    fields: list[Text(20)] = Field(  # type: ignore[valid-type]
        ..., min_length=1, max_length=12, description="Person field names to show in clear, or `tags`."
    )
    purpose: Text(300) = Field(..., min_length=1, description="Why: recorded in the audit trail.")  # type: ignore[valid-type]


class RevealOut(Schema):
    id: int
    values: dict[str, date | str | None] = Field(description="The asked fields in clear (tags under `tags`).")
    tags: list[TagOut] | None = Field(description="With `tags` asked: the tags held above your clear level.")


# --- places ----------------------------------------------------------------------------------------


class HouseholdOut(Schema):
    id: int
    number: str = described("household.number")
    head: PersonRef | None = described("household.head")
    dwelling: DwellingRef
    members: list[ResidenceOut] = Field(description="Current members.")


class OrganizationRow(Schema):
    id: int
    credit_code: str | None = described("organization.credit_code")
    name: str | None = described("organization.name")
    type: str | None = described("organization.type")
    premises: DwellingRef | None = described("organization.premises")
    address: str | None = described("organization.address")
    contact_name: str | None = described("organization.contact_name")
    contact_phone: str | None = described("organization.contact_phone")
    legal_representative: str | None = described("organization.legal_representative")
    note: str | None = described("organization.note")
    updated_at: datetime
    masked: list[str] = Field(description=MASKING)
    hidden: list[str] = Field(description="Fields that do not exist for you (null above).")


class OrganizationDetail(OrganizationRow):
    tags: list[TagOut] = described("organization.tags")


class OrganizationPage(Schema):
    count: int = Field(description="Matches, counted up to 1000.")
    more: bool = Field(description="True when there are more than 1000: narrow the search.")
    page: int
    page_size: int
    items: list[OrganizationRow]


class DwellingOut(Schema):
    id: int
    address: str
    building: BuildingRef
    entrance: str
    floor: int
    room: str
    use: str
    residents: list[ResidenceOut] = Field(description="Living here now.")
    past_residents: list[ResidenceOut] = Field(description="Who lived here before, newest first.")
    households: list[HouseholdRef]
    organizations: list[OrganizationRow] = Field(description="Organisations at these premises.")


class RoomOut(Schema):
    id: int
    entrance: str
    room: str
    use: str
    households: list[HouseholdRef]
    occupants: list[PersonRef]


class FloorOut(Schema):
    floor: int
    dwellings: list[RoomOut]


class BuildingOut(BuildingRef):
    lon: float
    lat: float
    floors: list[FloorOut] = Field(description="Floor by floor, top floor first.")


class GridOverview(Schema):
    code: str
    name: str
    people: int
    households: int
    dwellings: int
    organizations: int
    residency: dict[str, int] = Field(description="People by residency code (registered, floating, foreign).")
    tags: dict[str, int] = Field(description="People by tag code (tags held today).")
