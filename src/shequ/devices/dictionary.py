"""The device messages' personal fields in the data dictionary (L3: masked below L3 clearance, deleted after the
retention period). Upserted by a migration; safe to run again."""

from __future__ import annotations

from typing import Any

FIELDS = {
    "device_message.plate": ("车牌号码", "L3", "道闸识别的车牌；保留期满删除"),
    "device_message.person_ref": (
        "门禁通行人员",
        "L3",
        "门禁通行记录中人员在基础库中的编号（不存人脸图像）；保留期满删除",
    ),
    "device_message.snapshot": ("抓拍引用", "L3", "厂商平台中抓拍图像的引用，平台不存图像；保留期满删除"),
}


def seed(apps: Any) -> None:
    Field = apps.get_model("registry", "Field")
    for name, (label, level, description) in FIELDS.items():
        Field.objects.update_or_create(
            name=name,
            defaults={
                "label": label,
                "type": "text",
                "sensitivity": level,
                "owner": "物业、社区",
                "required": False,
                "visible_to_property": False,
                "description": description,
            },
        )
