"""Reference data the community app starts with: volunteer skills (editable in the admin)."""

from __future__ import annotations

from typing import Any

SKILLS = [
    ("companionship", "陪伴照护"),
    ("medical", "医疗护理"),
    ("first_aid", "应急救护"),
    ("legal", "法律咨询"),
    ("repair", "家电维修"),
    ("tutoring", "课业辅导"),
    ("smartphone", "智能手机教学"),
    ("photography", "摄影宣传"),
    ("driving", "驾驶接送"),
    ("arts", "文艺表演"),
    ("counselling", "心理疏导"),
    ("sorting", "垃圾分类指导"),
]


def seed(apps: Any, schema_editor: Any = None) -> None:
    Skill = apps.get_model("community", "Skill")
    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})
