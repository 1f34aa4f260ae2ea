"""The community base at a district's size: import a people ledger, resolve identities, search.

* **import**: ``shequ.registry.importing.import_file`` on a generated CSV ledger (valid GB 11643 ID numbers with
  their check digit, names, phones, birth dates, ethnicity, residency, household registration address), beside the
  database's own bulk load of the same rows into the same table (``registry_person``): PostgreSQL's
  ``COPY ... FROM STDIN``; SQLite has no COPY, so one ``executemany`` INSERT in one transaction.
* **resolve**: ``shequ.registry.resolution.resolve_identities()`` over everyone, with a known share of planted
  duplicates (the same person again without an ID number: a homophone in the name, or another phone), beside one
  plain read of every person's matching fields.
* **search**: ``shequ.registry.search.search_people(user, q, limit=20)`` for each kind of query, as an administrator
  and as a community's staff (scoped to the community), beside a primary-key lookup of a person; median and p99.

People live in the demo district's dwellings (Residence rows written in bulk before resolving and searching).
"""

from __future__ import annotations

import csv
import random
import resource
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from figures import Figure, compare

HEADERS = ["序号", "公民身份号码", "姓名", "性别", "出生日期", "联系电话", "民族", "人口类型", "户籍地址"]
DUPLICATE_SHARE = 0.02  # planted duplicates (same person again, without an ID number)
FOREIGN_SHARE = 0.01  # foreign residents: no Chinese ID number
BORN_BY = date(2025, 6, 30)  # latest birth date: every ID number's date is in the past

# fmt: off
SURNAMES = (
    ("王", 72), ("李", 71), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 24), ("赵", 22), ("吴", 21),
    ("周", 20), ("徐", 15), ("孙", 15), ("马", 13), ("朱", 13), ("胡", 12), ("郭", 11), ("何", 11), ("高", 10),
    ("林", 10), ("罗", 10), ("郑", 9), ("梁", 9), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 7), ("韩", 6),
    ("冯", 6), ("邓", 6), ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("袁", 5),
    ("潘", 5), ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 5), ("程", 5), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 4), ("崔", 4),
    ("钟", 4), ("谭", 4), ("陆", 4), ("汪", 4), ("范", 4), ("金", 4), ("石", 4), ("廖", 4), ("贾", 3),
    ("夏", 3), ("韦", 3), ("方", 3), ("白", 3), ("邹", 3), ("孟", 3), ("熊", 3), ("秦", 3), ("邱", 3),
    ("江", 3), ("尹", 3), ("薛", 3), ("段", 3), ("雷", 3), ("侯", 3), ("龙", 3), ("史", 3), ("陶", 3),
    ("黎", 3), ("贺", 3), ("顾", 2), ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2),
    ("严", 2), ("覃", 2), ("武", 2), ("戴", 2), ("莫", 2), ("孔", 2), ("向", 2), ("汤", 2), ("欧阳", 1),
    ("司马", 1), ("上官", 1),
)
# Characters of given names, each with characters read the same way (homophones: how a name is mistyped or
# written down from hearing it).
HOMOPHONES = {
    "伟": "玮炜", "芳": "方", "敏": "闽", "静": "靖婧", "丽": "莉俐", "强": "蔷", "磊": "垒", "军": "君钧",
    "洋": "阳扬", "勇": "永咏", "艳": "燕彦", "杰": "洁婕", "娟": "鹃", "涛": "韬", "明": "铭鸣", "超": "潮",
    "霞": "侠", "平": "萍苹", "刚": "钢", "英": "瑛", "华": "桦", "玉": "钰煜", "兰": "岚", "红": "鸿宏",
    "建": "剑健", "文": "雯", "辉": "晖", "鹏": "朋", "飞": "菲", "斌": "彬", "宇": "雨羽", "浩": "昊皓",
    "凯": "恺", "俊": "峻", "帆": "凡", "旭": "煦", "宁": "凝", "林": "琳霖", "欣": "馨", "佳": "嘉",
    "婷": "亭", "晨": "辰琛", "瑞": "睿", "涵": "晗", "轩": "萱宣", "怡": "仪宜", "思": "丝", "鑫": "歆",
    "晶": "菁", "颖": "莹", "倩": "茜", "慧": "惠卉", "志": "智", "峰": "锋枫", "波": "博", "东": "冬",
    "荣": "容蓉", "成": "诚承", "亮": "靓", "秀": "岫", "春": "椿", "海": "亥", "国": "帼", "云": "芸",
}
FOREIGN_NAMES = (
    "约翰·史密斯", "玛丽亚·加西亚", "金敏俊", "朴智妍", "田中一郎", "阮文雄", "安娜·伊万诺娃", "大卫·布朗",
    "穆罕默德·阿里", "苏菲·马丁", "陈美玲", "李明浩", "詹姆斯·威尔逊", "佐藤花子", "黎氏兰",
)
LOCAL_AREAS = {"440304": "广东省深圳市福田区", "440303": "广东省深圳市罗湖区", "440305": "广东省深圳市南山区"}
OTHER_AREAS = {
    "430102": "湖南省长沙市芙蓉区", "431002": "湖南省郴州市北湖区", "360102": "江西省南昌市东湖区",
    "450102": "广西壮族自治区南宁市兴宁区", "510104": "四川省成都市锦江区", "420102": "湖北省武汉市江岸区",
    "410102": "河南省郑州市中原区", "350102": "福建省福州市鼓楼区", "441302": "广东省惠州市惠城区",
    "445102": "广东省潮州市湘桥区", "441502": "广东省汕尾市城区", "500101": "重庆市万州区",
    "130102": "河北省石家庄市长安区", "370102": "山东省济南市历下区", "340102": "安徽省合肥市瑶海区",
    "610102": "陕西省西安市新城区", "440104": "广东省广州市越秀区", "360702": "江西省赣州市章贡区",
}
ROADS = ("人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路", "文化路", "光明路", "朝阳路", "红旗路")
MOBILE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "182", "183", "187",
                   "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "181", "189")
# Ages by five-year band, 0-4 up to 90-94: an ageing pyramid.
AGE_BANDS = (4, 5, 5, 4, 5, 7, 9, 9, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0.5)
# fmt: on
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GIVEN = tuple(HOMOPHONES)


def check_digit(body: str) -> str:
    """GB 11643's check character for the first 17 digits."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


@dataclass(slots=True)
class Record:
    """One ledger row as the base should hold it (codes, not labels)."""

    id_number: str | None
    name: str
    gender: str  # GB/T 2261.1: 1 male, 2 female
    birth_date: date
    phone: str
    ethnicity: str  # code, 01 = 汉族
    residency: str  # registered, floating, foreign
    hukou_address: str
    duplicate_of: int | None = None  # index of the record this one duplicates (planted)

    @property
    def key(self) -> tuple[str, date, str]:
        return self.name, self.birth_date, self.phone


@dataclass
class Ledger:
    records: list[Record]
    duplicates: int
    by_variant: dict[str, int] = field(default_factory=dict)


def _phone(i: int) -> str:
    # 7919 is coprime with 10**8, so i -> suffix is one-to-one: every person has their own number.
    return MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)] + f"{(i * 7919 + 1234567) % 10**8:08d}"


def _homophone(name: str, rng: random.Random, surname_length: int) -> str:
    positions = [i for i in range(surname_length, len(name)) if name[i] in HOMOPHONES]
    at = rng.choice(positions)
    return name[:at] + rng.choice(HOMOPHONES[name[at]]) + name[at + 1 :]


def make_ledger(count: int, *, seed: int) -> Ledger:
    """``count`` rows, the same for a seed: people with valid ID numbers, a few foreign residents without one,
    and planted duplicates (rows of people already in the file, without an ID number, their name or phone
    varied) such that no two rows share name, birth date and phone (the importer would refuse such a file)."""
    from shequ.registry.seed import ETHNIC_GROUPS

    rng = random.Random(seed)
    surnames = [s for s, _w in SURNAMES]
    surname_weights = [w for _s, w in SURNAMES]
    minorities = [f"{i:02d}" for i in range(2, len(ETHNIC_GROUPS) + 1)]
    duplicates = round(count * DUPLICATE_SHARE)
    originals = count - duplicates
    ids: set[str] = set()
    records: list[Record] = []
    surname_length: list[int] = []
    for i in range(originals):
        surname = rng.choices(surnames, surname_weights)[0]
        given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.25 else 2))
        age = (rng.choices(range(len(AGE_BANDS)), AGE_BANDS)[0] * 5) + rng.randrange(5)
        born = BORN_BY - timedelta(days=age * 365 + rng.randrange(365))
        gender = rng.choice("12")
        phone = _phone(i) if rng.random() < 0.92 else ""
        ethnicity = "01" if rng.random() < 0.91 else rng.choice(minorities)
        if rng.random() < FOREIGN_SHARE:
            name = rng.choice(FOREIGN_NAMES)
            records.append(Record(None, name, gender, born, _phone(i), "", "foreign", ""))
            surname_length.append(len(name))
            continue
        local = rng.random() < 0.65
        areas = LOCAL_AREAS if local else OTHER_AREAS
        area = rng.choice(list(areas))
        address = f"{areas[area]}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
        if rng.random() < 0.5:
            address += f"{rng.randrange(1, 30)}栋{rng.randrange(1, 30)}{rng.randrange(1, 8):02d}室"
        while True:
            sequence = rng.randrange(500) * 2 + (1 if gender == "1" else 0)
            body = f"{area}{born:%Y%m%d}{sequence:03d}"
            number = body + check_digit(body)
            if number not in ids:
                ids.add(number)
                break
        residency = "registered" if local else "floating"
        records.append(Record(number, surname + given, gender, born, phone, ethnicity, residency, address))
        surname_length.append(len(surname))
    keys = {r.key for r in records}
    by_variant = {"homophone, same phone": 0, "same name, another phone": 0, "homophone, no phone": 0}
    variants = list(by_variant)
    next_phone = originals
    planted = 0
    while planted < duplicates:
        at = rng.randrange(originals)
        original = records[at]
        if original.id_number is None or original.duplicate_of is not None:
            continue
        variant = variants[planted % 3]
        if variant == "same name, another phone":
            name, phone = original.name, _phone(next_phone)
            next_phone += 1
        else:
            name = _homophone(original.name, rng, surname_length[at])
            phone = original.phone if variant == "homophone, same phone" else ""
        copy = Record(
            None,
            name,
            original.gender,
            original.birth_date,
            phone,
            original.ethnicity,
            original.residency,
            original.hukou_address,
            duplicate_of=at,
        )
        if copy.key in keys:
            continue
        keys.add(copy.key)
        records.append(copy)
        by_variant[variant] += 1
        planted += 1
    # Shuffle, keeping duplicate_of pointing at the right rows.
    order = list(range(len(records)))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    shuffled = [records[old] for old in order]
    for r in shuffled:
        if r.duplicate_of is not None:
            r.duplicate_of = position[r.duplicate_of]
    return Ledger(shuffled, planted, by_variant)


RESIDENCY_LABELS = {"registered": "户籍人口", "floating": "流动人口", "foreign": "境外人员"}


def write_csv(records: list[Record], path: Path) -> None:
    """The ledger as a department would send it: labels, not codes; dates written two ways."""
    from shequ.registry.seed import ETHNIC_GROUPS

    ethnicity = {f"{i:02d}": label for i, label in enumerate(ETHNIC_GROUPS, start=1)}
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        for n, r in enumerate(records, start=1):
            born = (
                r.birth_date.isoformat()
                if n % 5
                else f"{r.birth_date.year}年{r.birth_date.month}月{r.birth_date.day}日"
            )
            writer.writerow(
                [
                    n,
                    r.id_number or "",
                    r.name,
                    "男" if r.gender == "1" else "女",
                    born,
                    r.phone,
                    ethnicity.get(r.ethnicity, ""),
                    RESIDENCY_LABELS[r.residency],
                    r.hukou_address,
                ]
            )


# --- the database's own bulk load -----------------------------------------------------------------------


def bulk_load(table: str, columns: list[str], rows: Iterable[tuple]) -> float:
    """Load rows into a table the fastest plain way the database offers; returns the seconds it took.

    PostgreSQL: ``COPY ... FROM STDIN`` through psycopg. SQLite has no COPY: one ``executemany`` INSERT in one
    transaction (what its own ``.import`` does)."""
    from django.db import connection, transaction

    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({placeholders})", rows)
    return time.perf_counter() - started


PERSON_COLUMNS = [
    "id_number",
    "name",
    "gender",
    "birth_date",
    "phone",
    "ethnicity",
    "residency",
    "hukou_address",
    "note",
    "name_initials",
    "id_tail",
    "id_index",
    "merged_into_id",
    "created_at",
    "updated_at",
]


def person_rows(records: list[Record]) -> list[tuple]:
    """The very column values the importer writes for these records (search keys included, the ID number
    encrypted and its blind index), as the driver takes them."""
    from django.db import connection

    from shequ.core import clock, crypto
    from shequ.registry.matching import name_keys
    from shequ.registry.models import Person

    now = Person._meta.get_field("created_at").get_db_prep_save(clock.now(), connection)
    born = Person._meta.get_field("birth_date")
    return [
        (
            crypto.encrypt(r.id_number) if r.id_number else None,
            r.name,
            r.gender,
            born.get_db_prep_save(r.birth_date, connection),
            r.phone,
            r.ethnicity,
            r.residency,
            r.hukou_address,
            "",
            name_keys(r.name).initials[:30],
            (r.id_number or "")[-4:],
            crypto.blind_index(r.id_number) if r.id_number else None,
            None,
            now,
            now,
        )
        for r in records
    ]


def empty_people() -> None:
    """Remove the baseline's rows so the importer starts from the same empty table."""
    from django.db import connection

    from shequ.registry.models import Person

    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")
        else:
            cursor.execute(f"DELETE FROM {table}")


def analyze() -> None:
    """Planner statistics after loading a million rows (PostgreSQL's autovacuum would gather them soon after;
    SQLite gathers them only when asked)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


# --- the benchmark ---------------------------------------------------------------------------------------


@dataclass
class Latency:
    """Latencies of one kind of query (milliseconds), for the parent's latency table."""

    backend: str
    name: str
    count: int
    median_ms: float
    p99_ms: float
    baseline_median_ms: float | None = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class Outcome:
    figures: list[Figure] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    skips: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)


def run(
    backend: str,
    world: Any,
    *,
    people: int,
    import_rows: int | None = None,
    queries: int,
    seconds: float,
    seed: int,
    var_dir: Path,
    say: Callable,
) -> Outcome:
    """``people`` in the base for resolving and searching; the first ``import_rows`` of them (all by default)
    come in through the importer, the rest through the bulk load (when the importer cannot take them all in
    the time there is)."""
    from django.db import connection

    from shequ.registry.importing import import_file
    from shequ.registry.models import Change, LedgerSource, Person

    outcome = Outcome()
    started = time.perf_counter()
    ledger = make_ledger(people, seed=seed)
    imported_records = ledger.records[: min(import_rows or people, people)]
    rest = ledger.records[len(imported_records) :]
    path = var_dir / "people-ledger.csv"
    write_csv(imported_records, path)
    outcome.context["ledger"] = {
        "rows": len(imported_records),
        "people": len(ledger.records),
        "planted_duplicates": ledger.duplicates,
        "variants": ledger.by_variant,
        "bytes": path.stat().st_size,
        "generate_seconds": round(time.perf_counter() - started, 1),
    }
    say(
        f"  ledger: {len(imported_records):,} rows to import, {len(rest):,} more people to bulk-load, "
        f"{ledger.duplicates:,} planted duplicates, {path.stat().st_size:,} B"
    )

    # The baseline first, on the empty table, then emptied again for the importer.
    rows = person_rows(imported_records)
    load_seconds = bulk_load(Person._meta.db_table, PERSON_COLUMNS, rows)
    loaded = Person.objects.count()
    del rows
    empty_people()
    how = (
        "COPY registry_person FROM STDIN (psycopg)"
        if connection.vendor == "postgresql"
        else "SQLite has no COPY: one executemany INSERT in one transaction"
    )
    baseline = Figure(
        backend,
        "registry",
        "bulk load of the same rows into registry_person",
        loaded,
        load_seconds,
        unit="rows/s",
        note=f"baseline: {how}; values prepared beforehand (not timed); no Change rows",
    )
    say(f"  bulk load: {loaded:,} rows in {load_seconds:.1f} s")

    source = LedgerSource.objects.create(name="公安实有人口台账（基准）", department="公安")
    changes_before = Change.objects.count()
    say(f"  import_file: {len(imported_records):,} rows ...")
    started = time.perf_counter()
    report = import_file(path, source=source, by=None, dry_run=False)
    import_seconds = time.perf_counter() - started
    change_rows = Change.objects.count() - changes_before
    if not report.ok:
        first = "; ".join(f"row {f.row} {f.column}: {f.reason}" for f in report.rejections[:3])
        raise SystemExit(f"the generated ledger was refused ({report.rejected:,} rows), e.g. {first}")
    imported = Figure(
        backend,
        "registry",
        "import_file() of a people ledger (CSV)",
        report.total,
        import_seconds,
        unit="rows/s",
        note=(
            f"created {report.created:,}, updated {report.updated:,}, merged {report.merged:,}, rejected "
            f"{report.rejected:,}; {change_rows:,} Change rows written; reading, checking, matching, writing in "
            f"1 transaction; worker's peak RSS {peak_rss_gb():.1f} GB"
        ),
    )
    outcome.figures += [baseline, compare(imported, baseline)]
    say(f"  import_file: {report.total:,} rows in {import_seconds:.1f} s, {change_rows:,} Change rows")
    if rest:
        rest_seconds = bulk_load(Person._meta.db_table, PERSON_COLUMNS, person_rows(rest))
        outcome.context["bulk_loaded_people"] = {"rows": len(rest), "seconds": round(rest_seconds, 1)}
        say(f"  the other {len(rest):,} people bulk-loaded in {rest_seconds:.1f} s (no Change rows)")

    started = time.perf_counter()
    homes = place_people(ledger, seed=seed)
    analyze()
    outcome.context["residences"] = {"rows": len(homes), "seconds": round(time.perf_counter() - started, 1)}
    say(f"  residences: {len(homes):,} rows in {outcome.context['residences']['seconds']} s (with ANALYZE)")

    resolve(backend, ledger, homes, outcome, say=say)
    search(backend, world, homes, outcome, queries=queries, seconds=seconds, seed=seed, say=say)
    return outcome


def place_people(ledger: Ledger, *, seed: int) -> dict[int, tuple[int, int]]:
    """Put everyone in a home of the district (households of 1-4 in one dwelling; a planted duplicate in the
    dwelling of the person it duplicates), as Residence rows written in bulk.
    Returns record index -> (person pk, dwelling pk)."""
    from django.db import connection

    from shequ.core.crypto import blind_index
    from shequ.geo.models import Dwelling
    from shequ.registry.models import Person, Residence

    rng = random.Random(seed + 7)
    pks_by_index: dict[str, int] = {}  # by the ID number's blind index: the number itself is encrypted
    pks_by_key: dict[tuple, int] = {}
    for pk, index, name, born, phone in Person.objects.values_list("pk", "id_index", "name", "birth_date", "phone"):
        if index:
            pks_by_index[index] = pk
        else:
            pks_by_key[(name, born, phone)] = pk
    dwellings = list(Dwelling.objects.filter(use=Dwelling.Use.HOME).order_by("pk").values_list("pk", flat=True))
    if not dwellings:
        dwellings = list(Dwelling.objects.order_by("pk").values_list("pk", flat=True))
    homes: dict[int, tuple[int, int]] = {}
    rows: list[tuple] = []
    start_field = Residence._meta.get_field("start")

    def add(index: int, dwelling: int, role: str) -> None:
        r = ledger.records[index]
        pk = pks_by_index[blind_index(r.id_number)] if r.id_number else pks_by_key[r.key]
        homes[index] = (pk, dwelling)
        since = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
        rows.append((pk, dwelling, None, role, start_field.get_db_prep_save(since, connection), None))

    household: list[int] = []
    size = 0
    for index, r in enumerate(ledger.records):
        if r.duplicate_of is not None:
            continue
        if not household or len(household) >= size:
            household, size = [], rng.choices((1, 2, 3, 4), (30, 30, 25, 15))[0]
            dwelling = rng.choice(dwellings)
            add(index, dwelling, "tenant" if r.residency != "registered" else "owner")
        else:
            add(index, dwelling, "family")
        household.append(index)
    for index, r in enumerate(ledger.records):
        if r.duplicate_of is not None:
            add(index, homes[r.duplicate_of][1], "family")
    bulk_load(Residence._meta.db_table, ["person_id", "dwelling_id", "household_id", "role", "start", "end"], rows)
    return homes


def _resolution_counts(result: Any) -> str:
    """What resolve_identities() says it did, whatever shape its answer has."""
    if result is None:
        return ""
    if isinstance(result, dict):
        items = result.items()
    elif hasattr(result, "__dataclass_fields__"):
        items = ((k, getattr(result, k)) for k in result.__dataclass_fields__)
    else:
        return str(result)
    shown = []
    for k, v in items:
        if isinstance(v, bool | int):
            shown.append(f"{k} {v:,}")
        elif isinstance(v, float):
            shown.append(f"{k} {v:,.1f}")
        elif not isinstance(v, list | dict):
            shown.append(f"{k} {v}")
    return ", ".join(shown)


def resolve(backend: str, ledger: Ledger, homes: dict[int, tuple[int, int]], outcome: Outcome, *, say) -> None:
    from shequ.registry.models import MatchCandidate, MatchStatus, Merge, Person

    try:
        from shequ.registry.resolution import resolve_identities
    except ImportError as error:
        reason = f"identity resolution skipped: shequ.registry.resolution.resolve_identities is missing ({error})"
        outcome.skips.append(f"{backend}: SKIPPED {reason}")
        say(f"SKIPPED {reason}")
        return

    # Baseline: one plain read of every person's matching fields (resolution has to look at each at least once).
    started = time.perf_counter()
    fields = ("pk", "id_index", "name", "birth_date", "phone", "gender", "hukou_address")  # as merging reads them
    read = sum(1 for _ in Person.objects.current().values_list(*fields).iterator(chunk_size=10_000))
    read_seconds = time.perf_counter() - started
    baseline = Figure(
        backend,
        "registry",
        "read every person's matching fields",
        read,
        read_seconds,
        unit="people/s",
        note="baseline: Person.objects.current().values_list(...).iterator(), no scoring",
    )

    people = Person.objects.current().count()
    say(f"  resolve_identities over {people:,} people ...")
    started = time.perf_counter()
    result = resolve_identities()
    resolve_seconds = time.perf_counter() - started

    merged_into = dict(Person.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    queued = set(MatchCandidate.objects.filter(status=MatchStatus.PENDING).values_list("first_id", "second_id"))
    planted_merged = planted_queued = 0
    for index, r in enumerate(ledger.records):
        if r.duplicate_of is None:
            continue
        dup, original = homes[index][0], homes[r.duplicate_of][0]
        if merged_into.get(dup) == original or merged_into.get(original) == dup:
            planted_merged += 1
        elif (min(dup, original), max(dup, original)) in queued:
            planted_queued += 1
    merges = Merge.objects.filter(undone_at__isnull=True).count()
    said = _resolution_counts(result)
    missed = ledger.duplicates - planted_merged - planted_queued
    figure = Figure(
        backend,
        "registry",
        "resolve_identities() over everyone",
        people,
        resolve_seconds,
        unit="people/s",
        note=(
            f"{merges:,} merged, {len(queued):,} queued for review; of {ledger.duplicates:,} planted duplicates "
            f"{planted_merged:,} merged and {planted_queued:,} queued, {missed:,} missed"
            + (f"; it reported: {said}" if said else "")
        ),
    )
    outcome.figures += [baseline, compare(figure, baseline)]
    outcome.context["resolution"] = {
        "people": people,
        "seconds": round(resolve_seconds, 1),
        "merged": merges,
        "queued": len(queued),
        "planted": ledger.duplicates,
        "planted_merged": planted_merged,
        "planted_queued": planted_queued,
    }
    say(f"  resolve_identities: {resolve_seconds:.1f} s; {figure.note}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _time_each(items: list, step: Callable, *, seconds: float) -> list[float]:
    """Seconds per call of ``step(item)``, until the items or the time run out."""
    timings: list[float] = []
    deadline = time.perf_counter() + seconds
    for item in items:
        started = time.perf_counter()
        step(item)
        timings.append(time.perf_counter() - started)
        if started >= deadline:
            break
    return timings


def search(
    backend: str,
    world: Any,
    homes: dict[int, tuple[int, int]],
    outcome: Outcome,
    *,
    queries: int,
    seconds: float,
    seed: int,
    say,
) -> None:
    from shequ.access.models import Role, User
    from shequ.registry.models import Person

    try:
        from shequ.registry.search import search_people
    except ImportError as error:
        reason = f"search skipped: shequ.registry.search.search_people is missing ({error})"
        outcome.skips.append(f"{backend}: SKIPPED {reason}")
        say(f"SKIPPED {reason}")
        return

    admin = User(username="bench-admin", name="基准管理员", role=Role.ADMIN)
    admin.set_unusable_password()
    admin.save()
    rng = random.Random(seed + 11)
    current = set(Person.objects.current().values_list("pk", flat=True))
    placed = [(pk, dwelling) for pk, dwelling in homes.values() if pk in current]
    # The staff of the community where a random person lives search people of their own community.
    sample = rng.sample(placed, min(len(placed), queries))
    users = [("admin", admin, sample)]
    community = _community_of(sample[0][1])
    staff = next((u for u in world.desk_staff.values() if u.region_id == community), None)
    if staff is None:
        outcome.skips.append(f"{backend}: SKIPPED scoped search: no community staff for community {community}")
    else:
        neighbours = _people_of_community(community, placed)
        outcome.context["search"] = {"community": staff.region.code, "people_in_community": len(neighbours)}
        users.append(("community staff", staff, rng.sample(neighbours, min(queries, len(neighbours)))))

    for label, user, targets in users:
        details = _details([pk for pk, _d in targets])
        cases = _queries(details)
        pks = [pk for pk, _d in targets]
        lookups = _time_each(pks, lambda pk: Person.objects.get(pk=pk), seconds=seconds)
        baseline = _latency_figure(
            backend, f"Person by primary key ({label})", lookups, "baseline: Person.objects.get(pk=...)"
        )
        outcome.figures.append(baseline)
        base_latency = Latency(
            backend, baseline.name, len(lookups), _ms(statistics.median(lookups)), _ms(_percentile(lookups, 0.99))
        )
        outcome.latencies.append(base_latency)
        for kind, qs in cases.items():
            timings, found, hit = _run_queries(search_people, user, qs, seconds=seconds)
            figure = _latency_figure(
                backend,
                f"search_people: {kind} ({label})",
                timings,
                f"{statistics.mean(found) if found else 0:.1f} results on average (limit 20); the person sought "
                f"among them for {hit:,}/{len(timings):,}",
            )
            outcome.figures.append(compare(figure, baseline))
            outcome.latencies.append(
                Latency(
                    backend,
                    figure.name,
                    len(timings),
                    _ms(statistics.median(timings)),
                    _ms(_percentile(timings, 0.99)),
                    base_latency.median_ms,
                )
            )
        say(f"  search as {label}: {len(cases)} kinds of query, {len(targets)} each")


def _run_queries(
    search_people: Callable, user: Any, cases: list[tuple[int, str]], *, seconds: float
) -> tuple[list[float], list[int], int]:
    """Time each query; also count the results and how often the person sought is among them."""
    found: list[int] = []
    hits = 0

    def one(case: tuple[int, str]) -> None:
        nonlocal hits
        pk, q = case
        results = list(search_people(user, q, limit=20))
        found.append(len(results))
        hits += any(getattr(p, "pk", p) == pk for p in results)

    return _time_each(cases, one, seconds=seconds), found, hits


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _latency_figure(backend: str, name: str, timings: list[float], note: str) -> Figure:
    median, p99 = (statistics.median(timings), _percentile(timings, 0.99)) if timings else (0.0, 0.0)
    return Figure(
        backend,
        "search",
        name,
        len(timings),
        sum(timings),
        unit="queries/s",
        note=(
            f"{note}; median {_ms(median):.2f} ms, p99 {_ms(p99):.2f} ms"
            if note.startswith("baseline")
            else f"median {_ms(median):.2f} ms, p99 {_ms(p99):.2f} ms; {note}"
        ),
    )


_communities: dict[int, int] = {}


def _community_of(dwelling: int) -> int:
    """The community (region id) a dwelling's grid belongs to."""
    from shequ.geo.models import Dwelling

    if dwelling not in _communities:
        grid = Dwelling.objects.select_related("building__grid").get(pk=dwelling).building.grid
        _communities[dwelling] = grid.parent_id
    return _communities[dwelling]


def _people_of_community(community: int, placed: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """People living in the community, found through the dwellings of its grids (one query, not one per person)."""
    from shequ.geo.models import Dwelling

    dwellings = set(Dwelling.objects.filter(building__grid__parent_id=community).values_list("pk", flat=True))
    return [(pk, d) for pk, d in placed if d in dwellings]


def _details(pks: list[int]) -> list[dict]:
    from shequ.registry.models import Person, Residence

    people = {p.pk: p for p in Person.objects.filter(pk__in=pks)}
    where = {
        r.person_id: r.dwelling
        for r in Residence.objects.filter(person_id__in=pks, end__isnull=True).select_related("dwelling__building")
    }
    return [{"person": people[pk], "dwelling": where.get(pk)} for pk in pks if pk in people]


def _queries(details: list[dict]) -> dict[str, list[tuple[int, str]]]:
    """Per kind of query, (the person sought, what is typed) for each sampled person who has that value."""
    cases: dict[str, list[tuple[int, str]]] = {
        "name prefix": [],
        "pinyin initials": [],
        "phone": [],
        "ID suffix (4)": [],
        "full ID": [],
        "address": [],
    }
    for d in details:
        p = d["person"]
        cases["name prefix"].append((p.pk, p.name[:2]))
        if p.name_initials:
            cases["pinyin initials"].append((p.pk, p.name_initials))
        if p.phone:
            cases["phone"].append((p.pk, p.phone))
        if p.id_number:
            cases["ID suffix (4)"].append((p.pk, p.id_number[-4:]))
            cases["full ID"].append((p.pk, p.id_number))
        if d["dwelling"] is not None:
            cases["address"].append((p.pk, f"{d['dwelling'].building.address}{d['dwelling'].room}"))
    return cases
