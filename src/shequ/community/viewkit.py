"""What the community pages share: running an action with its refusal shown, 404 for out of scope, QR codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest
from django.urls import reverse

from shequ.core.errors import DomainError, NotFound

resident_required = login_required(login_url="portal:login")


def found(call: Callable[..., Any], *args: Any) -> Any:
    """A scoped read; out of scope or missing is a 404."""
    try:
        return call(*args)
    except NotFound as e:
        raise Http404(e.message) from e


def attempt(request: HttpRequest, call: Callable[[], Any], done: str = "") -> Any:
    """Run an action: its result, with ``done`` as a success message, or None with the refusal as an error."""
    try:
        result = call()
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainError as e:
        messages.error(request, e.message)
        return None
    if done:
        messages.success(request, done)
    return result


def on_form(form: Any, call: Callable[[], Any]) -> Any:
    """Run an action for a valid form: its result, or None with the refusal on the form (next to its field)."""
    try:
        return call()
    except NotFound as e:
        raise Http404(e.message) from e
    except DomainError as e:
        form.add_error(e.field if e.field in form.fields else None, e.message)
        return None


def page_of(request: HttpRequest, qs: Any, size: int = 10) -> Page:
    return Paginator(qs, size).get_page(request.GET.get("page"))


def qr_data_uri(request: HttpRequest, view: str, **kwargs: Any) -> str:
    """An SVG QR code of the page's full address (the code a phone's camera opens)."""
    url = request.build_absolute_uri(reverse(view, kwargs=kwargs))
    return segno.make(url, error="m").svg_data_uri(scale=6, border=2)


def hours(minutes: int) -> str:
    """Minutes as hours for reading: 95 -> "1.6"."""
    tenths = (abs(minutes) * 10 + 30) // 60
    sign = "-" if minutes < 0 else ""
    return f"{sign}{tenths // 10}.{tenths % 10}"
