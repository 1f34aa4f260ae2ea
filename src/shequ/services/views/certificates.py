"""The certificate as a PDF (its applicant, and staff of its area), and the public verification page: anyone with
a certificate's verification code sees whether it is genuine and what it certifies (the ID number masked)."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shequ import audit
from shequ.access.masking import mask_id_number

from ..affairs import certificates, queries
from .common import found


def verify_url(request: HttpRequest | None) -> str:
    path = reverse("services:verify")
    if settings.SHEQU_PUBLIC_URL:
        return settings.SHEQU_PUBLIC_URL.rstrip("/") + path
    return request.build_absolute_uri(path) if request is not None else path


@require_GET
@login_required(login_url="portal:login")
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    app = found(queries.get_application_for, request.user, number)
    certificate = getattr(app, "certificate", None)
    if certificate is None or certificate.revoked_at is not None:
        raise Http404()
    content = json.loads(certificate.content)
    pdf = certificates.render_pdf(
        number=certificate.number, code=certificate.code, content=content, verify_url=verify_url(request)
    )
    audit.record("export", request=request, target=app, detail={"certificate": certificate.number})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
    return response


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """验证: a code that is not a certificate's, or a certificate whose content no longer matches its code (altered
    after issue), is not genuine; a revoked one says so."""
    code = (request.GET.get("code") or "").strip()[:60]
    result = None
    if code:
        result = check(code)
    return render(request, "services/verify.html", {"code": code, "result": result})


def check(code: str) -> dict:
    certificate = queries.certificate_by_code(code)
    if certificate is None:
        return {"valid": False, "reason": "unknown"}
    content = json.loads(certificate.content)
    if not certificates.matches(certificate.number, content, certificate.code):
        return {"valid": False, "reason": "altered"}
    if certificate.revoked_at is not None:
        return {"valid": False, "reason": "revoked", "number": certificate.number}
    id_number = certificate.application.applicant.id_number or ""
    text = content.get("text", "")
    if id_number:
        text = text.replace(id_number, mask_id_number(id_number))
    return {
        "valid": True,
        "number": certificate.number,
        "title": content.get("title", ""),
        "holder": content.get("holder", ""),
        "issuer": content.get("issuer", ""),
        "date": content.get("date", ""),
        "text": text,
        "issued_at": certificate.issued_at,
    }
