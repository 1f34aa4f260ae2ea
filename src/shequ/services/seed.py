"""What the services app adds to the shared catalogues, upserted by code (running it again changes nothing):

- the data dictionary's ``application.*`` fields (what affairs' forms ask beyond the base's person fields) and
  ``aid.*`` fields (the columns of an aid ledger), with their code tables;
- two person tags: 卧床 (bedridden, for the needs list) and 已故 (deceased: the base records a death as this tag
  from the day of death, so the aid checks find aid paid after it);
- the aid kinds and which exclude which; the visit interval per risk level;
- the common affairs of the catalogue (``AFFAIRS``): created when missing, never overwritten (staff edit them).

``seed(apps)`` takes an app registry, like ``registry.seed``, so the data migration runs it on historical models.
"""

from __future__ import annotations

from typing import Any

CODE_TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "disability_grade": ("残疾等级", [("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级")]),
    "aid_scope": ("救助对象", [("person", "个人"), ("household", "家庭")]),
}

# name -> (label, type, code table, sensitivity, owner, description)
FIELDS: dict[str, tuple[str, str, str | None, str, str, str]] = {
    "application.reason": ("申请事由", "text", None, "L2", "社区", ""),
    "application.purpose": ("证明用途", "text", None, "L2", "社区", "如：子女入学、办理居住证"),
    "application.reside_since": ("在本社区居住起始日期", "date", None, "L2", "社区", ""),
    "application.household_size": ("家庭人口数", "text", None, "L2", "民政", ""),
    "application.income": ("家庭月人均收入（元）", "text", None, "L3", "民政", ""),
    "application.disability_card": ("残疾人证号", "text", None, "L3", "残联", ""),
    "application.disability_grade": ("残疾等级", "code", "disability_grade", "L3", "残联", ""),
    "application.venue_day": ("预约日期", "date", None, "L1", "社区", ""),
    "application.venue_slot": ("预约时段", "text", None, "L1", "社区", "事项设定的时段之一"),
    "application.attendees": ("参加人数", "text", None, "L1", "社区", ""),
    "application.activity": ("活动内容", "text", None, "L1", "社区", ""),
    "aid.kind": ("救助类型", "text", None, "L3", "民政", "救助类型的名称或代码，如：低保、特困供养"),
    "aid.amount": ("金额（元）", "text", None, "L3", "民政", "实物救助可空"),
    "aid.start": ("开始日期", "date", None, "L2", "民政", ""),
    "aid.end": ("结束日期", "date", None, "L2", "民政", "空：持续发放；一次性救助同开始日期"),
    "aid.department": ("发放部门", "text", None, "L2", "民政", "部门名称或代码；空：台账来源的部门"),
    "aid.scope": ("发放对象", "code", "aid_scope", "L2", "民政", "个人或家庭（空：个人）"),
    "aid.note": ("救助备注", "text", None, "L2", "民政", ""),
}
REQUIRED = {"aid.kind", "aid.start"}

# code -> (name, sensitivity, owner)
TAGS: dict[str, tuple[str, str, str]] = {
    "bedridden": ("卧床失能", "L3", "民政"),
    "deceased": ("已故", "L2", "民政"),
}

# code -> (name, short name); EXCLUSIONS: pairs that are duplicates when they overlap (a kind may exclude itself).
AID_KINDS: dict[str, tuple[str, str]] = {
    "dibao": ("最低生活保障", "低保"),
    "tekun": ("特困人员供养", "特困"),
    "linshi": ("临时救助", "临时救助"),
    "gaoling": ("高龄津贴", "高龄津贴"),
    "canji": ("残疾人两项补贴", "残疾补贴"),
    "cishan": ("慈善救助", "慈善救助"),
    "jieri": ("节日慰问", "节日慰问"),
}
EXCLUSIONS = [("dibao", "tekun"), ("dibao", "dibao"), ("tekun", "tekun"), ("gaoling", "gaoling"), ("canji", "canji")]

INTERVALS = {"high": 7, "medium": 14, "low": 30}

_ID = {"key": "id_card", "label": "身份证（正反面）", "required": True}
_BASE = ["person.name", "person.id_number", "person.phone"]
# The common affairs (网上办事事项): code -> Affair fields.
AFFAIRS: dict[str, dict[str, Any]] = {
    "juzhu": {
        "name": "居住证明",
        "description": "证明申请人居住在本社区，用于子女入学、办理居住证等。",
        "fields": [*_BASE, "person.hukou_address", "application.purpose"],
        "attachments": [_ID],
        "review_levels": ["community"],
        "time_limit_days": 3,
        "result": "certificate",
        "certificate_title": "居住证明",
        "certificate_text": "兹证明{name}（公民身份号码：{id_number}）现居住在{address}，系{community}居民。\n"
        "本证明用于{purpose}。",
    },
    "kunnan": {
        "name": "困难补助申请",
        "description": "家庭生活遇到临时困难的居民申请补助，社区初审、街道审批。",
        "fields": [*_BASE, "application.household_size", "application.income", "application.reason"],
        "attachments": [_ID, {"key": "income", "label": "家庭收入证明", "required": True}],
        "review_levels": ["community", "street"],
        "time_limit_days": 15,
        "result": "decision",
    },
    "gaoling": {
        "name": "高龄津贴申请",
        "description": "80周岁以上老年人申领高龄津贴。",
        "fields": [*_BASE, "person.birth_date"],
        "attachments": [_ID],
        "review_levels": ["community", "street"],
        "time_limit_days": 10,
        "result": "decision",
    },
    "youdai": {
        "name": "老年优待证",
        "description": "60周岁以上老年人办理优待证，凭证享受公交、景区等优待。",
        "fields": [*_BASE, "person.birth_date"],
        "attachments": [_ID, {"key": "photo", "label": "一寸免冠照片", "required": True}],
        "review_levels": ["community"],
        "time_limit_days": 5,
        "result": "certificate",
        "certificate_title": "老年人优待证明",
        "certificate_text": "{name}（公民身份号码：{id_number}）为本辖区60周岁以上老年人，凭本证明享受本市老年人优待。",
    },
    "canji": {
        "name": "残疾人两项补贴",
        "description": "困难残疾人生活补贴和重度残疾人护理补贴，社区受理、街道审核、区残联审批。",
        "fields": [*_BASE, "application.disability_card", "application.disability_grade", "application.income"],
        "optional_fields": ["application.income"],
        "attachments": [_ID, {"key": "disability_card", "label": "残疾人证", "required": True}],
        "review_levels": ["community", "street", "district"],
        "time_limit_days": 20,
        "result": "decision",
    },
    "changdi": {
        "name": "场地预约",
        "description": "预约社区活动室开展居民活动。",
        "fields": [
            "person.name",
            "person.phone",
            "application.venue_day",
            "application.venue_slot",
            "application.attendees",
            "application.activity",
        ],
        "review_levels": ["community"],
        "time_limit_days": 2,
        "result": "booking",
        "venue": "社区党群服务中心活动室",
        "slots": ["09:00-12:00", "14:00-17:00", "19:00-21:00"],
    },
    "wufanzui": {
        "name": "无犯罪记录证明协查函",
        "description": "社区出具协查函，申请人持函到派出所申请开具无犯罪记录证明。",
        "fields": [*_BASE, "application.purpose"],
        "attachments": [_ID],
        "review_levels": ["community"],
        "time_limit_days": 5,
        "result": "certificate",
        "certificate_title": "无犯罪记录证明协查函",
        "certificate_text": "{name}（公民身份号码：{id_number}）现居住在{address}。因{purpose}需要，"
        "请协助查询其有无犯罪记录。",
    },
}


def seed(apps: Any) -> None:
    CodeTable = apps.get_model("registry", "CodeTable")
    CodeItem = apps.get_model("registry", "CodeItem")
    Field = apps.get_model("registry", "Field")
    Tag = apps.get_model("registry", "Tag")
    AidKind = apps.get_model("services", "AidKind")
    VisitInterval = apps.get_model("services", "VisitInterval")
    tables = {}
    for code, (name, items) in CODE_TABLES.items():
        tables[code], _ = CodeTable.objects.update_or_create(code=code, defaults={"name": name})
        for order, (item, label) in enumerate(items):
            CodeItem.objects.update_or_create(
                table=tables[code], code=item, defaults={"label": label, "order": order, "active": True}
            )
    for name, (label, type_, table, level, owner, description) in FIELDS.items():
        Field.objects.update_or_create(
            name=name,
            defaults={
                "label": label,
                "type": type_,
                "code_table": tables[table] if table else None,
                "sensitivity": level,
                "owner": owner,
                "required": name in REQUIRED,
                "visible_to_property": False,
                "description": description,
            },
        )
    for code, (name, level, owner) in TAGS.items():
        Tag.objects.update_or_create(
            code=code, defaults={"name": name, "sensitivity": level, "applies_to": "person", "owner": owner}
        )
    kinds = {
        code: AidKind.objects.update_or_create(code=code, defaults={"name": name, "short": short})[0]
        for code, (name, short) in AID_KINDS.items()
    }
    for a, b in EXCLUSIONS:
        kinds[a].excludes.add(kinds[b])
    for risk, days in INTERVALS.items():
        VisitInterval.objects.get_or_create(risk=risk, defaults={"days": days})


def seed_affairs(apps: Any) -> None:
    """The common affairs, created when missing (a staff member's edits stay)."""
    Affair = apps.get_model("services", "Affair")
    for order, (code, values) in enumerate(AFFAIRS.items()):
        Affair.objects.get_or_create(code=code, defaults={**values, "order": order})
