"""Page forms for notices. They parse input into ``actions.NoticeInput``; the rules live in ``actions``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import User
from shequ.access.scopes import clearance, regions_for
from shequ.registry.models import Tag, TagTarget

from .actions import NoticeInput
from .models import AUDIENCE_ROLES, Notice, State


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class NoticeForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("notice", "Title"), max_length=120)
    body = forms.CharField(
        label=pgettext_lazy("notice", "Body"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "markdown-input"}),
        help_text=_("Markdown: # heading, **bold**, - list, [link](…). Scripts and outside images are removed."),
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to pick several."),
    )
    audience_roles = forms.MultipleChoiceField(
        label=_("Audience"), choices=AUDIENCE_ROLES, widget=forms.CheckboxSelectMultiple, initial=["resident"]
    )
    audience_tags = forms.ModelMultipleChoiceField(
        label=_("Only people with these tags"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for everyone in the regions."),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"), widget=DateTimeLocal(), required=False, help_text=_("Empty: when you publish it.")
    )
    expires_at = forms.DateTimeField(
        label=_("Expires at"), widget=DateTimeLocal(), required=False, help_text=_("Empty: never.")
    )
    pinned = forms.BooleanField(label=_("Pin to the top"), required=False)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"].queryset = regions_for(user).order_by("code")
        # Only tags the author sees in clear: a notice to 社区矫正 and its read counts per grid would tell an author
        # below L4 who and how many are in that group.
        clear = [f"L{level}" for level in range(1, clearance(user).clear + 1)]
        self.fields["audience_tags"].queryset = Tag.objects.filter(
            active=True, applies_to=TagTarget.PERSON, sensitivity__in=clear
        )

    @staticmethod
    def initial_from(notice: Notice) -> dict:
        return {
            "title": notice.title,
            "body": notice.body,
            "regions": list(notice.regions.all()),
            "audience_roles": notice.roles,
            "audience_tags": list(notice.audience_tags.all()),
            "publish_at": notice.publish_at,
            "expires_at": notice.expires_at,
            "pinned": notice.pinned,
        }

    def to_input(self) -> NoticeInput:
        data = self.cleaned_data
        return NoticeInput(
            title=data["title"],
            body=data["body"],
            regions=list(data["regions"]),
            audience_roles=list(data["audience_roles"]),
            audience_tags=list(data["audience_tags"]),
            publish_at=data["publish_at"],
            expires_at=data["expires_at"],
            pinned=data["pinned"],
        )


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=pgettext_lazy("notice", "State"), choices=[("", _("All")), *State.choices], required=False
    )
    current = forms.BooleanField(label=_("In force now"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=pgettext_lazy("notice", "Reason"), max_length=500)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, images or Office documents, at most 20 MB."))
