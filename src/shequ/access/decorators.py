"""Who may open staff pages (workbench, registry, collection, alerts): staff roles. Residents belong on the portal."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Role

PORTAL_URL = "/portal/"
AUDIT_URL = "/audit/"


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users log in, residents go to the portal, auditors to the audit trail, other non-staff roles
    get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_staff_role:
            if user.role == Role.RESIDENT:
                return redirect(PORTAL_URL)
            if user.role == Role.AUDITOR:  # auditors read the trail, nothing else
                return redirect(AUDIT_URL)
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
