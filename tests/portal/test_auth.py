from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shequ.access.models import Role, User

from .conftest import client_for

pytestmark = pytest.mark.django_db

GOOD = {"name": "王小明", "phone": "13800138000", "password1": "qing-shan-42", "password2": "qing-shan-42"}


def test_it_sends_anonymous_visitors_to_the_portal_login():
    response = Client().get(reverse("portal:my_reports"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login") + "?next=" + reverse("portal:my_reports")


def test_it_shows_the_login_page_in_chinese():
    response = Client().get(reverse("portal:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="viewport"' in html
    assert "登录" in html and "手机号" in html
    assert 'data-tab="report"' not in html  # no tab bar before signing in


def test_it_registers_a_resident_and_signs_them_in():
    client = Client()
    response = client.post(reverse("portal:register"), GOOD)
    assert response.status_code == 302 and response["Location"] == reverse("portal:report")
    user = User.objects.get(username="13800138000")
    assert (user.name, user.phone, user.role) == ("王小明", "13800138000", Role.RESIDENT)
    assert user.check_password("qing-shan-42")
    assert client.get(reverse("portal:report")).status_code == 200


@pytest.mark.parametrize("phone", ["1380013800", "23800138000", "12800138000", "1380013800a", "138001380001"])
def test_it_refuses_a_phone_that_is_not_a_mainland_mobile(phone):
    response = Client().post(reverse("portal:register"), {**GOOD, "phone": phone})
    assert response.status_code == 200
    assert "请输入 11 位手机号码" in response.content.decode()
    assert User.objects.count() == 0


def test_it_refuses_a_weak_password_with_djangos_validators():
    response = Client().post(reverse("portal:register"), {**GOOD, "password1": "12345678", "password2": "12345678"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-error="password1"' in html
    assert User.objects.count() == 0


def test_it_refuses_differing_passwords():
    response = Client().post(reverse("portal:register"), {**GOOD, "password2": "qing-shan-43"})
    assert "两次输入的密码不一致" in response.content.decode()
    assert User.objects.count() == 0


def test_it_refuses_a_phone_already_registered():
    Client().post(reverse("portal:register"), GOOD)
    response = Client().post(reverse("portal:register"), {**GOOD, "name": "李四"})
    assert "该手机号已注册" in response.content.decode()
    assert list(User.objects.values_list("name", flat=True)) == ["王小明"]


def test_it_signs_a_resident_in_with_their_phone():
    Client().post(reverse("portal:register"), GOOD)
    client = Client()
    response = client.post(reverse("portal:login"), {"username": "13800138000", "password": "qing-shan-42"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:report")


def test_it_signs_out_with_a_post():
    User.objects.create_user(username="13800138000", password="qing-shan-42", role=Role.RESIDENT)
    client = Client()
    client.login(username="13800138000", password="qing-shan-42")
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:login")
    assert client.get(reverse("portal:me")).status_code == 302


def test_it_lets_staff_use_the_portal_as_residents_do(world):
    response = client_for(world.community_staff).get(reverse("portal:me"))
    assert response.status_code == 200
    assert "工作台" in response.content.decode()
