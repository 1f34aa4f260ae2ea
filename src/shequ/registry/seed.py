"""The seeded code tables, data dictionary and tag catalog.

``seed(apps)`` takes an app registry so the data migration can run it on historical models and tests or commands on
the live ones (``django.apps.apps``). It upserts by code, so running it again changes nothing.
"""

from __future__ import annotations

from typing import Any

ETHNIC_GROUPS = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]

# code -> (name, standard, [(item code, label)])
CODE_TABLES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "gender": ("性别", "GB/T 2261.1-2003", [("0", "未知的性别"), ("1", "男"), ("2", "女"), ("9", "未说明的性别")]),
    "ethnicity": (
        "民族",
        "GB/T 3304-1991",
        [(f"{i:02d}", name) for i, name in enumerate(ETHNIC_GROUPS, start=1)]
        + [("97", "其他"), ("98", "外国血统中国籍人士")],
    ),
    "residency": ("人口类型", "", [("registered", "户籍人口"), ("floating", "流动人口"), ("foreign", "境外人员")]),
    "residence_role": ("居住关系", "", [("owner", "业主"), ("tenant", "租户"), ("family", "家庭成员")]),
    "organization_type": (
        "单位类型",
        "",
        [
            ("enterprise", "企业"),
            ("individual", "个体工商户"),
            ("school", "学校"),
            ("ngo", "社会组织"),
            ("property", "物业公司"),
            ("government", "机关事业单位"),
        ],
    ),
}

# name -> (label, type, code table, sensitivity, owner, required, visible to property, description)
FIELDS: dict[str, tuple[str, str, str | None, str, str, bool, bool, str]] = {
    "person.id_number": ("公民身份号码", "id_number", None, "L4", "公安", False, False, "18位，GB 11643 校验码"),
    "person.name": ("姓名", "text", None, "L3", "公安", True, True, ""),
    "person.gender": ("性别", "code", "gender", "L2", "公安", False, False, "GB/T 2261.1"),
    "person.birth_date": ("出生日期", "date", None, "L3", "公安", False, False, "与公民身份号码一致"),
    "person.phone": ("联系电话", "phone", None, "L3", "社区", False, True, "手机或带区号的固定电话"),
    "person.ethnicity": ("民族", "code", "ethnicity", "L2", "民政", False, False, "GB/T 3304"),
    "person.residency": ("人口类型", "code", "residency", "L2", "公安", False, False, "户籍、流动、境外"),
    "person.hukou_address": ("户籍地址", "text", None, "L3", "公安", False, False, ""),
    "person.note": ("备注", "text", None, "L2", "社区", False, False, ""),
    "person.tags": ("人员标签", "tags", None, "L3", "民政", False, False, "每个标签另有自己的分级，以标签为准"),
    "organization.credit_code": (
        "统一社会信用代码",
        "credit_code",
        None,
        "L1",
        "市场监管",
        False,
        True,
        "18位，GB 32100 校验码",
    ),
    "organization.name": ("单位名称", "text", None, "L1", "市场监管", True, True, ""),
    "organization.type": ("单位类型", "code", "organization_type", "L1", "市场监管", False, True, ""),
    "organization.premises": ("经营场所", "reference", None, "L2", "社区", False, True, "所在房屋"),
    "organization.address": ("地址", "text", None, "L1", "市场监管", False, True, ""),
    "organization.contact_name": ("联系人", "text", None, "L2", "社区", False, True, ""),
    "organization.contact_phone": ("联系电话", "phone", None, "L3", "社区", False, True, ""),
    "organization.legal_representative": ("法定代表人", "text", None, "L2", "市场监管", False, False, ""),
    "organization.note": ("备注", "text", None, "L2", "社区", False, False, ""),
    "organization.tags": ("单位标签", "tags", None, "L2", "社区", False, False, "每个标签另有自己的分级，以标签为准"),
    "residence.dwelling": ("居住房屋", "reference", None, "L3", "社区", True, True, "地址，L3"),
    "residence.role": ("居住关系", "code", "residence_role", "L2", "社区", True, True, ""),
    "residence.start": ("入住日期", "date", None, "L2", "社区", True, False, ""),
    "residence.end": ("迁出日期", "date", None, "L2", "社区", False, False, ""),
    # Where someone works says where they are found, as a dwelling does: the same levels as the residence's fields.
    # Not for property companies: they look after buildings, not after who works where.
    "employment.organization": ("工作单位", "reference", None, "L3", "社区", True, False, "所在单位，L3"),
    "employment.position": ("职务", "text", None, "L2", "社区", False, False, ""),
    "employment.start": ("入职日期", "date", None, "L2", "社区", True, False, ""),
    "employment.end": ("离职日期", "date", None, "L2", "社区", False, False, ""),
    "household.number": ("户号", "text", None, "L3", "公安", False, False, ""),
    "household.head": ("户主", "reference", None, "L3", "公安", False, False, ""),
}

# code -> (name, sensitivity, applies to, owner)
TAGS: dict[str, tuple[str, str, str, str]] = {
    "elderly_alone": ("独居老人", "L3", "person", "民政"),
    "empty_nest": ("空巢老人", "L3", "person", "民政"),
    "disabled": ("残疾人", "L3", "person", "残联"),
    "low_income": ("低保", "L3", "person", "民政"),
    "veteran": ("退役军人", "L2", "person", "退役军人事务"),
    "left_behind_child": ("留守儿童", "L3", "person", "民政"),
    "community_correction": ("社区矫正", "L4", "person", "司法"),
    "severe_mental_disorder": ("严重精神障碍", "L4", "person", "卫健"),
    "drug_rehab": ("社区戒毒康复", "L4", "person", "公安"),
    "key_place": ("重点场所", "L2", "organization", "应急管理"),
    "hazardous_chemicals": ("危化品经营", "L2", "organization", "应急管理"),
    "crowded_place": ("人员密集场所", "L2", "organization", "消防"),
    "rental_housing": ("出租屋", "L2", "organization", "公安"),
}


def seed(apps: Any) -> None:
    CodeTable = apps.get_model("registry", "CodeTable")
    CodeItem = apps.get_model("registry", "CodeItem")
    Field = apps.get_model("registry", "Field")
    Tag = apps.get_model("registry", "Tag")
    tables = {}
    for code, (name, standard, items) in CODE_TABLES.items():
        table, _ = CodeTable.objects.update_or_create(code=code, defaults={"name": name, "standard": standard})
        tables[code] = table
        for order, (item_code, label) in enumerate(items):
            CodeItem.objects.update_or_create(
                table=table, code=item_code, defaults={"label": label, "order": order, "active": True}
            )
    for name, (label, type_, table_code, level, owner, required, visible, description) in FIELDS.items():
        Field.objects.update_or_create(
            name=name,
            defaults={
                "label": label,
                "type": type_,
                "code_table": tables[table_code] if table_code else None,
                "sensitivity": level,
                "owner": owner,
                "required": required,
                "visible_to_property": visible,
                "description": description,
            },
        )
    for code, (name, level, applies_to, owner) in TAGS.items():
        Tag.objects.update_or_create(
            code=code, defaults={"name": name, "sensitivity": level, "applies_to": applies_to, "owner": owner}
        )
