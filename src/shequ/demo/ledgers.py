"""Two departments' ledgers (台账) of the demo district, for trying the imports, with the usual faults planted.

* ``民政-高龄津贴.xlsx``: the civil-affairs office's elderly allowance list, one row per registered resident aged
  70 and over (about 500 at the default scale). Most rows are people the base already has (importing leaves them
  unchanged, or updates a new phone number), a few are new, and some rows are faulty.
* ``市场监管-商户.csv``: the market regulator's list of the shops (about 300), GB18030-encoded as Excel on a
  Chinese Windows saves it, the same mix of known, changed, new and faulty rows.
* ``faults.json``: every planted fault, by file, spreadsheet row (the header is row 1) and expected error code.

Column headers are the data dictionary's Chinese labels, so the columns map by themselves; 序号 and the
allowance and trade columns are the department's own and stay unmapped. The files depend only on the database
and ``today``: the same demo gives the same bytes (the XLSX timestamps are fixed).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from stdnum.cn import ric, uscc

from shequ.registry.dictionary import CodeItem, Field
from shequ.registry.models import Organization, Person
from shequ.registry.validators import normalize_id_number

from .identifiers import CreditCodes, IdNumbers, Phones, shenzhen_area
from .residents import add_years, age_on

PEOPLE_FILE = "民政-高龄津贴.xlsx"
ORGANIZATIONS_FILE = "市场监管-商户.csv"
FAULTS_FILE = "faults.json"
PEOPLE_ROWS = 500
ORGANIZATION_ROWS = 300
# A fixed time for the workbook's zip entries and document properties, so the file's bytes (and SHA-256) repeat.
_FIXED = (2025, 1, 1, 0, 0, 0)

PERSON_COLUMNS = ("name", "id_number", "gender", "birth_date", "ethnicity", "phone", "residency", "hukou_address")
ORGANIZATION_COLUMNS = (
    "credit_code",
    "name",
    "type",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "address",
)

# The planted faults, in order: (kind, expected error code, how many).
PERSON_FAULTS = (
    ("duplicate", "duplicate_id", 3),
    ("check_digit", "id_number_check_digit", 3),
    ("birth_date_mismatch", "birth_date_mismatch", 3),
    ("blank_name", "required", 3),
    ("bad_phone", "phone_invalid", 3),
    ("gender_mismatch", "gender_mismatch", 2),
    ("short_id", "id_number_length", 2),
)
ORGANIZATION_FAULTS = (
    ("duplicate", "duplicate_credit_code", 3),
    ("check_digit", "credit_code_check_digit", 3),
    ("short_code", "credit_code_length", 2),
    ("blank_name", "required", 3),
    ("bad_phone", "phone_invalid", 3),
)
BAD_PHONES = ("1380013800", "138-0013-80O0", "12345678", "2345", "021-123")


@dataclass
class Planted:
    row: int
    kind: str
    code: str
    column: str


@dataclass
class Ledger:
    path: Path
    rows: int
    faults: list[Planted] = field(default_factory=list)
    # what a dry-run import of the file reports for the clean rows
    expected: dict[str, int] = field(default_factory=dict)


@dataclass
class _Row:
    cells: dict[str, str]
    kind: str = ""  # a planted fault, or "" for a clean row
    code: str = ""
    column: str = ""
    after: _Row | None = None  # a duplicate comes after its original


def _labels(record: str, attributes: tuple[str, ...]) -> dict[str, str]:
    found = dict(Field.objects.filter(name__in=[f"{record}.{a}" for a in attributes]).values_list("name", "label"))
    return {a: found[f"{record}.{a}"] for a in attributes}


def _code_labels(table: str) -> dict[str, str]:
    return dict(CodeItem.objects.filter(table__code=table).values_list("code", "label"))


def _place(rng: random.Random, clean: list[_Row], faulty: list[_Row]) -> list[_Row]:
    """Clean rows in order with the faulty ones dropped in at random places (a duplicate after its original)."""
    rows = list(clean)
    for row in faulty:
        earliest = rows.index(row.after) + 1 if row.after is not None else 0
        rows.insert(rng.randint(earliest, len(rows)), row)
    return rows


def _planted(rows: list[_Row]) -> list[Planted]:
    return [Planted(n, r.kind, r.code, r.column) for n, r in enumerate(rows, start=2) if r.kind]


# --- people -----------------------------------------------------------------------------------


def _date_text(rng: random.Random, day: date) -> str:
    """Dates as clerks type them: mostly ISO, sometimes 1940/5/1, 1940年5月1日 or 19400501."""
    style = rng.choices((0, 1, 2, 3), (70, 12, 10, 8))[0]
    return (
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
    )[style]


def _allowance(age: int) -> int:
    return 1000 if age >= 100 else 500 if age >= 90 else 300 if age >= 80 else 200


def people_ledger(out: Path, *, seed: int = 1, today: date, rows: int = PEOPLE_ROWS) -> Ledger:
    """The elderly allowance list as XLSX: registered residents aged 70+, by ID number."""
    from openpyxl import Workbook

    rng = random.Random(f"{seed}:ledger:people")
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 4)
    labels = _labels("person", PERSON_COLUMNS)
    genders, ethnicities, residencies = _code_labels("gender"), _code_labels("ethnicity"), _code_labels("residency")
    cutoff = add_years(today, -70)
    # Sorted by ID number after reading (the column is encrypted, its SQL order means nothing), then shuffled.
    elderly = sorted(
        Person.objects.current()
        .filter(residency="registered", id_number__isnull=False, birth_date__lte=cutoff, residences__end__isnull=True)
        .exclude(name="")
        .distinct(),
        key=lambda p: p.id_number or "",
    )
    rng.shuffle(elderly)
    fault_people = sum(n for kind, _c, n in PERSON_FAULTS if kind != "duplicate")
    take = max(0, min(len(elderly) - fault_people, rows - rows // 40 - fault_people - 3))
    new_count = max(2, take // 40)
    listed, spare = elderly[:take], elderly[take : take + fault_people]

    def cells(p: Person, **override: Any) -> dict[str, str]:
        values = {
            "name": p.name,
            "id_number": p.id_number or "",
            "gender": genders.get(p.gender, ""),
            "birth_date": _date_text(rng, p.birth_date) if p.birth_date else "",
            "ethnicity": ethnicities.get(p.ethnicity, ""),
            "phone": p.phone,
            "residency": residencies.get(p.residency, ""),
            "hukou_address": p.hukou_address,
            **override,
        }
        return {labels[a]: values[a] for a in PERSON_COLUMNS}

    expected = {"created": 0, "updated": 0, "unchanged": 0}
    clean: list[_Row] = []
    phones = Phones(rng)
    for person in listed:
        roll = rng.random()
        if roll < 0.08:  # a new phone number: the import updates the person
            clean.append(_Row(cells(person, phone=phones.mobile())))
            expected["updated"] += 1
            continue
        override: dict[str, str] = {}
        if roll < 0.1 and person.id_number and person.id_number[6:8] == "19":
            override["id_number"] = person.id_number[:6] + person.id_number[8:17]  # a 15-digit legacy number
        elif roll < 0.12 and person.phone and not person.phone.startswith("0"):
            p = person.phone
            override["phone"] = f"{p[:3]} {p[3:7]} {p[7:]}"  # spaces are fine
        clean.append(_Row(cells(person, **override)))
        expected["unchanged"] += 1
    ids = IdNumbers(rng)
    ids.used.update(n for n in Person.objects.values_list("id_number", flat=True) if n)
    for _n in range(new_count):  # people the base does not know yet
        gender = rng.choice(("1", "2"))
        born = add_years(today, -rng.randint(70, 96)) - timedelta(days=rng.randrange(365))
        number = ids.make(shenzhen_area(rng), born, gender)
        name = fake.last_name() + (fake.first_name_male() if gender == "1" else fake.first_name_female())
        fresh = {
            "name": name,
            "id_number": number,
            "gender": genders[gender],
            "birth_date": _date_text(rng, born),
            "ethnicity": "汉族",
            "phone": phones.landline() if rng.random() < 0.4 else phones.mobile(),
            "residency": residencies["registered"],
            "hukou_address": f"广东省深圳市福田区{fake.street_name()}{rng.randint(1, 300)}号",
        }
        clean.append(_Row({labels[a]: fresh[a] for a in PERSON_COLUMNS}))
        expected["created"] += 1
    faulty: list[_Row] = []
    pool = iter(spare)
    for kind, code, count in PERSON_FAULTS:
        for _n in range(count):
            if kind == "duplicate":
                if not clean:
                    continue
                original = rng.choice(clean[: max(1, len(clean) // 2)])
                faulty.append(_Row(dict(original.cells), kind, code, labels["id_number"], after=original))
                continue
            spare_person = next(pool, None)
            if spare_person is None or spare_person.id_number is None:
                continue
            person, number = spare_person, spare_person.id_number
            if kind == "check_digit":
                wrong = rng.choice([c for c in "0123456789X" if c != number[17]])
                row = _Row(cells(person, id_number=number[:17] + wrong), kind, code, labels["id_number"])
            elif kind == "birth_date_mismatch":
                assert person.birth_date is not None
                off = person.birth_date + timedelta(days=rng.choice((-1, 1)) * rng.randint(1, 400))
                row = _Row(cells(person, birth_date=off.isoformat()), kind, code, labels["birth_date"])
            elif kind == "blank_name":
                row = _Row(cells(person, name=""), kind, code, labels["name"])
            elif kind == "bad_phone":
                row = _Row(cells(person, phone=rng.choice(BAD_PHONES)), kind, code, labels["phone"])
            elif kind == "gender_mismatch":
                other = genders["2" if person.gender == "1" else "1"]
                row = _Row(cells(person, gender=other), kind, code, labels["gender"])
            else:  # short_id: a digit lost in typing
                row = _Row(cells(person, id_number=number[:10] + number[11:]), kind, code, labels["id_number"])
            faulty.append(row)
    placed = _place(rng, clean, faulty)
    headers = ["序号", *labels.values(), "津贴标准（元/月）"]
    book = Workbook()
    sheet = book.active
    sheet.title = "高龄津贴发放名册"
    sheet.append(headers)
    for n, placed_row in enumerate(placed, start=1):
        birth = _birth_of(placed_row.cells.get(labels["id_number"], ""))
        amount = _allowance(age_on(birth, today)) if birth else None
        sheet.append([n, *placed_row.cells.values(), amount])
    for column, width in zip("ABCDEFGHIJ", (6, 10, 21, 6, 13, 8, 15, 10, 40, 10), strict=False):
        sheet.column_dimensions[column].width = width
    out.mkdir(parents=True, exist_ok=True)
    path = out / PEOPLE_FILE
    path.write_bytes(_fixed_xlsx(book))
    return Ledger(path=path, rows=len(placed), faults=_planted(placed), expected=expected)


def _birth_of(number: str) -> date | None:
    number = normalize_id_number(number)  # a 15-digit legacy number too
    try:
        return ric.get_birth_date(number) if len(number) == 18 else None
    except Exception:  # a planted bad number: no allowance amount
        return None


def _fixed_xlsx(book: Any) -> bytes:
    """The workbook's bytes with fixed zip times and document dates (openpyxl stamps both with the clock)."""
    book.properties.created = datetime(*_FIXED)  # modified is stamped on save, and fixed below
    raw = io.BytesIO()
    book.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = b"2025-01-01T00:00:00Z"
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return fixed.getvalue()


# --- organisations ----------------------------------------------------------------------------


def organizations_ledger(out: Path, *, seed: int = 1, today: date, rows: int = ORGANIZATION_ROWS) -> Ledger:
    """The market regulator's list of shops as CSV: individual businesses and firms with shop premises."""
    rng = random.Random(f"{seed}:ledger:organizations")
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 5)
    labels = _labels("organization", ORGANIZATION_COLUMNS)
    types = _code_labels("organization_type")
    shops = list(
        Organization.objects.filter(
            type__in=("individual", "enterprise"), premises__use="shop", credit_code__isnull=False
        ).order_by("credit_code")
    )
    rng.shuffle(shops)
    fault_orgs = sum(n for kind, _c, n in ORGANIZATION_FAULTS if kind != "duplicate")
    take = max(0, min(len(shops) - fault_orgs, rows - rows // 30 - fault_orgs - 3))
    new_count = max(2, take // 30)
    listed, spare = shops[:take], shops[take : take + fault_orgs]

    def cells(org: Organization, **override: Any) -> dict[str, str]:
        values = {
            "credit_code": org.credit_code or "",
            "name": org.name,
            "type": types.get(org.type, ""),
            "legal_representative": org.legal_representative,
            "contact_name": org.contact_name,
            "contact_phone": org.contact_phone,
            "address": org.address,
            **override,
        }
        return {labels[a]: values[a] for a in ORGANIZATION_COLUMNS}

    expected = {"created": 0, "updated": 0, "unchanged": 0}
    phones = Phones(rng)
    clean = []
    for org in listed:
        if rng.random() < 0.08:  # a new contact phone
            clean.append(_Row(cells(org, contact_phone=phones.mobile())))
            expected["updated"] += 1
        else:
            clean.append(_Row(cells(org)))
            expected["unchanged"] += 1
    codes = CreditCodes(rng)
    codes.used.update(c for c in Organization.objects.values_list("credit_code", flat=True) if c)
    for _n in range(new_count):  # newly registered shops
        legal = fake.name()
        individual = rng.random() < 0.7
        org_type = "individual" if individual else "enterprise"
        name = (
            f"深圳市福田区{fake.last_name()}记{rng.choice(('便利店', '粉面店', '水果店', '五金店'))}"
            if individual
            else f"深圳市{fake.company_prefix()}商贸有限公司"
        )
        fresh = {
            "credit_code": codes.make(org_type),
            "name": name,
            "type": types[org_type],
            "legal_representative": legal,
            "contact_name": legal,
            "contact_phone": phones.mobile(),
            "address": f"深圳市福田区{fake.street_name()}{rng.randint(1, 300)}号{rng.randint(101, 109)}",
        }
        clean.append(_Row({labels[a]: fresh[a] for a in ORGANIZATION_COLUMNS}))
        expected["created"] += 1
    faulty: list[_Row] = []
    pool = iter(spare)
    for kind, code, count in ORGANIZATION_FAULTS:
        for _n in range(count):
            if kind == "duplicate":
                if clean:
                    original = rng.choice(clean[: max(1, len(clean) // 2)])
                    faulty.append(_Row(dict(original.cells), kind, code, labels["credit_code"], after=original))
                continue
            spare_org = next(pool, None)
            if spare_org is None or spare_org.credit_code is None:
                continue
            org, credit = spare_org, spare_org.credit_code
            if kind == "check_digit":
                right = uscc.calc_check_digit(credit)
                wrong = rng.choice([c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != right])
                row = _Row(cells(org, credit_code=credit[:17] + wrong), kind, code, labels["credit_code"])
            elif kind == "short_code":
                row = _Row(cells(org, credit_code=credit[:17]), kind, code, labels["credit_code"])
            elif kind == "blank_name":
                row = _Row(cells(org, name=""), kind, code, labels["name"])
            else:
                row = _Row(cells(org, contact_phone=rng.choice(BAD_PHONES)), kind, code, labels["contact_phone"])
            faulty.append(row)
    placed = _place(rng, clean, faulty)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["序号", *labels.values(), "经营范围"])
    for n, placed_row in enumerate(placed, start=1):
        writer.writerow([n, *placed_row.cells.values(), _scope(placed_row.cells[labels["name"]])])
    out.mkdir(parents=True, exist_ok=True)
    path = out / ORGANIZATIONS_FILE
    path.write_bytes(text.getvalue().encode("gb18030"))
    return Ledger(path=path, rows=len(placed), faults=_planted(placed), expected=expected)


def _scope(name: str) -> str:
    for words, scope in (
        (("菜", "面", "粉", "餐", "锅", "茶", "烧", "饮"), "餐饮服务"),
        (("便利", "超市", "商行", "水果", "商贸", "连锁"), "日用百货、预包装食品销售"),
        (("五金", "油漆"), "五金交电、建材销售"),
        (("药",), "药品零售"),
        (("公寓",), "住房租赁"),
    ):
        if any(w in name for w in words):
            return scope
    return "一般经营项目"


# --- both -------------------------------------------------------------------------------------


def write_ledgers(out: Path, *, seed: int = 1, today: date) -> list[Ledger]:
    """Both ledgers and faults.json, which lists every planted fault and what a dry run reports for the rest."""
    ledgers = [people_ledger(out, seed=seed, today=today), organizations_ledger(out, seed=seed, today=today)]
    manifest = {
        ledger.path.name: {
            "rows": ledger.rows,
            "expected": ledger.expected,
            "faults": [vars(f) for f in ledger.faults],
        }
        for ledger in ledgers
    }
    (out / FAULTS_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return ledgers
