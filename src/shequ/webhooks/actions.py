"""Every write to a subscription or a delivery. One transaction, one timeline row (``SubscriptionEntry``) and one
audit entry per action; each change of the subscriptions moves the outbox's version so every process reloads.

    create -> active <-> paused (by hand, or after N failed tries in a row: the owner is told) ; edit ; delete
    rotate_secret: a new signing secret, shown once
    replay: a delivery goes out once more, with the same idempotency key and body

Who: street and district dispatchers (with an area) and administrators, for subscriptions whose areas all lie
inside their own area; only administrators (who see everything) may leave the areas empty (the whole platform).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import Role, Unit, User
from shequ.access.scopes import area_prefix
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.events.models import Category, Channel, Status
from shequ.events.rules import RULES
from shequ.geo.models import Region

from . import outbox
from .models import DUE_STATUSES, Delivery, DeliveryStatus, OwnerNotice, State, Subscription, SubscriptionEntry

log = logging.getLogger(__name__)

MANAGER_ROLES = (Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER)
# Accounts a subscription may send as: never a resident's or a statistics-only account.
OWNER_REFUSED = (Role.RESIDENT, Role.DATA_USER)
# Timeline actions a filter may name: the loop's rules, and the rows actions write under their own names.
EXTRA_ACTIONS = (
    "report",
    "to_street_desk",
    "verify_pass",
    "verify_fail",
    "extension_approved",
    "extension_refused",
    "overdue",
    "repeat",
)


def action_codes() -> list[str]:
    skip = {"verify", "decide_extension"}  # written as verify_pass/verify_fail, extension_approved/refused
    return [a for a in RULES if a not in skip] + [a for a in EXTRA_ACTIONS if a not in RULES]


def may_manage_any(user: User) -> bool:
    """Street and district dispatchers with an area, and administrators."""
    if not user.is_authenticated:
        return False
    return user.sees_everything or (user.role in MANAGER_ROLES and user.region_id is not None)


def covers_subscription(user: User, sub: Subscription) -> bool:
    if not may_manage_any(user):
        return False
    if user.sees_everything:
        return True
    prefix = area_prefix(user)
    codes = [r.code for r in sub.areas.all()]
    return bool(prefix) and bool(codes) and all(code.startswith(prefix or "") for code in codes)


@dataclass(frozen=True, kw_only=True)
class SubscriptionInput:
    name: str
    url: str
    owner: User | None
    owner_unit: Unit | None = None
    categories: Sequence[Category] = ()
    areas: Sequence[Region] = ()
    units: Sequence[Unit] = ()
    channels: Sequence[str] = ()
    actions: Sequence[str] = field(default_factory=tuple)
    statuses: Sequence[str] = ()


def _check(by: User, data: SubscriptionInput) -> None:
    name = data.name.strip()
    if not name:
        raise InvalidInput(_("Give the subscription a name."), code="name_required", field="name")
    if len(name) > 100:
        raise InvalidInput(_("The name is longer than 100 characters."), code="name_too_long", field="name")
    parts = urlsplit(data.url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            _("The target URL must start with http:// or https:// and name a host."), code="bad_url", field="url"
        )
    if len(data.url.strip()) > 500:
        raise InvalidInput(_("The target URL is longer than 500 characters."), code="bad_url", field="url")
    owner = data.owner
    if owner is None or not owner.is_active:
        raise InvalidInput(_("Choose an active account to send as."), code="owner_required", field="owner")
    if owner.role in OWNER_REFUSED and not owner.is_superuser:
        raise InvalidInput(
            _("A subscription cannot send as a resident's or a statistics account."), code="bad_owner", field="owner"
        )
    bad = sorted(set(data.channels) - set(Channel.values))
    if bad:
        raise InvalidInput(_("Unknown channel %(v)s.") % {"v": ", ".join(bad)}, code="bad_channel", field="channels")
    bad = sorted(set(data.actions) - set(action_codes()))
    if bad:
        raise InvalidInput(_("Unknown action %(v)s.") % {"v": ", ".join(bad)}, code="bad_action", field="actions")
    bad = sorted(set(data.statuses) - set(Status.values))
    if bad:
        raise InvalidInput(_("Unknown status %(v)s.") % {"v": ", ".join(bad)}, code="bad_status", field="statuses")
    if not by.sees_everything:
        prefix = area_prefix(by) or ""
        if not data.areas:
            raise InvalidInput(
                _("Choose at least one area inside your own: only administrators subscribe to everything."),
                code="areas_required",
                field="areas",
            )
        outside = [r.name for r in data.areas if not prefix or not r.code.startswith(prefix)]
        if outside:
            raise InvalidInput(
                _("These areas are outside your own: %(names)s.") % {"names": "、".join(outside)},
                code="area_outside",
                field="areas",
            )


def _require_manager(by: User, sub: Subscription | None = None) -> None:
    if sub is None and not may_manage_any(by):
        raise PermissionDenied(_("You may not manage webhook subscriptions."))
    if sub is not None and not covers_subscription(by, sub):
        raise PermissionDenied(_("You may not manage this subscription."))


def _entry(
    sub: Subscription, action: str, *, by: User | None, note: str = "", delivery: Delivery | None = None
) -> None:
    SubscriptionEntry.objects.create(
        subscription=sub, action=action, actor=by, note=note[:500], delivery=delivery, at=clock.now()
    )
    audit.record("write", actor=by, target=sub, detail={"action": f"webhook.{action}"})


def _apply(sub: Subscription, data: SubscriptionInput) -> None:
    sub.name = data.name.strip()
    sub.url = data.url.strip()
    sub.owner = data.owner  # type: ignore[assignment]  # checked: not None
    sub.owner_unit = data.owner_unit
    sub.channels = sorted(set(data.channels))
    sub.actions = sorted(set(data.actions))
    sub.statuses = sorted(set(data.statuses))
    sub.updated_at = clock.now()
    sub.save()
    sub.categories.set(data.categories)
    sub.areas.set(data.areas)
    sub.units.set(data.units)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def create(*, by: User, data: SubscriptionInput) -> tuple[Subscription, str]:
    """A new active subscription; returns it and its signing secret (shown once)."""
    _require_manager(by)
    _check(by, data)
    secret = new_secret()
    sub = Subscription(secret=secret, created_by=by, created_at=clock.now())
    _apply(sub, data)
    _entry(sub, "create", by=by)
    outbox.changed()
    return sub, secret


@transaction.atomic
def update(sub: Subscription, *, by: User, data: SubscriptionInput) -> Subscription:
    _require_manager(by, sub)
    _check(by, data)
    sub = Subscription.objects.select_for_update().get(pk=sub.pk)
    _apply(sub, data)
    _entry(sub, "edit", by=by)
    outbox.changed()
    return sub


@transaction.atomic
def delete(sub: Subscription, *, by: User) -> None:
    """Gone with its delivery log; the audit trail keeps who did it."""
    _require_manager(by, sub)
    audit.record("write", actor=by, target=sub, detail={"action": "webhook.delete", "name": sub.name})
    sub.delete()
    outbox.changed()


@transaction.atomic
def rotate_secret(sub: Subscription, *, by: User) -> str:
    """A new signing secret from now on (tries still due sign with it too); returns it, shown once."""
    _require_manager(by, sub)
    secret = new_secret()
    Subscription.objects.filter(pk=sub.pk).update(secret=secret, updated_at=clock.now())
    _entry(sub, "rotate_secret", by=by)
    return secret


@transaction.atomic
def pause(sub: Subscription, *, by: User, reason: str = "") -> Subscription:
    _require_manager(by, sub)
    sub = Subscription.objects.select_for_update().get(pk=sub.pk)
    if sub.state == State.PAUSED:
        raise InvalidTransition(_("The subscription is already paused."), code="already_paused")
    sub.state, sub.paused_at = State.PAUSED, clock.now()
    sub.paused_reason = (reason.strip() or _("Paused by hand."))[:300]
    sub.updated_at = sub.paused_at
    sub.save(update_fields=["state", "paused_at", "paused_reason", "updated_at"])
    _entry(sub, "pause", by=by, note=sub.paused_reason)
    outbox.changed()
    return sub


@transaction.atomic
def resume(sub: Subscription, *, by: User) -> Subscription:
    """Active again, failures counted from 0; the deliveries that waited go out with the next send."""
    _require_manager(by, sub)
    sub = Subscription.objects.select_for_update().get(pk=sub.pk)
    if sub.state == State.ACTIVE:
        raise InvalidTransition(_("The subscription is not paused."), code="not_paused")
    sub.state, sub.paused_at, sub.paused_reason, sub.failure_count = State.ACTIVE, None, "", 0
    sub.updated_at = clock.now()
    sub.save(update_fields=["state", "paused_at", "paused_reason", "failure_count", "updated_at"])
    _entry(sub, "resume", by=by)
    outbox.changed()
    transaction.on_commit(outbox.schedule_send)
    return sub


@transaction.atomic
def replay(delivery: Delivery, *, by: User) -> Delivery:
    """One more try of a delivery (sent, failed or dead), due now: same idempotency key, same body."""
    sub = delivery.subscription
    _require_manager(by, sub)
    if sub.state != State.ACTIVE:
        raise InvalidTransition(
            _("The subscription is paused: resume it first, then replay."), code="subscription_paused"
        )
    now = clock.now()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now)
    delivery.refresh_from_db()
    _entry(sub, "replay", by=by, delivery=delivery, note=delivery.key)
    transaction.on_commit(outbox.schedule_send)
    return delivery


def pause_for_failures(sub: Subscription) -> None:
    """Called by the sender (inside its transaction, the row locked) at the threshold: pause and tell."""
    now = clock.now()
    reason = _("%(n)s failed tries in a row.") % {"n": sub.failure_count}
    sub.state, sub.paused_at, sub.paused_reason, sub.updated_at = State.PAUSED, now, reason, now
    sub.save(update_fields=["state", "paused_at", "paused_reason", "updated_at"])
    _entry(sub, "auto_pause", by=None, note=reason)
    waiting = Delivery.objects.filter(subscription=sub, status__in=DUE_STATUSES).count()
    text = _(
        "Webhook subscription “%(name)s” was paused after %(n)s failed tries in a row (last: %(url)s). "
        "%(waiting)s deliveries are waiting; fix the receiver, then resume it."
    ) % {"name": sub.name, "n": sub.failure_count, "url": sub.url, "waiting": waiting}
    tell(sub, text)
    outbox.changed()


def people_to_tell(sub: Subscription) -> list[User]:
    """The owner account, the unit's active people, and whoever made the subscription."""
    people: dict[int, User] = {}
    candidates = [sub.owner, sub.created_by]
    if sub.owner_unit_id:
        candidates += list(User.objects.filter(unit_id=sub.owner_unit_id, is_active=True))
    for person in candidates:
        if person is not None and person.is_active:
            people[person.pk] = person
    return list(people.values())


def tell(sub: Subscription, text: str) -> int:
    """An in-platform notice to each person, and an email where they have an address (after commit)."""
    people = people_to_tell(sub)
    OwnerNotice.objects.bulk_create([OwnerNotice(user=p, subscription=sub, text=text[:500]) for p in people])
    emails = [p.email for p in people if p.email]
    if emails:
        subject = _("Webhook subscription paused: %(name)s") % {"name": sub.name}
        transaction.on_commit(lambda: _mail(subject, text, emails))
    return len(people)


def _mail(subject: str, text: str, emails: list[str]) -> None:
    try:
        send_mail(subject, text, None, emails, fail_silently=False)
    except Exception:  # the in-platform notice is there; a mail server down must not undo anything
        log.exception("could not email the owners of a paused webhook subscription")


@transaction.atomic
def mark_read(*, user: User) -> int:
    return OwnerNotice.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())
