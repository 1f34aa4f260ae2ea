"""Page forms of community life. They parse input only; the rules live in the domain modules."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import User
from shequ.access.scopes import clearance
from shequ.registry.models import Tag, TagTarget

from . import scopes

if TYPE_CHECKING:
    from .activities import ActivityInput
from .models import (
    ActivityKind,
    Availability,
    Choice,
    Decision,
    HelpRequest,
    ListingKind,
    Matter,
    Skill,
    Trigger,
    VoteKind,
)


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"


def new_key() -> str:
    """A fresh idempotency key for a form that posts to a ledger: submitting it twice posts once."""
    return uuid.uuid4().hex


class KeyField(forms.CharField):
    def __init__(self) -> None:
        super().__init__(widget=forms.HiddenInput, max_length=64)


class VolunteerForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills"), queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    availability = forms.MultipleChoiceField(
        label=_("When you can help"), choices=Availability.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class ActivityForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=pgettext_lazy("community", "Title"), max_length=80)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    place = forms.CharField(label=_("Place"), max_length=120)
    starts_at = forms.DateTimeField(label=_("First session starts"), widget=DateTimeLocal())
    minutes = forms.IntegerField(label=_("Length of a session (minutes)"), min_value=15, max_value=12 * 60, initial=120)
    sessions = forms.IntegerField(
        label=_("Sessions"), min_value=1, max_value=52, initial=1, help_text=_("A course: one session a week.")
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, required=False, help_text=_("Empty: no limit."))
    skills = forms.ModelMultipleChoiceField(
        label=_("Skills wanted"), queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)

    def __init__(self, *args, communities, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["team"].queryset = teams

    def session_times(self) -> list[tuple[datetime, datetime]]:
        data = self.cleaned_data
        step = timedelta(days=7) if data["sessions"] > 1 else timedelta(0)
        length = timedelta(minutes=data["minutes"])
        return [(data["starts_at"] + i * step, data["starts_at"] + i * step + length) for i in range(data["sessions"])]

    def activity_input(self) -> ActivityInput:
        """What the staff and the team leaders' forms both hand to ``activities.create``."""
        from .activities import ActivityInput

        data = self.cleaned_data
        return ActivityInput(
            community=data["community"],
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            place=data["place"],
            capacity=data["capacity"],
            skills=list(data["skills"]),
            team=data["team"],
            sessions=self.session_times(),
        )


class PublishForm(forms.Form):
    announce = forms.BooleanField(label=_("Push a notice to the community's residents"), required=False)
    tags = forms.ModelMultipleChoiceField(
        label=_("Only residents with these tags"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every resident of the community."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        clear = [f"L{level}" for level in range(1, clearance(user).clear + 1)]
        self.fields["tags"].queryset = Tag.objects.filter(
            active=True, applies_to=TagTarget.PERSON, sensitivity__in=clear
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class AttendanceForm(forms.Form):
    session = forms.IntegerField(widget=forms.HiddenInput)
    person = forms.IntegerField(widget=forms.HiddenInput)
    checked_in_at = forms.DateTimeField(label=_("Checked in at"), widget=DateTimeLocal())
    checked_out_at = forms.DateTimeField(label=_("Checked out at"), widget=DateTimeLocal())
    reason = forms.CharField(label=_("Reason for a correction"), max_length=200, required=False)


class TeamForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    name = forms.CharField(label=pgettext_lazy("community", "Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class SpotForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    name = forms.CharField(label=pgettext_lazy("community", "Name"), max_length=60)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class RuleForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=None, empty_label=None)
    trigger = forms.ChoiceField(label=_("Trigger"), choices=Trigger.choices)
    points = forms.IntegerField(label=_("Points"), min_value=0, max_value=100_000)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, regions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class ItemForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    merchant = forms.ModelChoiceField(
        label=_("Merchant"), queryset=None, required=False, empty_label=_("The community's points shop")
    )
    name = forms.CharField(label=pgettext_lazy("community", "Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1_000_000)
    stock = forms.IntegerField(label=_("Stock"), min_value=0, max_value=1_000_000)

    def __init__(self, *args, communities, merchants, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["merchant"].queryset = merchants
        self.fields["merchant"].label_from_instance = lambda m: m.organization.name


class CodeForm(forms.Form):
    code = forms.RegexField(label=_("Redemption code"), regex=r"^\s*\d{8}\s*$", max_length=12)


class GrantForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    person = forms.IntegerField(label=_("Resident (record number)"), min_value=1)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=43_200)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    key = KeyField()

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=60, required=False)


class ProposalForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    title = forms.CharField(label=pgettext_lazy("community", "Title"), max_length=80)
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class PostForm(forms.Form):
    body = forms.CharField(label=_("Your message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeLocal())
    place = forms.CharField(label=_("Place"), max_length=120)


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, required=False)


class VoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=VoteKind.choices)
    matter = forms.ChoiceField(label=_("Matter"), choices=[("", "—"), *Matter.choices], required=False)
    question = forms.CharField(label=_("Question"), max_length=200)
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"), queryset=None, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=DateTimeLocal())
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=DateTimeLocal())

    def __init__(self, *args, buildings, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["buildings"].queryset = buildings


class BallotForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    choice = forms.ChoiceField(label=_("Your choice"), choices=Choice.choices, widget=forms.RadioSelect)


class PaperBallotForm(forms.Form):
    entry = forms.IntegerField(label=_("Roll entry"), min_value=1)
    signer = forms.IntegerField(label=_("Signed by (record number)"), min_value=1)
    choice = forms.ChoiceField(label=_("Choice"), choices=Choice.choices)


class DelegateForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    delegate = forms.IntegerField(label=_("Delegate"), min_value=1)


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    owner = forms.ModelChoiceField(label=_("Responsible"), queryset=None, empty_label=None)
    due = forms.DateField(label=_("Due"), required=False, widget=DateInput())
    vote = forms.ModelChoiceField(label=_("Backed by the vote"), queryset=None, required=False)

    def __init__(self, *args, owners, votes, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: f"{u.name or u.username}（{u.get_role_display()}）"
        self.fields["vote"].queryset = votes


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    state = forms.ChoiceField(label=_("State"), choices=Decision.State.choices)


class ModerateForm(forms.Form):
    hide = forms.BooleanField(required=False)
    note = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong"), max_length=200)


class ListingForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("What you offer"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=ListingKind.choices, widget=forms.RadioSelect, initial="sale")
    price = forms.DecimalField(label=_("Price (yuan)"), required=False, min_value=0, max_digits=8, decimal_places=2)
    swap_for = forms.CharField(label=_("Wanted in exchange"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    show_phone = forms.BooleanField(label=_("Show my phone number to neighbours"), required=False)

    def __init__(self, *args, communities, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=200, required=False)


class HelpForm(forms.Form):
    title = forms.CharField(label=_("What help you need"), max_length=80)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    wanted_at = forms.DateTimeField(label=_("When"), widget=DateTimeLocal())
    minutes = forms.IntegerField(label=_("Minutes offered"), min_value=15, max_value=24 * 60, initial=60)
    pay_from = forms.ChoiceField(label=_("Paid from"), choices=HelpRequest.PayFrom.choices, initial="person")


class FamilyForm(forms.Form):
    to = forms.ChoiceField(label=_("To"))
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=43_200)
    key = KeyField()

    def __init__(self, *args, choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = choices


class FeedForm(forms.Form):
    name = forms.CharField(label=_("Feed name"), max_length=60, initial="公交")
    file = forms.FileField(label=_("GTFS zip"))


def local_default(hours: int = 24) -> str:
    return timezone.localtime(timezone.now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:00")


def communities_for_resident(user: User):
    from shequ.geo.models import Region

    return Region.objects.filter(pk__in=[c.pk for c in scopes.home_communities(user)]).order_by("code")
