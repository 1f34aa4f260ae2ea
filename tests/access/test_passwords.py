"""The password policy: length, character classes, common passwords (Django's list and Chinese ones), the user
name, similarity; applied where people choose passwords (portal sign-up, password change), not to ones set in code."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from shequ.access.models import Role, User
from shequ.access.passwords import character_classes

from .authkit import actions

GOOD = "Qing-shan-42x"


def refusal(password: str, user: User | None = None) -> list[str]:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.parametrize(
    ("password", "classes"),
    [("abcdefgh", 1), ("abc12345", 2), ("Abc12345", 3), ("Abc-12345", 4), ("密码abc123", 3), ("", 0)],
)
def test_character_classes_are_counted(password, classes):
    assert character_classes(password) == classes


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab-12345", "password_too_short"),  # 8 characters
        ("abcdefghijk", "password_too_simple"),  # one class
        ("abcdefgh1234", "password_too_simple"),  # two classes
        ("woaini1314", "password_too_common"),  # Chinese list (also too simple)
        ("Password123", "password_too_common"),  # Django's list
        ("Woaini1314", "password_too_common"),  # case does not help
    ],
)
def test_weak_passwords_are_refused(password, code):
    assert code in refusal(password)


@pytest.mark.django_db
def test_a_good_password_passes_and_the_messages_are_chinese():
    assert refusal(GOOD) == []
    with pytest.raises(ValidationError) as caught:
        password_validation.validate_password("abc")
    text = " ".join(caught.value.messages)
    assert "10" in text and "密码" in text


@pytest.mark.django_db
def test_the_user_name_and_mobile_number_may_not_be_in_the_password():
    user = User(username="zhangwei", phone="13912345678", name="张伟")
    assert "password_has_username" in refusal("Zhangwei-2025!", user)
    assert "password_has_username" in refusal("x13912345678Y", user)
    assert refusal(GOOD, user) == []


@pytest.mark.django_db
def test_personas_and_demo_passwords_set_in_code_still_sign_in():
    User.objects.create_user(username="demo", password="shequ2025", role=Role.RESIDENT)  # refused if validated
    assert "password_too_common" in refusal("shequ2025")
    assert Client().login(username="demo", password="shequ2025")


@pytest.mark.django_db
def test_portal_sign_up_applies_the_policy():
    data = {"name": "王小明", "phone": "13800138000", "password1": "qq123456", "password2": "qq123456"}
    response = Client().post(reverse("portal:register"), data)
    assert response.status_code == 200 and 'data-error="password1"' in response.content.decode()
    assert not User.objects.filter(username="13800138000").exists()
    data.update(password1="138001380000a!", password2="138001380000a!")  # contains the mobile number
    assert 'data-error="password1"' in Client().post(reverse("portal:register"), data).content.decode()
    data.update(password1=GOOD, password2=GOOD)
    assert Client().post(reverse("portal:register"), data).status_code == 302
    assert User.objects.get(username="13800138000").check_password(GOOD)


@pytest.mark.django_db
def test_password_change_validates_and_is_audited(world):
    client = Client()
    client.force_login(world.grid_worker)
    page = client.get(reverse("access:password_change"))
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    weak = {"old_password": "pass-word-123", "new_password1": "123456789a", "new_password2": "123456789a"}
    response = client.post(reverse("access:password_change"), weak)
    assert response.status_code == 200 and 'data-error="new_password2"' in response.content.decode()
    good = {"old_password": "pass-word-123", "new_password1": GOOD, "new_password2": GOOD}
    assert client.post(reverse("access:password_change"), good).status_code == 302
    world.grid_worker.refresh_from_db()
    assert world.grid_worker.check_password(GOOD)
    assert actions(actor_username="gridworker")[-1] == "password_change"
    assert client.get(reverse("access:security")).status_code == 200  # still signed in
