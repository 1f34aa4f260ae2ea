"""The rule table's pages: everyone on staff reads it; the district's administrators and dispatchers change it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError

from . import actions, queries
from .actions import RuleInput
from .forms import RuleForm
from .models import Rule


@staff_required
def rule_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "devices/rule_list.html",
        {"rules": queries.rules().order_by("message_type", "name"), "may_edit": queries.may_edit_rules(request.user)},
    )


@staff_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not queries.may_edit_rules(request.user):
        raise Http404
    rule = Rule.objects.filter(pk=pk).first() if pk is not None else None
    if pk is not None and rule is None:
        raise Http404
    initial = {f: getattr(rule, f) for f in RuleInput.__dataclass_fields__} if rule else None
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.save_rule(by=request.user, data=RuleInput(**form.cleaned_data), rule=rule)
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("devices:rules")
    return render(request, "devices/rule_form.html", {"form": form, "rule": rule})
