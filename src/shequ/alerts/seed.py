"""The alert templates every deployment starts with (the data migration and tests call ``seed``)."""

from __future__ import annotations

TEMPLATES = [
    {
        "code": "typhoon",
        "name": "台风预警",
        "category": "Met",
        "event": "台风",
        "response_type": "Shelter",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "台风预警：请做好防风准备",
        "description": "受台风影响，预计未来24小时本辖区将出现10级以上大风和强降雨。",
        "instruction": "请收好阳台花盆等易坠物品，加固门窗；非必要不外出，远离广告牌、大树和临时建筑；"
        "居住在危房、低洼地带的居民请听从社区安排转移。",
        "hours_valid": 48,
    },
    {
        "code": "rainstorm",
        "name": "暴雨预警",
        "category": "Met",
        "event": "暴雨",
        "response_type": "Avoid",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "暴雨预警：注意防范城市内涝",
        "description": "预计未来6小时本辖区降雨量将达50毫米以上，低洼路段、地下车库可能积水。",
        "instruction": "请勿进入地下通道、地下车库等低洼区域，车辆及时移至高处；远离河道、边坡；"
        "如遇险情请拨打110或联系社区。",
        "hours_valid": 12,
    },
    {
        "code": "gas-leak",
        "name": "燃气泄漏",
        "category": "Safety",
        "event": "燃气泄漏",
        "response_type": "Evacuate",
        "urgency": "Immediate",
        "severity": "Extreme",
        "certainty": "Observed",
        "headline": "燃气泄漏：请立即疏散",
        "description": "本区域发生燃气泄漏，抢修人员正在现场处置。",
        "instruction": "请勿开关电器、勿使用明火和手机，立即打开门窗并沿楼梯撤离至空旷处；"
        "行动不便的居民请原地等待，网格员将上门协助。",
        "hours_valid": 6,
    },
    {
        "code": "water-cut",
        "name": "停水通知",
        "category": "Infra",
        "event": "计划停水",
        "response_type": "Prepare",
        "urgency": "Future",
        "severity": "Minor",
        "certainty": "Observed",
        "headline": "停水通知：请提前储水",
        "description": "因供水管网维修，本区域将暂停供水，恢复时间另行通知。",
        "instruction": "请提前储备生活用水，停水期间关闭水龙头，恢复供水初期水质浑浊请放水片刻后使用。",
        "hours_valid": 24,
    },
    {
        "code": "missing-person",
        "name": "寻人启事",
        "category": "Rescue",
        "event": "人员走失",
        "response_type": "Monitor",
        "urgency": "Immediate",
        "severity": "Moderate",
        "certainty": "Observed",
        "headline": "寻人：请协助寻找走失人员",
        "description": "（请填写走失人员的姓名、年龄、体貌特征、衣着和最后出现的地点与时间）",
        "instruction": "如发现相关线索，请立即拨打110或联系社区，不要自行采取行动。",
        "hours_valid": 72,
    },
]


def seed(apps) -> None:
    AlertTemplate = apps.get_model("alerts", "AlertTemplate")
    for row in TEMPLATES:
        AlertTemplate.objects.update_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
