"""The portal's forms parse input only; the rules live in ``events.actions``."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import pgettext_lazy

from shequ.access.models import Role, User
from shequ.core.errors import DomainError
from shequ.events.catalog import leaf_categories
from shequ.events.reporting import MAX_DESCRIPTION
from shequ.geo.coords import CRS

# Mainland mobile numbers: 11 digits starting 13-19.
CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")

# Resident wording for the domain errors a resident can fix, by code: what to do, not what went wrong.
RESIDENT_WORDS = {
    "outside_area": pgettext_lazy(
        "resident portal", "This place is outside our district. Tap a point inside the outlined grids on the map."
    ),
    "location_required": pgettext_lazy(
        "resident portal", "Tap the map or use your position to say where the problem is."
    ),
    "bad_crs": pgettext_lazy("resident portal", "Your position could not be read. Tap the map instead."),
    "photo_type": pgettext_lazy("resident portal", "Only photos (JPEG, PNG or WebP) can be uploaded."),
}
# Domain error fields shown next to a form field of a different name.
FIELD_FOR = {"location": "lon", "crs": "lon", "lat": "lon", "score": "score"}


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a domain error next to the field it names (or at the top of the form)."""
    message = RESIDENT_WORDS.get(error.code, error.message)
    field = FIELD_FOR.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(message))


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=pgettext_lazy("resident portal", "Mobile number or user name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class RegisterForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("resident portal", "Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=pgettext_lazy("resident portal", "Mobile number"),
        max_length=20,  # longer input gets the mobile-number message below, not a length one
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "tel", "pattern": r"1[3-9]\d{9}", "maxlength": 11}
        ),
    )
    password1 = forms.CharField(
        label=pgettext_lazy("resident portal", "Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=pgettext_lazy("resident portal", "Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not CN_MOBILE.match(phone):
            raise forms.ValidationError(
                pgettext_lazy("resident portal", "Enter an 11-digit mainland mobile number."), code="phone"
            )
        # The mobile number is the user name residents sign in with.
        if User.objects.filter(username=phone).exists():
            raise forms.ValidationError(
                pgettext_lazy("resident portal", "This mobile number is already registered."), code="phone_taken"
            )
        return phone

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", pgettext_lazy("resident portal", "The two passwords differ."))
        elif p1 and "phone" in data:
            candidate = User(username=data["phone"], name=data.get("name", ""), phone=data["phone"])
            try:
                password_validation.validate_password(p1, user=candidate)
            except forms.ValidationError as e:
                self.add_error("password1", e)
        return data

    def save(self) -> User:
        data = self.cleaned_data
        return User.objects.create_user(
            username=data["phone"],
            password=data["password1"],
            name=data["name"],
            phone=data["phone"],
            role=Role.RESIDENT,
        )


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Any number of files; their count, type and size are the domain's to check."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*", "multiple": True}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultiplePhotoField, self).clean(f, initial) for f in files]


class ReportForm(forms.Form):
    # Description, category and location are required by actions.report, which says so in its own words.
    category = forms.ModelChoiceField(
        queryset=leaf_categories(), required=False, label=pgettext_lazy("resident portal", "Category")
    )
    description = forms.CharField(
        label=pgettext_lazy("resident portal", "Description"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultiplePhotoField(label=pgettext_lazy("resident portal", "Photos"), required=False)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    crs = forms.ChoiceField(choices=[(c.value, c.value) for c in CRS], required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=pgettext_lazy("resident portal", "Address"), required=False, max_length=200)
    publish_description = forms.BooleanField(required=False)  # consent to the open Open311 feed

    def clean(self) -> dict:
        data = super().clean()
        # A half point (one coordinate) is no point at all.
        if (data.get("lon") is None) != (data.get("lat") is None):
            self.add_error("lon", RESIDENT_WORDS["location_required"])
        return data


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=pgettext_lazy("resident portal", "Rating"),
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=pgettext_lazy("resident portal", "Comment"),
        required=False,
        max_length=500,
        widget=forms.Textarea({"rows": 3}),
    )
    reopen = forms.BooleanField(
        label=pgettext_lazy("resident portal", "Not satisfied, please handle it again"), required=False
    )
