"""A starting rule table (the demo loads it; a deployment may too: ``default_rules()``), on the event catalog's
categories where they exist (data/catalog.json). Rules whose category is missing are left out."""

from __future__ import annotations

from typing import Any

from shequ.events.models import Category, Level

from . import actions
from .actions import RuleInput
from .models import DeviceType, Operator, Rule, RuleAction

RULES: list[dict[str, Any]] = [
    {"name": "烟感报警", "message_type": "smoke", "field": "level", "operator": Operator.EQUALS, "value": "alarm",
     "category": "0405", "level": "critical", "emergency": True, "quiet_minutes": 30, "daily_limit": 5},
    {"name": "可燃气体超限", "message_type": "gas", "field": "value", "operator": Operator.ABOVE, "value": "20",
     "category": "0401", "level": "critical", "emergency": True, "quiet_minutes": 30, "daily_limit": 5},
    {"name": "紧急呼叫", "message_type": "button", "category": "0801", "level": "critical", "emergency": True,
     "quiet_minutes": 10, "daily_limit": 10},
    {"name": "电动车进电梯", "message_type": "ebike", "field": "detected", "operator": Operator.TRUE,
     "category": "0602", "level": "urgent", "quiet_minutes": 60, "daily_limit": 3},
    {"name": "高空抛物", "message_type": "falling_object", "category": "0603", "level": "urgent",
     "quiet_minutes": 60, "daily_limit": 3},
    {"name": "独居老人用水异常", "message_type": "reading", "device_type": DeviceType.WATER_METER,
     "operator": Operator.ZERO_FOR_DAYS, "period": 2, "action": RuleAction.CARE_TASK, "elderly_only": True,
     "quiet_minutes": 1440, "daily_limit": 1},
    {"name": "独居老人久未活动", "message_type": "motion", "operator": Operator.SILENT_FOR_HOURS, "period": 12,
     "action": RuleAction.CARE_TASK, "elderly_only": True, "quiet_minutes": 720, "daily_limit": 1},
]  # fmt: skip


def default_rules() -> list[Rule]:
    made = []
    for spec in RULES:
        if Rule.objects.filter(name=spec["name"]).exists():
            continue
        fields = dict(spec)
        category = Category.objects.filter(code=fields.pop("category", "")).first()
        level = Level.objects.filter(code=fields.pop("level", "")).first()
        if fields.get("action", RuleAction.EVENT) == RuleAction.EVENT and category is None:
            continue
        made.append(actions.save_rule(by=None, data=RuleInput(**fields, category=category, level=level)))
    return made
