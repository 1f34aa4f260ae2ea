"""The demo district's people: households in its dwellings, who lives where since when, and tags.

The shape follows a central Shenzhen district, in round figures:

* about three people per home dwelling (50,000 at the default scale), 6-8 % of homes empty, households of 2.5 on
  average (singles and young couples renting in the urban villages, families and elderly couples in the estates,
  shared flats with one household per tenant);
* about 60 % floating population (户籍 elsewhere; Shenzhen as a whole is two-thirds non-hukou, a central district
  less), well under 1 % from abroad or Hong Kong (no mainland ID number), the rest registered;
* an age pyramid that is young in the middle and old at the top: about 10 % aged 60 and over, 1-2 % aged 80 and
  over, more among registered owners, fewer among tenants;
* ID numbers that agree with birth date and gender: Shenzhen area codes (4403xx) for registered people born here,
  hometown codes for the floating population and for registered people who moved in as adults;
* some history: earlier tenants who left the district, and people who moved within it (closed residences);
* tags at rates of the order the departments report (elderly living alone, disabled, low income, veteran, ...).

Every write is a bulk one with the Change rows the registry's actions would write (source: import "demo"), see
``history.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from faker import Faker

from shequ.geo.models import Dwelling
from shequ.registry import bulk_writes
from shequ.registry.models import Household, Person, PersonTag, Residence, Tag

from .history import DEMO_SOURCE, create_with_history, log_ends
from .identifiers import HOMETOWN_BY_CODE, IdNumbers, Phones, hometown_area, shenzhen_area

MALE, FEMALE = "1", "2"
REGISTERED, FLOATING, FOREIGN = "registered", "floating", "foreign"
OWNER, TENANT, FAMILY = "owner", "tenant", "family"

# Ethnicity codes (GB/T 3304) and weights: Han, then the minorities most common among Shenzhen's migrants.
ETHNICITIES = (
    ("01", 9400),
    ("08", 150),
    ("15", 100),
    ("06", 80),
    ("13", 50),
    ("12", 40),
    ("03", 30),
    ("11", 30),
    ("22", 20),
    ("07", 20),
    ("09", 20),
    ("10", 10),
    ("02", 10),
    ("14", 10),
    ("21", 10),
    ("04", 5),
    ("05", 5),
)
_ETHNIC_CODES = [c for c, _w in ETHNICITIES]
_ETHNIC_WEIGHTS = [w for _c, w in ETHNICITIES]

# People without a mainland ID number: (note, surnames, given names), names as their travel documents write them.
FOREIGN_ORIGINS = (
    ("国籍：韩国", ("KIM", "LEE", "PARK", "CHOI", "JUNG"), ("MINJUN", "SEOYEON", "JIHOON", "HAEUN", "DONGHYUN")),
    ("国籍：日本", ("SATO", "SUZUKI", "TANAKA", "WATANABE", "ITO"), ("YUKI", "HARUTO", "AOI", "REN", "SAKURA")),
    ("国籍：美国", ("SMITH", "JOHNSON", "BROWN", "MILLER", "DAVIS"), ("JOHN", "EMILY", "MICHAEL", "SARAH", "DAVID")),
    ("国籍：新加坡", ("TAN", "LIM", "ONG", "NG", "GOH"), ("WEI MING", "HUI LING", "JUN JIE", "XIN YI", "KAI")),
)

# Household templates and their weights by kind of home: (template, weight).
TEMPLATES = {
    ("estate", OWNER): (
        ("family", 30),
        ("three_generations", 16),
        ("mature", 14),
        ("couple", 8),
        ("elderly_couple", 14),
        ("elderly_alone", 8),
        ("single", 3),
        ("skip_generation", 2),
    ),
    ("estate", TENANT): (("family", 44), ("couple", 25), ("single", 6), ("three_generations", 13), ("shared", 10)),
    ("village", TENANT): (("single", 10), ("couple", 25), ("family", 42), ("three_generations", 7), ("shared", 12)),
    ("village", OWNER): (
        ("three_generations", 30),
        ("elderly_couple", 25),
        ("family", 25),
        ("elderly_alone", 15),
        ("skip_generation", 5),
    ),
}

# Residency of a household by kind of home: (registered, floating, foreign) weights.
RESIDENCY = {
    ("estate", OWNER): (84, 15.7, 0.3),
    ("estate", TENANT): (20, 77, 3),
    ("village", TENANT): (4, 95.6, 0.4),
    ("village", OWNER): (100, 0, 0),
}


@dataclass
class _Member:
    name: str
    gender: str
    born: date
    relation: str  # head, spouse, child, grandparent
    note: str = ""  # nationality or Hong Kong residence, for people without an ID number
    person: Person | None = None


@dataclass
class _Household:
    dwelling_id: int
    template: str
    tenure: str  # owner or tenant
    residency: str
    members: list[_Member]
    start: date
    end: date | None = None  # a household that has left
    number: str = ""
    low_income: bool = False
    record: Household | None = None


@dataclass
class PeopleSummary:
    people: int = 0
    current: int = 0  # with an open residence
    households: int = 0
    residences: int = 0
    moved_out: int = 0  # closed residences
    registered: int = 0
    floating: int = 0
    foreign: int = 0
    aged_60: int = 0
    aged_80: int = 0
    tags: dict[str, int] = field(default_factory=dict)
    grids: list[str] = field(default_factory=list)  # the grids that have people (all but at the full scale)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class _Generator:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(f"{seed}:people")
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed + 2)
        self.today = today
        self.ids = IdNumbers(self.rng)
        self.phones = Phones(self.rng)
        self.numbers: set[str] = set()

    # --- ages and names ---------------------------------------------------------------------

    def born(self, age: int) -> date:
        """A birth date ``age`` years ago (give or take the day)."""
        age = max(0, min(age, 103))
        return add_years(self.today, -age) - timedelta(days=self.rng.randrange(365))

    def age(self, low: int, high: int, mode: float | None = None) -> int:
        return int(self.rng.triangular(low, high + 0.999, mode if mode is not None else (low + high) / 2))

    def given(self, gender: str) -> str:
        return self.fake.first_name_male() if gender == MALE else self.fake.first_name_female()

    def members(self, template: str) -> list[tuple[str, str, int]]:
        """(relation, gender, age) of a household's members, head first."""
        rng = self.rng
        if template in ("single", "shared"):
            gender = MALE if rng.random() < 0.58 else FEMALE
            return [("head", gender, self.age(19, 42, 26))]
        if template == "elderly_alone":
            return [("head", FEMALE if rng.random() < 0.65 else MALE, self.age(62, 99, 76))]
        if template == "elderly_couple":
            head = self.age(60, 94, 70)
            return [("head", MALE, head), ("spouse", FEMALE, max(58, head - rng.randint(0, 5)))]
        if template == "couple":
            head = self.age(22, 40, 29)
            return [("head", MALE, head), ("spouse", FEMALE, max(20, head - rng.randint(-2, 5)))]
        if template == "mature":
            head = self.age(45, 64, 52)
            return [
                ("head", MALE, head),
                ("spouse", FEMALE, head - rng.randint(0, 4)),
                ("child", rng.choice((MALE, FEMALE)), self.age(18, min(32, head - 20))),
            ]
        if template == "skip_generation":
            head = self.age(56, 78, 64)
            kept = [("head", MALE, head), ("spouse", FEMALE, head - rng.randint(0, 4))][: rng.choice((1, 2, 2))]
            return [*kept, ("child", rng.choice((MALE, FEMALE)), self.age(3, 14))]
        # family and three_generations
        head = self.age(27, 50, 36)
        people = [("head", MALE, head), ("spouse", FEMALE, max(23, head - rng.randint(-2, 5)))]
        for _n in range(rng.choices((1, 2, 3), (62, 35, 3))[0]):
            people.append(("child", rng.choice((MALE, FEMALE)), rng.randint(0, min(17, head - 22))))
        if template == "three_generations":
            elder = min(98, head + rng.randint(25, 33))
            people.append(("grandparent", FEMALE, elder))
            if rng.random() < 0.45:
                people.append(("grandparent", MALE, min(99, elder + rng.randint(0, 4))))
        return people

    # --- households -------------------------------------------------------------------------

    def household(
        self, dwelling_id: int, kind: str, tenure: str, template: str, *, start: date | None = None
    ) -> _Household:
        rng = self.rng
        weights = RESIDENCY[(kind, tenure)]
        residency = rng.choices((REGISTERED, FLOATING, FOREIGN), weights)[0]
        if residency == FOREIGN and template not in ("single", "couple", "shared", "family"):
            template = "couple"
        plan = self.members(template)
        members = self._foreign_members(plan) if residency == FOREIGN else self._chinese_members(plan)
        head_age = plan[0][2]
        if start is None:
            if tenure == OWNER:
                earliest = max(date(1992, 1, 1), members[0].born + timedelta(days=365 * 24))
                span = max(30, (self.today - earliest).days - 30)
                start = earliest + timedelta(days=rng.randrange(span))
            else:
                start = self.today - timedelta(days=rng.randint(20, 365 * 6 if head_age > 30 else 365 * 3))
        household = _Household(dwelling_id, template, tenure, residency, members, start)
        if residency == REGISTERED:
            household.number = self._household_number()
            household.low_income = rng.random() < 0.006
        return household

    def _household_number(self) -> str:
        while True:
            number = f"{self.rng.randrange(10**8, 10**9)}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def _chinese_members(self, plan: list[tuple[str, str, int]]) -> list[_Member]:
        surname = self.fake.last_name()
        members = []
        for relation, gender, age in plan:
            own = surname if relation in ("head", "child") else self.fake.last_name()
            if relation == "head" and gender == FEMALE:
                own = surname
            members.append(_Member(own + self.given(gender), gender, self.born(age), relation))
        return members

    def _foreign_members(self, plan: list[tuple[str, str, int]]) -> list[_Member]:
        rng = self.rng
        if rng.random() < 0.4:  # Hong Kong residents: Chinese names, a home-return permit instead of an ID number
            members = self._chinese_members(plan)
            for m in members:
                m.note = "香港居民"
            return members
        note, surnames, given = rng.choice(FOREIGN_ORIGINS)
        surname = rng.choice(surnames)
        return [
            _Member(f"{surname} {rng.choice(given)}", gender, self.born(age), relation, note)
            for relation, gender, age in plan
        ]

    # --- people -----------------------------------------------------------------------------

    def person(self, member: _Member, household: _Household, area: str, hukou: str, ethnicity: str) -> Person:
        rng = self.rng
        age = age_on(member.born, self.today)
        note = ""
        if household.residency == FOREIGN:
            document = "港澳居民来往内地通行证 H" if member.note == "香港居民" else "护照号码 E"
            note = f"{member.note}，{document}{rng.randrange(10**7, 10**8)}"
            id_number, ethnicity, hukou = None, "", ""
        else:
            id_number = self.ids.make(area, member.born, member.gender)
        if age < 14:
            phone = ""
        elif age >= 80:
            phone = rng.choices((self.phones.mobile, self.phones.landline, str), (55, 30, 15))[0]()
        else:
            phone = self.phones.mobile() if rng.random() < 0.97 else ""
        return Person(
            id_number=id_number,
            name=member.name,
            gender=member.gender,
            birth_date=member.born,
            phone=phone,
            ethnicity=ethnicity,
            residency=household.residency,
            hukou_address=hukou,
            note=note,
        )


def _kind(building_name: str) -> str:
    # The geography names village houses 上沙村1巷2号, estate blocks 锦绣花园3栋 (commercial blocks have no homes).
    return "estate" if building_name.endswith("栋") else "village"


def build_people(*, seed: int, today: date, limit: int | None = None) -> PeopleSummary:
    """People, households, residences and tags for the district's home dwellings (the first ``limit`` people's
    worth of them, grid by grid, when ``limit`` is given)."""
    gen = _Generator(seed, today)
    rng = gen.rng
    homes = (
        Dwelling.objects.filter(use=Dwelling.Use.HOME)
        .order_by("building__grid__code", "building_id", "pk")
        .values_list("pk", "building__name", "building__address", "building__grid__code")
    )
    addresses: dict[int, str] = {}  # the homes handed out, by pk
    summary = PeopleSummary()
    current: list[_Household] = []
    former: list[_Household] = []
    planned_people = 0
    grids: list[str] = []
    for pk, building_name, address, grid in homes.iterator(chunk_size=5000):
        if limit is not None and planned_people >= limit and grid != grids[-1]:
            break
        if not grids or grids[-1] != grid:
            grids.append(grid)
        addresses[pk] = address
        kind = _kind(building_name)
        if rng.random() < (0.05 if kind == "estate" else 0.06):
            continue  # empty
        tenure = OWNER if rng.random() < (0.58 if kind == "estate" else 0.1) else TENANT
        templates = TEMPLATES[(kind, tenure)]
        template = rng.choices([t for t, _w in templates], [w for _t, w in templates])[0]
        count = rng.choice((2, 3, 3, 4)) if template == "shared" else 1
        here = [gen.household(pk, kind, tenure, template) for _n in range(count)]
        if template == "shared":  # flatmates move in around the same time
            for h in here[1:]:
                h.start = max(h.start, here[0].start)
        current.extend(here)
        planned_people += sum(len(h.members) for h in here)
        if tenure == TENANT and rng.random() < 0.18:  # an earlier tenant household that has left the district
            first = min(h.start for h in here)
            end = first - timedelta(days=rng.randint(3, 90))
            left = gen.household(pk, kind, TENANT, rng.choice(("single", "couple", "family")))
            left.start, left.end = end - timedelta(days=rng.randint(150, 1500)), end
            if all(m.born < left.start for m in left.members):
                former.append(left)
                planned_people += len(left.members)
    summary.grids = grids

    # People: one Person per member, hometown and ethnicity shared within a household.
    people: list[Person] = []
    buildings = sorted(set(addresses.values()))  # sorted: a set's order changes from one process to the next
    for household in current + former:
        ethnicity = rng.choices(_ETHNIC_CODES, _ETHNIC_WEIGHTS)[0]
        area = hometown_area(rng)
        for member in household.members:
            if household.residency == REGISTERED:
                # Born here (or arrived as a child) -> a Shenzhen code; older registered people often moved in.
                born_here = member.born.year >= 1985 or rng.random() < 0.4
                member_area = shenzhen_area(rng) if born_here else area
                own_home = household.dwelling_id if household.template != "shared" else None
                address = addresses.get(own_home) if own_home and rng.random() < 0.8 else rng.choice(buildings)
                hukou = f"广东省深圳市福田区{address}"
            else:
                member_area = area
                hukou = f"{HOMETOWN_BY_CODE[area]}{gen.fake.last_name()}家村{rng.randint(1, 12)}组"
            if member.relation.startswith("spouse") and rng.random() < 0.1:
                own_ethnicity = rng.choices(_ETHNIC_CODES, _ETHNIC_WEIGHTS)[0]
            else:
                own_ethnicity = ethnicity
            member.person = gen.person(member, household, member_area, hukou, own_ethnicity)
            people.append(member.person)
    bulk_writes.bulk_save_people(new=people, changed=[], by=None, source=DEMO_SOURCE)
    summary.people = len(people)

    # Households, then residences (with the history: households that left, and moves inside the district).
    all_households = current + former
    records = []
    for household in all_households:
        household.record = Household(
            dwelling_id=household.dwelling_id, number=household.number, head=household.members[0].person
        )
        records.append(household.record)
    create_with_history(Household, "household", records)
    summary.households = len(records)

    home_pks = list(addresses)
    residences: list[Residence] = []
    for household in all_households:
        tenure_role = OWNER if household.tenure == OWNER else None
        for member in household.members:
            assert member.person is not None
            if member.relation == "head":
                role = tenure_role or TENANT
            elif member.relation == "spouse" and tenure_role and rng.random() < 0.5:
                role = OWNER  # co-owner
            else:
                role = FAMILY
            start = max(household.start, member.born)
            residences.append(
                Residence(
                    person=member.person,
                    dwelling_id=household.dwelling_id,
                    household=household.record,
                    role=role,
                    start=start,
                    end=household.end,
                )
            )
            if household.end is None and member.relation == "head" and rng.random() < 0.05:
                # Moved here from elsewhere in the district.
                end = start - timedelta(days=rng.randint(1, 30))
                began = end - timedelta(days=rng.randint(200, 2500))
                if began > member.born:
                    elsewhere = rng.choice(home_pks)
                    if elsewhere != household.dwelling_id:
                        residences.append(
                            Residence(person=member.person, dwelling_id=elsewhere, role=TENANT, start=began, end=end)
                        )
    create_with_history(Residence, "residence", residences)
    closed = [r for r in residences if r.end is not None]
    log_ends(closed, "residence", "end")
    summary.residences = len(residences)
    summary.moved_out = len(closed)

    summary.tags = _tag(gen, current)
    for household in current:
        for member in household.members:
            summary.current += 1
            setattr(summary, household.residency, getattr(summary, household.residency) + 1)
            age = age_on(member.born, today)
            summary.aged_60 += age >= 60
            summary.aged_80 += age >= 80
    return summary


def _tag(gen: _Generator, households: list[_Household]) -> dict[str, int]:
    """Tags at plausible rates for the people who live here now."""
    rng, today = gen.rng, gen.today
    tags = {t.code: t for t in Tag.objects.filter(applies_to="person", active=True)}
    wanted: list[tuple[Person, str, date]] = []

    def since(born: date, earliest_age: int = 0, years: int = 8) -> date:
        return max(add_years(born, earliest_age), today - timedelta(days=rng.randint(30, 365 * years)))

    for household in households:
        ages = [age_on(m.born, today) for m in household.members]
        for member, age in zip(household.members, ages, strict=True):
            person = member.person
            assert person is not None
            adult = age >= 18
            if len(household.members) == 1 and age >= 60:
                wanted.append((person, "elderly_alone", since(member.born, 60)))
            if household.template == "elderly_couple" and min(ages) >= 60:
                wanted.append((person, "empty_nest", since(member.born, 60)))
            if rng.random() < (0.008 if age < 60 else 0.04 if age < 80 else 0.1):
                wanted.append((person, "disabled", since(member.born, 0, 20)))
            if household.low_income:
                wanted.append((person, "low_income", since(member.born, 0, 5)))
            veteran_rate = {REGISTERED: 0.03, FLOATING: 0.012}.get(household.residency, 0)
            if member.gender == MALE and age >= 38 and rng.random() < veteran_rate:
                wanted.append((person, "veteran", since(member.born, 22, 30)))
            if household.template == "skip_generation" and member.relation == "child":
                wanted.append((person, "left_behind_child", since(member.born, 0, 3)))
            if adult and age < 60 and household.residency != FOREIGN:
                if rng.random() < 0.0005:
                    wanted.append((person, "community_correction", since(member.born, 18, 2)))
                if rng.random() < 0.003:
                    wanted.append((person, "severe_mental_disorder", since(member.born, 18, 10)))
                if age < 55 and rng.random() < (0.0008 if member.gender == MALE else 0.0002):
                    wanted.append((person, "drug_rehab", since(member.born, 18, 3)))
    rows = [
        PersonTag(person=p, tag=tags[code], since=s, source_kind=DEMO_SOURCE.kind, source_ref=DEMO_SOURCE.ref)
        for p, code, s in wanted
        if code in tags
    ]
    create_with_history(PersonTag, "person_tag", rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.tag.code] = counts.get(row.tag.code, 0) + 1
    return counts


def link_resident_accounts() -> int:
    """Give the demo's resident accounts (jumin, jumin2 …) a person living in the grid of the first grid worker
    (wanggeyuan), so notices and alerts reach them in the portal and the worker's follow-up lists include them."""
    from shequ.access.models import Role, User
    from shequ.registry.queries import people_in

    accounts = list(User.objects.filter(role=Role.RESIDENT, person__isnull=True).order_by("date_joined", "pk"))
    worker = User.objects.filter(username="wanggeyuan").select_related("region").first()
    if not accounts or worker is None or worker.region is None:
        return 0
    people = list(people_in(worker.region).filter(account__isnull=True).order_by("pk")[: len(accounts)])
    for person, account in zip(people, accounts, strict=False):
        person.account = account
    Person.objects.bulk_update(people, ["account"])
    return len(people)
