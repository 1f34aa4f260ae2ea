"""Every write of online affairs. One transaction and one ``ApplicationEntry`` per step, ``audit.record`` for each.

    submit (resident, or staff at the counter: 代办) -> submitted
    accept (community desk)                          -> reviewing at the affair's first level
    return_for_material (with what is missing)       -> returned -> resubmit -> submitted
    review (a reviewer of the current level)         -> the next level, or approved after the last
    refuse (any reviewer or the desk, with a reason) -> refused
    withdraw (the applicant, while open)             -> withdrawn

Approval makes the result: a certificate (number, verification code, content) or a booking. At acceptance the
answers the applicant gave for person fields (missing or stale in the base) go into the base through
``registry.actions.update_person`` (collect once), by the accepting staff member, citing the application.
Deadlines count working days from submission (``core.worktime``); ``mark_overdue`` flags those past it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.collection.actions import FormInvalid, parse_answers
from shequ.core import clock, worktime
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.notices import attachments as files_check
from shequ.registry.actions import Source, update_person
from shequ.registry.models import Person, SourceKind

from ..models import (
    Affair,
    Application,
    ApplicationAttachment,
    ApplicationEntry,
    AppStatus,
    Booking,
    Certificate,
    ResultKind,
)
from . import certificates, queries

MAX_FILES_PER_MATERIAL = 5
# What an application's material may be: PDF, or a photo of a paper (JPEG, PNG).
MATERIAL_EXTENSIONS = frozenset({".pdf", ".jpg", ".jpeg", ".png"})
NOTE_MAX = 1000


def _entry(app: Application, action: str, *, by: User | None, from_status: str, note: str = "", proxy=False) -> None:
    ApplicationEntry.objects.create(
        application=app,
        action=action,
        actor=by,
        proxy=proxy,
        from_status=from_status,
        to_status=app.status,
        level=queries.level_of(app) if app.status == AppStatus.REVIEWING else "",
        note=note[:NOTE_MAX],
        at=clock.now(),
    )
    audit.record("write", actor=by, target=app, detail={"action": f"application.{action}", "to": app.status})


def _lock(app: Application) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("affair", "community").get(pk=app.pk)


def _save(app: Application, *fields: str) -> None:
    app.updated_at = clock.now()
    app.save(update_fields=[*fields, "updated_at"])


# --- the applicant's side -------------------------------------------------------------------------------------


Checked = list[tuple[str, UploadedFile, str]]  # material key, file, content type


def _check_files(affair: Affair, files: Mapping[str, Sequence[UploadedFile]], *, all_required: bool) -> Checked:
    """Every file of a material the affair asks for, of an allowed type (from its bytes) and size."""
    checked: Checked = []
    materials = {m["key"]: m for m in affair.attachments}
    unknown = sorted(set(k for k, v in files.items() if v) - set(materials))
    if unknown:
        raise InvalidInput(_("This affair asks for no such material."), code="attachment_unknown", field=unknown[0])
    for key, material in materials.items():
        given = list(files.get(key, ()))
        if all_required and material.get("required") and not given:
            raise InvalidInput(
                _("Attach %(material)s.") % {"material": material["label"]}, code="attachment_required", field=key
            )
        if len(given) > MAX_FILES_PER_MATERIAL:
            raise InvalidInput(
                _("At most %(n)s files for %(material)s.")
                % {"n": MAX_FILES_PER_MATERIAL, "material": material["label"]},
                code="attachment_count",
                field=key,
            )
        for upload in given:
            try:
                content_type = files_check.check(
                    upload,
                    extensions=MATERIAL_EXTENSIONS,
                    limit=settings.SHEQU_SERVICES_ATTACHMENT_MAX_BYTES,
                    allowed=_("PDF, JPEG or PNG"),
                )
            except InvalidInput as e:
                raise InvalidInput(e.message, code=e.code, field=key) from None
            checked.append((key, upload, content_type))
    return checked


def _store_files(app: Application, checked: Checked, *, by: User) -> None:
    for key, upload, content_type in checked:
        ApplicationAttachment.objects.create(
            application=app,
            key=key,
            file=upload,
            name=(upload.name or "").rsplit("/", 1)[-1][:200],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=by,
            created_at=clock.now(),
        )


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _answers(form: queries.Form, values: Mapping[str, str]) -> dict[str, str]:
    """The asked fields' answers, checked one by one (every error at once) and for presence; by dictionary name."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    try:
        parsed = parse_answers(form.asks, values)
    except FormInvalid as e:
        errors = dict(e.errors)
    optional = set(form.affair.optional_fields)
    for ask in form.asks:
        if ask.name not in errors and ask.field.name not in optional and parsed.get(ask.name) in (None, ""):
            errors[ask.name] = _("%(field)s is required.") % {"field": ask.field.label}
    if not errors and form.affair.result == ResultKind.BOOKING:
        errors.update(_booking_errors(form.affair, parsed))
    if errors:
        raise FormInvalid(errors)
    return {ask.field.name: _as_text(parsed.get(ask.name)) for ask in form.asks}


def _booking_errors(affair: Affair, parsed: dict[str, Any]) -> dict[str, str]:
    day, slot = parsed.get("venue_day"), parsed.get("venue_slot")
    if not isinstance(day, date) or day < clock.now().date():
        return {"venue_day": _("Choose a day from today on.")}
    if slot not in affair.slots:
        return {"venue_slot": _("Choose one of the listed time slots.")}
    if slot in queries.booked_slots(affair, day):
        return {"venue_slot": _("This time slot is already booked: choose another.")}
    return {}


def _number(prefix: str, pk: int, at: datetime) -> str:
    return f"{prefix}{timezone.localtime(at):%Y%m%d}{pk:06d}"


@transaction.atomic
def submit(
    *,
    affair: Affair,
    applicant: Person,
    by: User,
    values: Mapping[str, str],
    files: Mapping[str, Sequence[UploadedFile]] | None = None,
) -> Application:
    """A new application: the applicant's home in the district, every asked field answered (the base's known
    values are not asked), every required material attached and of an allowed type and size. A resident applies
    for their own person; staff of the applicant's area apply on their behalf (代办, recorded as such)."""
    files = files or {}
    if not affair.active:
        raise InvalidInput(_("This affair is not offered now."), code="affair_inactive")
    if not queries.may_apply_for(by, applicant):
        raise PermissionDenied(_("You may not apply for this person."), code="not_applicant")
    form = queries.form_for(affair, applicant)
    if form.home is None:
        raise InvalidInput(
            _("The community base has no home of yours in the district: ask the community to register it."),
            code="no_home",
        )
    answers = _answers(form, values)
    checked = _check_files(affair, files, all_required=True)
    grid = form.home.dwelling.building.grid
    if grid.parent_id is None:
        raise InvalidInput(_("Your grid belongs to no community: ask the community to correct it."), code="no_home")
    now = clock.now()
    proxy = by.is_staff_role
    app = Application.objects.create(
        number=uuid.uuid4().hex[:30],
        affair=affair,
        applicant=applicant,
        submitted_by=by,
        proxy=proxy,
        community_id=grid.parent_id,
        area_code=grid.code,
        answers=json.dumps(answers, ensure_ascii=False),
        deadline=worktime.add_working_days(now, affair.time_limit_days),
        submitted_at=now,
        updated_at=now,
    )
    app.number = _number("BS", app.pk, now)
    app.save(update_fields=["number"])
    _store_files(app, checked, by=by)
    note = _("Submitted at the counter by %(staff)s on the applicant's behalf.") % {"staff": by} if proxy else ""
    _entry(app, "submit", by=by, from_status="", note=note, proxy=proxy)
    return app


@transaction.atomic
def resubmit(
    app: Application, *, by: User, values: Mapping[str, str], files: Mapping[str, Sequence[UploadedFile]] | None = None
) -> Application:
    """补正: after a return, the applicant (or staff for them) answers again and adds material; the time limit
    starts again."""
    files = files or {}
    app = _lock(app)
    if not queries.may_apply_for(by, app.applicant):
        raise PermissionDenied(_("You may not change this application."), code="not_applicant")
    if app.status != AppStatus.RETURNED:
        raise InvalidTransition(_("Only an application returned for more material can be resubmitted."))
    form = queries.form_for(app.affair, app.applicant)
    merged = {**queries.answers_of(app)}
    given = {a.field.name: a for a in form.asks}
    text = {ask.name: values.get(ask.name, merged.get(name, ask.value)) for name, ask in given.items()}
    merged.update(_answers(form, text))
    checked = _check_files(app.affair, files, all_required=False)
    now = clock.now()
    app.answers = json.dumps(merged, ensure_ascii=False)
    app.status, app.missing, app.overdue = AppStatus.SUBMITTED, "", False
    app.deadline = worktime.add_working_days(now, app.affair.time_limit_days)
    _save(app, "answers", "status", "missing", "overdue", "deadline")
    _store_files(app, checked, by=by)
    _entry(app, "resubmit", by=by, from_status=AppStatus.RETURNED, proxy=by.is_staff_role)
    return app


@transaction.atomic
def withdraw(app: Application, *, by: User, reason: str = "") -> Application:
    app = _lock(app)
    if not queries.may_apply_for(by, app.applicant) or by.is_staff_role:
        raise PermissionDenied(_("Only the applicant can withdraw an application."), code="not_applicant")
    if not app.is_open:
        raise InvalidTransition(_("This application is already closed."))
    from_status, app.status, app.closed_at = app.status, AppStatus.WITHDRAWN, clock.now()
    _save(app, "status", "closed_at")
    _entry(app, "withdraw", by=by, from_status=from_status, note=reason.strip())
    return app


# --- the community desk and the reviewers -----------------------------------------------------------------------


def _collected(app: Application, *, by: User) -> None:
    """Write the person fields the applicant answered into the base (only those that differ)."""
    answers = queries.answers_of(app)
    wanted = {n.split(".", 1)[1]: v for n, v in answers.items() if n.startswith("person.")}
    if not wanted:
        return
    form = queries.form_for(app.affair, app.applicant)
    asks = [a for a in form.asks if a.field.name in answers and a.field.record == "person"]
    parsed = parse_answers(asks, {a.name: wanted.get(a.name, a.value) for a in asks})
    person = Person.objects.select_for_update().get(pk=app.applicant_id)
    changes = {k: v for k, v in parsed.items() if _as_text(getattr(person, k)) != _as_text(v)}
    if changes:
        update_person(person, by=by, source=Source(SourceKind.MANUAL, f"application:{app.number}"), **changes)


@transaction.atomic
def accept(app: Application, *, by: User, note: str = "") -> Application:
    """受理: the material is complete; the application goes to its first review level. The answers for missing or
    stale person fields go into the base now."""
    app = _lock(app)
    if not queries.may_accept(by, app):
        raise PermissionDenied(_("Only the applicant's community accepts this application."), code="not_desk")
    if app.status != AppStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted application can be accepted."))
    try:
        _collected(app, by=by)
    except (FormInvalid, InvalidInput) as e:
        message = e.message if not isinstance(e, FormInvalid) else "；".join(e.errors.values())
        raise InvalidInput(
            _("The answers cannot go into the community base: %(reason)s Return it for correction.")
            % {"reason": message},
            code="answers_invalid",
        ) from None
    app.status, app.level, app.accepted_at = AppStatus.REVIEWING, 0, clock.now()
    _save(app, "status", "level", "accepted_at")
    _entry(app, "accept", by=by, from_status=AppStatus.SUBMITTED, note=note.strip())
    return app


@transaction.atomic
def return_for_material(app: Application, *, by: User, missing: str) -> Application:
    """退回补正: say exactly what is missing; the applicant adds it and submits again."""
    missing = (missing or "").strip()
    if not missing:
        raise InvalidInput(_("Say what is missing."), code="missing_required", field="missing")
    app = _lock(app)
    if not queries.may_accept(by, app):
        raise PermissionDenied(_("Only the applicant's community accepts this application."), code="not_desk")
    if app.status != AppStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted application can be returned for more material."))
    app.status, app.missing = AppStatus.RETURNED, missing[:NOTE_MAX]
    _save(app, "status", "missing")
    _entry(app, "return", by=by, from_status=AppStatus.SUBMITTED, note=missing)
    return app


@transaction.atomic
def review(app: Application, *, by: User, note: str = "") -> Application:
    """审核通过 at the current level: on to the next level, or, after the last, approved with its result."""
    app = _lock(app)
    if app.status != AppStatus.REVIEWING:
        raise InvalidTransition(_("This application is not under review."))
    if not queries.may_review(by, app):
        raise PermissionDenied(_("You do not review this application at its current level."), code="not_reviewer")
    level = queries.level_of(app)
    if app.level + 1 < len(app.affair.levels()):
        app.level += 1
        _save(app, "level")
        _entry(app, "review", by=by, from_status=AppStatus.REVIEWING, note=note.strip() or level)
        return app
    app.status, app.closed_at = AppStatus.APPROVED, clock.now()
    _save(app, "status", "closed_at")
    _result(app)
    _entry(app, "approve", by=by, from_status=AppStatus.REVIEWING, note=note.strip())
    return app


@transaction.atomic
def refuse(app: Application, *, by: User, reason: str) -> Application:
    """不予通过, with the reason the applicant reads: by a reviewer of the current level, or by the desk before
    acceptance."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for refusing."), code="reason_required", field="reason")
    app = _lock(app)
    allowed = queries.may_review(by, app) or (app.status == AppStatus.SUBMITTED and queries.may_accept(by, app))
    if app.status not in (AppStatus.SUBMITTED, AppStatus.REVIEWING):
        raise InvalidTransition(_("This application is already closed."))
    if not allowed:
        raise PermissionDenied(_("You do not review this application at its current level."), code="not_reviewer")
    from_status, app.status, app.reason, app.closed_at = app.status, AppStatus.REFUSED, reason, clock.now()
    _save(app, "status", "reason", "closed_at")
    _entry(app, "refuse", by=by, from_status=from_status, note=reason)
    return app


# --- results --------------------------------------------------------------------------------------------------


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def certificate_content(app: Application) -> dict[str, Any]:
    """What the certificate says, from the base (as it is now) and the application's answers."""
    affair, person = app.affair, app.applicant
    home = queries.home_of(person)
    issued = timezone.localtime(clock.now()).date()
    issuer = f"{app.community.name}居民委员会"
    values = _Blank(
        name=person.name,
        id_number=person.id_number or "",
        address=str(home.dwelling) if home else "",
        community=app.community.name,
        date=f"{issued.year}年{issued.month}月{issued.day}日",
    )
    values.update({n.split(".", 1)[1]: v for n, v in queries.answers_of(app).items()})
    text = (affair.certificate_text or _("This is to certify that {name} lives at {address}.")).format_map(values)
    return {
        "title": affair.certificate_title or affair.name,
        "text": text,
        "holder": person.name,
        "issuer": issuer,
        "date": values["date"],
        "affair": affair.code,
    }


def _result(app: Application) -> None:
    affair = app.affair
    if affair.result == ResultKind.CERTIFICATE:
        content = certificate_content(app)
        number = _number("ZM", app.pk, clock.now())
        Certificate.objects.create(
            application=app,
            number=number,
            code=certificates.code_for(number, content),
            content=json.dumps(content, ensure_ascii=False),
            issued_at=clock.now(),
        )
    elif affair.result == ResultKind.BOOKING:
        answers = queries.answers_of(app)
        try:
            with transaction.atomic():
                Booking.objects.create(
                    application=app,
                    affair=affair,
                    day=date.fromisoformat(answers.get("application.venue_day", "")),
                    slot=answers.get("application.venue_slot", ""),
                )
        except (IntegrityError, ValueError):
            raise InvalidTransition(
                _("The time slot was booked meanwhile: refuse it, giving the reason."), code="slot_taken"
            ) from None


# --- overdue sweep --------------------------------------------------------------------------------------------


def mark_overdue(*, now: datetime | None = None) -> int:
    """Open applications past their deadline become overdue, once each, with one timeline row."""
    now = now or clock.now()
    marked = 0
    found = Application.objects.filter(
        status__in=[AppStatus.SUBMITTED, AppStatus.REVIEWING], overdue=False, deadline__lt=now
    )
    for pk in found.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            app = Application.objects.select_for_update().filter(pk=pk, overdue=False).first()
            if app is None:
                continue
            app.overdue = True
            _save(app, "overdue")
            _entry(app, "overdue", by=None, from_status=app.status, note=_("Past the time limit."))
            marked += 1
    return marked
