"""Online affairs over the API (/api/services/), for the portal's scripts and the mini program: the catalogue, the
smart form for the signed-in resident, applying (answers as JSON; an affair that requires attachments needs the
portal's form for now), applications with their timeline, the desk's and reviewers' steps, and the public check of a
certificate's verification code. Reads go through ``affairs.queries`` (out of scope is a 404, like missing); writes
through ``affairs.actions``."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from shequ.core.errors import InvalidInput, NotFound
from shequ.registry.queries import person_of

from .affairs import actions, queries
from .models import Affair, Application, ResultKind
from .schemas import (
    AffairOut,
    ApplicationDetail,
    ApplicationOut,
    ApplicationPage,
    ApplyIn,
    AskOut,
    EntryOut,
    FormOut,
    KnownOut,
    StepIn,
    VerifyOut,
)
from .views.certificates import check

router = Router(tags=["services"])
PAGE_SIZE = 50
CODE = Path(..., max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
NUMBER = Path(..., max_length=30)


def _affair(a: Affair) -> AffairOut:
    return AffairOut(
        code=a.code,
        name=a.name,
        description=a.description,
        time_limit_days=a.time_limit_days,
        result=a.result,
        review_levels=a.levels(),
        attachments=list(a.attachments),
    )


def _application(app: Application) -> dict:
    certificate = getattr(app, "certificate", None) if app.affair.result == ResultKind.CERTIFICATE else None
    return {
        "number": app.number,
        "affair": app.affair.code,
        "affair_name": app.affair.name,
        "status": app.status,
        "status_label": queries.status_label(app.status),
        "level": queries.level_of(app) if app.is_open else "",
        "proxy": app.proxy,
        "overdue": app.overdue,
        "missing": app.missing,
        "reason": app.reason,
        "deadline": app.deadline,
        "submitted_at": app.submitted_at,
        "certificate_number": certificate.number if certificate else None,
    }


def _detail(app: Application) -> ApplicationDetail:
    entries = [
        EntryOut(action=e.action, to_status=e.to_status, level=e.level, note=e.note, proxy=e.proxy, at=e.at)
        for e in app.timeline.all()
    ]
    return ApplicationDetail(**_application(app), timeline=entries)


@router.get("/affairs", response=list[AffairOut], summary="The affairs offered online")
def list_affairs(request: HttpRequest) -> list[AffairOut]:
    return [_affair(a) for a in queries.affairs()]


@router.get("/affairs/{code}/form", response=FormOut, summary="What applying asks of me (collect once)")
def affair_form(request: HttpRequest, code: str = CODE) -> FormOut:
    affair = queries.get_affair(code)
    person = person_of(request.user)
    if person is None:
        raise NotFound()
    form = queries.form_for(affair, person)
    optional = set(affair.optional_fields)
    return FormOut(
        affair=_affair(affair),
        known=[KnownOut(field=k.field.name, label=k.field.label, value=k.value) for k in form.known],
        asks=[
            AskOut(
                name=a.name,
                field=a.field.name,
                label=a.field.label,
                type=a.field.type,
                value=a.value,
                required=a.field.name not in optional,
                choices=[list(c) for c in (a.choices or [(s, s) for s in affair.slots if a.name == "venue_slot"])],
            )
            for a in form.asks
        ],
        address=form.address,
    )


@router.post("/affairs/{code}/applications", response={201: ApplicationDetail}, summary="Apply for myself")
def apply(request: HttpRequest, body: ApplyIn, code: str = CODE) -> Status:
    affair = queries.get_affair(code)
    person = person_of(request.user)
    if person is None:
        raise InvalidInput(
            _("Your account is not linked to a record of the community base yet: ask your community."), code="no_person"
        )
    app = actions.submit(affair=affair, applicant=person, by=request.user, values=body.values)
    return Status(201, _detail(app))


@router.get("/applications", response=ApplicationPage, summary="Applications I may see (mine, or my area's)")
def list_applications(
    request: HttpRequest, page: int = Query(1, ge=1, le=10_000), status: str = Query("", max_length=20)
) -> ApplicationPage:
    qs = queries.applications_for(request.user)
    if status:
        qs = qs.filter(status=status)
    rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    return ApplicationPage(
        count=qs.count(), page=page, results=[ApplicationOut(**_application(a)) for a in rows[:PAGE_SIZE]]
    )


@router.get("/applications/{number}", response=ApplicationDetail, summary="One application and its timeline")
def get_application(request: HttpRequest, number: str = NUMBER) -> ApplicationDetail:
    return _detail(queries.get_application_for(request.user, number))


STEPS = ("accept", "return", "review", "refuse", "withdraw")


@router.post(
    "/applications/{number}/{step}",
    response=ApplicationDetail,
    summary="A step: accept, return (missing), review, refuse (reason), withdraw",
)
def step(
    request: HttpRequest,
    body: StepIn,
    number: str = NUMBER,
    step: str = Path(..., pattern="^(" + "|".join(STEPS) + ")$"),
) -> ApplicationDetail:
    app = queries.get_application_for(request.user, number)
    user = request.user
    if step == "accept":
        app = actions.accept(app, by=user, note=body.note)
    elif step == "return":
        app = actions.return_for_material(app, by=user, missing=body.missing)
    elif step == "review":
        app = actions.review(app, by=user, note=body.note)
    elif step == "refuse":
        app = actions.refuse(app, by=user, reason=body.reason)
    else:
        app = actions.withdraw(app, by=user, reason=body.reason)
    return _detail(app)


@router.get("/certificates/verify", response=VerifyOut, auth=None, summary="Is this verification code genuine?")
def verify(request: HttpRequest, code: str = Query(..., min_length=1, max_length=60)) -> VerifyOut:
    result = check(code)
    return VerifyOut(
        **{k: str(v) for k, v in result.items() if k in VerifyOut.model_fields and k != "valid"},
        valid=bool(result["valid"]),
    )


def _include() -> None:
    """Orders, care and aid live in their own modules, under the same /api/services/ prefix."""
    from .api_care import router as care_router
    from .api_orders import router as orders_router

    router.add_router("", orders_router)
    router.add_router("", care_router)


_include()
