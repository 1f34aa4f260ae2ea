"""Monthly assessment pages: schemes (the office edits them), months with their ranked scores and timeline,
a score with its items, corrections and appeals. Views parse, call ``scoring`` and render."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError

from . import scoring
from .indicators import INDICATOR, INDICATORS
from .scoring_models import Appeal, AppealStatus, Month, Scheme, SubjectKind

PAGE_SIZE = 50


def _user(request: HttpRequest):
    return request.user


def _month_or_404(request: HttpRequest, pk: int) -> Month:
    user = _user(request)
    month = Month.objects.select_related("scheme").filter(pk=pk).first()
    if month is None or not (scoring.is_office(user) or scoring.scores_for(user).filter(month=month).exists()):
        raise Http404()
    return month


@require_GET
@staff_required
def months_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    office = scoring.is_office(user)
    visible = scoring.scores_for(user).values("month")
    months = Month.objects.select_related("scheme").order_by("-month", "scheme__name")
    if not office:
        months = months.filter(pk__in=visible)
    return render(
        request,
        "assessment/months.html",
        {
            "office": office,
            "schemes": Scheme.objects.prefetch_related("items") if office else Scheme.objects.none(),
            "page": Paginator(months, PAGE_SIZE).get_page(request.GET.get("page")),
            "today": date.today().replace(day=1),
        },
    )


@require_POST
@staff_required
def month_compute(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not scoring.is_office(user):
        raise Http404()
    scheme = Scheme.objects.filter(pk=request.POST.get("scheme") or 0).first()
    try:
        month = date.fromisoformat((request.POST.get("month") or "") + "-01")
    except ValueError:
        month = None
    if scheme is None or month is None:
        messages.error(request, _("Choose a scheme and a month."))
        return redirect("assessment:months")
    try:
        row = scoring.compute(scheme=scheme, month=month, by=user)
    except DomainError as e:
        messages.error(request, e.message)
        return redirect("assessment:months")
    messages.success(request, _("The month is computed."))
    return redirect("assessment:month", pk=row.pk)


@require_GET
@staff_required
def month_page(request: HttpRequest, pk: int) -> HttpResponse:
    month = _month_or_404(request, pk)
    user = _user(request)
    scores = scoring.scores_for(user).filter(month=month).prefetch_related("corrections", "appeals")
    area = request.GET.get("area", "")
    if area:
        scores = scores.filter(area_code__startswith=area)
    changed = scoring.drift(month) if month.frozen else {}
    page = Paginator(scores.order_by("-total", "name"), PAGE_SIZE).get_page(request.GET.get("page"))
    for score in page.object_list:
        score.now_total = changed.get(score.pk)
    return render(
        request,
        "assessment/month.html",
        {
            "month": month,
            "page": page,
            "office": scoring.is_office(user),
            "entries": month.entries.select_related("actor", "score").order_by("at", "id")[:200],
            "items": [INDICATOR[i["indicator"]] for i in month.scheme_snapshot.get("items", [])],
        },
    )


@require_POST
@staff_required
def month_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    month = _month_or_404(request, pk)
    user = _user(request)
    try:
        if action == "review":
            scoring.review(month, by=user, note=request.POST.get("note", ""))
        elif action == "freeze":
            scoring.freeze(month, by=user)
        else:
            raise Http404()
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("assessment:month", pk=month.pk)


@require_GET
@staff_required
def score_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        score = scoring.get_score_for(user, pk)
    except DomainError as e:
        raise Http404(e.message) from e
    items = [{**i, "name": INDICATOR[i["indicator"]].name} for i in score.items]
    return render(
        request,
        "assessment/score.html",
        {
            "score": score,
            "items": items,
            "office": scoring.is_office(user),
            "may_appeal": scoring.is_scored(user, score) and score.month.frozen,
            "appeals": score.appeals.select_related("by", "decided_by").order_by("at", "id"),
            "corrections": score.corrections.select_related("by"),
            "entries": score.entries.select_related("actor").order_by("at", "id"),
            "PENDING": AppealStatus.PENDING,
        },
    )


@require_POST
@staff_required
def score_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        score = scoring.get_score_for(user, pk)
    except DomainError as e:
        raise Http404(e.message) from e
    try:
        scoring.appeal(score, by=user, item=request.POST.get("item", ""), reason=request.POST.get("reason", ""))
        messages.success(request, _("Your appeal is filed."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("assessment:score", pk=score.pk)


@require_POST
@staff_required
def score_correct(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    try:
        score = scoring.get_score_for(user, pk)
        scoring.correct(score, by=user, delta=_number(request.POST.get("delta")), reason=request.POST.get("reason", ""))
        messages.success(request, _("The correction is recorded beside the score."))
    except DomainError as e:
        if e.status == 404:
            raise Http404(e.message) from e
        messages.error(request, e.message)
        return redirect("assessment:score", pk=pk)
    return redirect("assessment:score", pk=score.pk)


@require_POST
@staff_required
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    appeal = Appeal.objects.filter(pk=pk, score__in=scoring.scores_for(user)).first()
    if appeal is None or not scoring.is_office(user):
        raise Http404()
    try:
        scoring.decide(
            appeal,
            by=user,
            accept=request.POST.get("decision") == "accept",
            note=request.POST.get("note", ""),
            points=_number(request.POST.get("points")),
        )
        messages.success(request, _("The appeal is decided."))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("assessment:score", pk=appeal.score_id)


def _number(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


@require_http_methods(["GET", "POST"])
@staff_required
def scheme_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    if not scoring.is_office(user):
        raise Http404()
    scheme = Scheme.objects.filter(pk=pk).first() if pk else None
    if pk and scheme is None:
        raise Http404()
    subject = scheme.subject if scheme else request.GET.get("subject", SubjectKind.WORKER)
    if subject not in SubjectKind.values:
        subject = SubjectKind.WORKER
    current = {i.indicator: i for i in (scheme.items.all() if scheme else scoring.DEFAULT_ITEMS[SubjectKind(subject)])}
    error = ""
    if request.method == "POST":
        items = []
        for indicator in INDICATORS:
            weight = _number(request.POST.get(f"weight_{indicator.code}"))
            if weight:
                target = _number(request.POST.get(f"target_{indicator.code}"))
                items.append(
                    scoring.ItemInput(indicator.code, weight, target / 100 if indicator.kind == "rate" else target)
                )
        try:
            scoring.save_scheme(
                scheme,
                by=user,
                name=request.POST.get("name", ""),
                subject=request.POST.get("subject", subject),
                items=items,
                overdue_deduction=_number(request.POST.get("overdue_deduction")),
                rework_deduction=_number(request.POST.get("rework_deduction")),
                self_found_bonus=_number(request.POST.get("self_found_bonus")),
                bonus_cap=_number(request.POST.get("bonus_cap")),
                active=request.POST.get("active") == "on",
            )
            messages.success(request, _("The scheme is saved."))
            return redirect("assessment:months")
        except DomainError as e:
            error = e.message
    rows = [
        {
            "indicator": i,
            "weight": current[i.code].weight if i.code in current else "",
            "target": (
                (current[i.code].target * 100 if i.kind == "rate" else current[i.code].target)
                if i.code in current
                else ""
            ),
        }
        for i in INDICATORS
    ]
    return render(
        request,
        "assessment/scheme.html",
        {"scheme": scheme, "subject": subject, "rows": rows, "error": error, "subjects": SubjectKind.choices},
    )
