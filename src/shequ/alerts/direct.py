"""An alert to a few named recipients at once, with no composing and no two-person approval: a device alarm (smoke,
gas, an emergency button) at a dwelling must reach its residents and grid worker within seconds.

It uses the same rows and channels as a composed alert: one ``Alert`` (approved, Restricted scope, so it is in no
public feed; ``fanned_out_at`` set, so the area is never fanned out), one ``Delivery`` per recipient and channel
(the portal banner and inbox read the in-app rows; SMS rows go through ``send_deliveries`` and the gateway), and an
``AlertEntry`` saying who asked. Calling it again with the same ``key`` returns the alert already made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Person

from .models import Alert, AlertEntry, Delivery, DeliveryChannel, DeliveryStatus, Scope, State

SENDER = "shequ-direct"


@transaction.atomic
def notify(
    *,
    key: str,
    headline: str,
    description: str,
    instruction: str,
    region: Region,
    area_desc: str,
    event: str,
    people: Iterable[Person] = (),
    phones: Iterable[str] = (),
    category: str = "Safety",
    sender_name: str = "",
    hours: int = 2,
    note: str = "",
) -> Alert:
    """Deliver now to ``people`` (in the portal if they have an account, and by SMS) and to ``phones`` (SMS)."""
    existing = Alert.objects.filter(sender=SENDER, identifier=key).first()
    if existing is not None:
        return existing
    now = clock.now()
    alert = Alert.objects.create(
        identifier=key[:200],
        sender=SENDER,
        sent=now,
        scope=Scope.RESTRICTED,
        category=category,
        event=event[:100],
        response_type="Execute",
        urgency="Immediate",
        severity="Severe",
        certainty="Observed",
        sender_name=sender_name[:100],
        headline=headline[:160],
        description=description,
        instruction=instruction,
        effective=now,
        expires=now + timedelta(hours=hours),
        area_desc=area_desc[:200],
        area_code=region.code,
        state=State.APPROVED,
        approved_at=now,
        created_at=now,
        updated_at=now,
        fanned_out_at=now,
    )
    alert.regions.set([region])
    rows: list[Delivery] = []
    sms: set[str] = set()
    for person in people:
        common = {"alert": alert, "person": person, "grid_code": region.code, "created_at": now}
        if person.account_id:
            rows.append(
                Delivery(
                    **common,
                    channel=DeliveryChannel.IN_APP,
                    status=DeliveryStatus.DELIVERED,
                    sent_at=now,
                    delivered_at=now,
                )
            )
        if person.phone:
            sms.add(person.phone)
            rows.append(Delivery(**common, channel=DeliveryChannel.SMS, address=person.phone, next_attempt_at=now))
    for phone in phones:
        if phone and phone not in sms:
            sms.add(phone)
            rows.append(
                Delivery(
                    alert=alert,
                    grid_code=region.code,
                    channel=DeliveryChannel.SMS,
                    address=phone,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    AlertEntry.objects.create(alert=alert, action="direct", from_state="", to_state=alert.state, note=note, at=now)
    if sms:
        from .tasks import send_deliveries  # tasks imports delivery, which builds on the events app

        transaction.on_commit(send_deliveries.enqueue)
    return alert
