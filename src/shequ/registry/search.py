"""Fast search of people and organisations: one box that understands what was typed.

``classify`` says what a query is (a whole ID number, its last 4 or 6 characters, a mobile number, pinyin
initials, the start of a name, an address); each kind becomes ONE indexed equality or range predicate, and the
user's area is a correlated EXISTS on current residences (``queries.lives_in``), so the database walks the small
index range and checks the area per candidate. Nothing here is a ``LIKE '%x%'`` or a list of everyone in the area:
it stays fast over millions of people on SQLite and PostgreSQL (see docs/registry.md for the query plans).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from django.db.models import BooleanField, Case, QuerySet, Value, When

from shequ import audit
from shequ.access.models import User
from shequ.access.scopes import area_prefix
from shequ.audit.actions import Target
from shequ.core.errors import PermissionDenied

from . import queries, visibility
from .models import Organization, Person
from .validators import normalize_id_number


class Kind(enum.StrEnum):
    ID_NUMBER = "id_number"  # the whole number (15-digit legacy numbers upgraded)
    ID_TAIL = "id_tail"  # the last 4 characters
    ID_SUFFIX = "id_suffix"  # the last 6 characters
    PHONE = "phone"  # an 11-digit mobile number
    INITIALS = "initials"  # pinyin initials such as "zxm"
    NAME = "name"  # the start of a name
    ADDRESS = "address"  # a building address, maybe with a room
    CREDIT_CODE = "credit_code"  # an organisation's unified social credit code
    NONE = "none"  # nothing searchable


@dataclass(frozen=True)
class Parsed:
    kind: Kind
    text: str
    room: str = ""  # for ADDRESS: the room number at the end, if any


_ID_CHARS = re.compile(r"[0-9X]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LATIN = re.compile(r"[a-z]+")
_HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f·]+")
_CREDIT = re.compile(r"[0-9A-HJ-NP-RT-UW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RT-UW-Y]{10}")
# "幸福路12号3栋502", "一网格1栋 101室": a building address, then (optionally) the room number at the end.
_ADDRESS_ROOM = re.compile(r"^(?P<building>.*\D)\s*(?P<room>[0-9]{1,5})(?:室|房|号房)?$")
_ADDRESS_WORDS = re.compile(r"[路街道巷弄号栋幢座楼单元室村苑园区庄里胡同]")
MAX_QUERY = 60
MAX_BUILDINGS = 50  # an address prefix matching more buildings than this is refined, not read in full


def classify(q: str) -> Parsed:
    """What kind of search ``q`` is. Full-width characters count as their ASCII forms; spaces are ignored
    inside numbers."""
    text = unicodedata.normalize("NFKC", q or "").strip()[:MAX_QUERY]
    compact = re.sub(r"[\s-]+", "", text)
    upper = compact.upper()
    if not compact:
        return Parsed(Kind.NONE, "")
    if _ID_CHARS.fullmatch(upper):
        if len(upper) in (15, 18):
            return Parsed(Kind.ID_NUMBER, normalize_id_number(upper))
        if len(upper) == 4:
            return Parsed(Kind.ID_TAIL, upper)
        if len(upper) == 6:
            return Parsed(Kind.ID_SUFFIX, upper)
        if _MOBILE.fullmatch(upper):
            return Parsed(Kind.PHONE, upper)
    if _LATIN.fullmatch(compact.lower()):
        return Parsed(Kind.INITIALS, compact.lower())
    if _HAN.fullmatch(compact):
        # 幸福路 or 阳光花园 read as addresses (falling back to names when no building matches), 张路 as a name.
        if len(compact) >= 3 and _ADDRESS_WORDS.search(compact):
            return Parsed(Kind.ADDRESS, compact)
        return Parsed(Kind.NAME, compact)
    if any(c.isascii() and c.isdigit() for c in text) or _ADDRESS_WORDS.search(compact):
        match = _ADDRESS_ROOM.match(text)
        if match and _ADDRESS_WORDS.search(match.group("building")):
            return Parsed(Kind.ADDRESS, match.group("building").strip(), room=match.group("room"))
        return Parsed(Kind.ADDRESS, text)
    return Parsed(Kind.NONE, text)


# --- people ---------------------------------------------------------------------------------------


# Kinds whose indexed predicate finds a handful of rows: checking the area per row is always cheapest.
NARROW = (Kind.ID_NUMBER, Kind.ID_TAIL, Kind.ID_SUFFIX, Kind.PHONE)
GRID_CODE = 15


def _people_scope(user: User, kind: Kind, *, listing: bool) -> QuerySet[Person] | None:
    """Current people the user may see, as a filter to put beside an indexed predicate (None: no area).

    The area is an EXISTS checked per candidate, except for a broad query (one initial, a surname) in a small area:
    one initial matches a tenth of a district, of whom a grid holds one in a thousand, so there reading the area's
    residents once is cheaper. For a community that pays off only when every match is needed (a list's count);
    a top-N search stops early enough (both measured in docs/registry.md)."""
    if queries.managed_unit(user) is not None:  # a property company: the residents of its buildings
        return queries.scoped_people(user)
    prefix = area_prefix(user)
    if prefix is None:
        return None
    people = Person.objects.current()
    if not prefix:
        return people
    small = len(prefix) >= (queries.SMALL_AREA_CODE if listing else GRID_CODE)
    if small and kind not in NARROW:
        return people.filter(queries.residents_of(prefix))
    # CASE WHEN EXISTS: PostgreSQL would turn a bare EXISTS into a semi-join and often hash the whole area's
    # residents first; as a per-row check it walks the indexed range in order and stops at the LIMIT.
    per_row = Case(When(queries.lives_in(prefix), then=Value(True)), default=Value(False), output_field=BooleanField())
    return people.filter(per_row)


def _address_dwellings(user: User, parsed: Parsed) -> QuerySet | None:
    """Dwellings in the user's area at an address: building address prefix (indexed range) and the room."""
    buildings = queries.buildings_for(user).filter(queries.prefix_range("address", parsed.text))
    building_ids = list(buildings.order_by("address", "id").values_list("pk", flat=True)[:MAX_BUILDINGS])
    if not building_ids:
        return None
    dwellings = queries.dwellings_for(user).filter(building_id__in=building_ids)
    if parsed.room:
        dwellings = dwellings.filter(room=parsed.room)
    return dwellings


# --- no oracle: a search may only use what the user sees in clear -----------------------------------------


class SearchRefused(PermissionDenied):
    code = "search_refused"


def refusal(user: User, parsed: Parsed, record_type: str = "person") -> str:
    """Why the user may not search this way ("" when they may). A search on a masked field would tell, by what it
    finds, what the mask hides: phone search needs the phone in clear, name and initials the name, a room number
    the dwelling; a whole ID number or its last six need the right to reveal it (and each such search is audited);
    the last four are in the mask anyway."""
    from django.utils.translation import gettext as _

    viewer = visibility.viewer_for(user)
    if record_type == "organization":
        needs = {Kind.INITIALS: "organization.name", Kind.NAME: "organization.name", Kind.ADDRESS: "organization.name"}
        name = needs.get(parsed.kind)
        if name and not viewer.clear(name):
            return _("You may not search by a field you do not see in clear.")
        return ""
    if parsed.kind in (Kind.ID_NUMBER, Kind.ID_SUFFIX):
        if not viewer.may_reveal("person.id_number"):
            return _("Searching by ID number needs the right to reveal ID numbers.")
    elif parsed.kind == Kind.ID_TAIL:
        if viewer.hidden("person.id_number"):
            return _("You may not search by a field you do not see in clear.")
    elif parsed.kind == Kind.PHONE:
        if not viewer.clear("person.phone"):
            return _("Searching by phone needs the phone number in clear.")
    elif parsed.kind in (Kind.INITIALS, Kind.NAME):
        if not viewer.clear("person.name"):
            return _("Searching by name needs names in clear.")
    elif parsed.kind == Kind.ADDRESS and parsed.room and not viewer.clear("residence.dwelling"):
        return _("Searching by room needs dwellings in clear.")
    return ""


def people_matching(user: User, parsed: Parsed, *, stable: bool = True) -> QuerySet[Person]:
    """The people a parsed query finds in the user's area (unsliced, masked for the user).

    Raises ``SearchRefused`` for a search on what the user does not see in clear (``refusal``); a search by the
    whole ID number or its last six characters is an audit entry with the purpose "search"."""
    reason = refusal(user, parsed)
    if reason:
        raise SearchRefused(reason)
    if parsed.kind in (Kind.ID_NUMBER, Kind.ID_SUFFIX):
        audit.record(
            "query",
            actor=user,
            target=Target("registry.person", "", area_prefix(user) or ""),
            fields=["person.id_number"],
            purpose="search",
            detail={"kind": parsed.kind.value},
        )
    found = _people_matching(user, parsed, stable=stable)
    if not visibility.viewer_for(user).clear("person.name") and found.query.order_by[:1] == ("name",):
        found = found.order_by("id")  # an order by a masked name would tell what the mask hides
    return visibility.masked(found, user)


def _people_matching(user: User, parsed: Parsed, *, stable: bool = True) -> QuerySet[Person]:
    """The people a parsed query finds in the user's area (unsliced).

    ``stable`` (for lists with pages and a count) breaks ties by id, so pages do not shift. A top-N search does
    without: PostgreSQL's index on ``name_initials`` is not in id order within one value, so the tie-break makes it
    read every "wy" (thousands in a district) before the LIMIT; without it the scan stops at the 20th match."""
    people = _people_scope(user, parsed.kind, listing=stable)
    if people is None or parsed.kind in (Kind.NONE, Kind.CREDIT_CODE):
        return Person.objects.none()
    text = parsed.text
    if parsed.kind == Kind.ID_NUMBER:
        # The number is encrypted at rest: its blind index is the indexed equality (queries.people_with_id_number).
        return people.filter(pk__in=queries.people_with_id_number(text).values("pk")).order_by("id")
    if parsed.kind == Kind.ID_TAIL:
        return people.filter(id_tail=text).order_by("id")
    if parsed.kind == Kind.ID_SUFFIX:
        # The indexed tail (kept in clear, as a masked number shows it) narrows to a handful of rows in the area;
        # only those are decrypted to check the 6 characters. No second blind index: an index of the last six
        # would group strangers by a low-entropy value for one rare search.
        tail = people.filter(id_tail=text[-4:]).values_list("pk", "id_number")
        found = [pk for pk, number in tail if number and number.endswith(text)]
        return Person.objects.filter(pk__in=found).order_by("id")
    if parsed.kind == Kind.PHONE:
        return people.filter(phone=text).order_by("id")
    if parsed.kind == Kind.INITIALS:
        # Ordered by the indexed column itself, so LIMIT stops early instead of sorting every match.
        return people.filter(queries.prefix_range("name_initials", text)).order_by(
            *(("name_initials", "id") if stable else ("name_initials",))
        )
    if parsed.kind == Kind.NAME:
        return people.filter(queries.prefix_range("name", text)).order_by(*(("name", "id") if stable else ("name",)))
    dwellings = _address_dwellings(user, parsed)
    if dwellings is None:
        if _HAN.fullmatch(text):  # no building starts so: Han text is a name after all (欧阳道明)
            return people_matching(user, Parsed(Kind.NAME, text), stable=stable)
        return Person.objects.none()
    # The dwellings come from the access point (dwellings_for), so their current residents are in the area already.
    residents = queries.current_residences().filter(dwelling__in=dwellings).values("person_id")
    return Person.objects.current().filter(pk__in=residents).order_by("name", "id")


def search_people(user: User, q: str, *, limit: int = 20) -> list[Person]:
    """Up to ``limit`` people in the user's area matching ``q`` (see ``classify`` for what ``q`` may be)."""
    return list(people_matching(user, classify(q), stable=False)[: max(limit, 0)])


# --- organisations --------------------------------------------------------------------------------


def organizations_matching(user: User, parsed: Parsed) -> QuerySet[Organization]:
    """Organisations a parsed query finds in the user's area: credit code, name start, or premises address."""
    reason = refusal(user, parsed, "organization")
    if reason:
        raise SearchRefused(reason)
    orgs = queries.organizations_for(user)
    text = parsed.text
    if parsed.kind == Kind.NONE or not text:
        return Organization.objects.none()
    code = text.upper().replace(" ", "")
    if _CREDIT.fullmatch(code) or parsed.kind == Kind.ID_NUMBER:
        return orgs.filter(credit_code=code).order_by("id")
    if parsed.kind == Kind.ADDRESS:
        dwellings = _address_dwellings(user, parsed)
        if dwellings is not None:
            return orgs.filter(premises__in=dwellings).order_by("name", "id")
        if not _HAN.fullmatch(text):
            return Organization.objects.none()
        # Han text with no building of that address: an organisation's name (阳光花园物业).
    # Names: Han text, Latin letters as typed (organisations have no pinyin key), digits for numbered names.
    raw = text
    if parsed.kind == Kind.INITIALS:
        # classify lower-cased the letters: try them and their upper-case form (ABC物流, abc studio)
        return orgs.filter(queries.prefix_range("name", raw) | queries.prefix_range("name", raw.upper())).order_by(
            "name", "id"
        )
    return orgs.filter(queries.prefix_range("name", raw)).order_by("name", "id")


def search_organizations(user: User, q: str, *, limit: int = 20) -> list[Organization]:
    """Up to ``limit`` organisations in the user's area matching ``q``."""
    return list(organizations_matching(user, classify(q))[: max(limit, 0)])


def describe(parsed: Parsed) -> str:
    """What the search looked for, in Chinese, for the page ("按身份证号后4位").

    Kept here beside ``classify`` so a new kind gets its label in the same place."""
    from django.utils.translation import gettext as _

    labels = {
        Kind.ID_NUMBER: _("by ID number"),
        Kind.ID_TAIL: _("by the last 4 characters of the ID number"),
        Kind.ID_SUFFIX: _("by the last 6 characters of the ID number"),
        Kind.PHONE: _("by phone"),
        Kind.INITIALS: _("by pinyin initials"),
        Kind.NAME: _("by name"),
        Kind.ADDRESS: _("by address"),
        Kind.CREDIT_CODE: _("by credit code"),
        Kind.NONE: "",
    }
    return labels[parsed.kind]


__all__ = [
    "Kind",
    "Parsed",
    "SearchRefused",
    "classify",
    "describe",
    "organizations_matching",
    "people_matching",
    "refusal",
    "search_organizations",
    "search_people",
]
