"""Sign-up of applicants: identity codes checked by their GB check digits, errors linked to fields."""

import pytest
from django.urls import reverse

from portal.organisation.models import User

pytestmark = pytest.mark.django_db

SIGNUP = reverse("apply:signup")


def signup_data(**overrides):
    data = {"subject_type": "citizen", "full_name": "李娜", "identity_code": "110101199003070011",
            "phone": "13900002222", "username": "lina2026", "password1": "Jiangzhou-2026!",
            "password2": "Jiangzhou-2026!"}
    data.update(overrides)
    return data


def test_invalid_id_number_is_refused_with_the_check_digit_message(client):
    response = client.post(SIGNUP, signup_data(identity_code="110101199003070018"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "存在以下问题" in body
    assert '<a href="#id_identity_code">身份证号码校验位不正确，请核对后重新输入。</a>' in body
    assert 'id="id_identity_code-error"' in body
    assert 'aria-invalid="true"' in body
    assert not User.objects.filter(username="lina2026").exists()


def test_invalid_credit_code_is_refused_for_an_enterprise(client):
    response = client.post(SIGNUP, signup_data(subject_type="enterprise", full_name="江州宏信餐饮管理有限公司",
                                               identity_code="91350100M000100Y44"))

    assert '<a href="#id_identity_code">统一社会信用代码校验位不正确，请核对后重新输入。</a>' in response.content.decode()
    assert User.objects.filter(username="lina2026").count() == 0


def test_a_citizen_id_number_is_not_a_credit_code(client):
    response = client.post(SIGNUP, signup_data(subject_type="enterprise"))

    assert "统一社会信用代码含有不允许的字符" not in response.content.decode()
    assert "统一社会信用代码校验位不正确" in response.content.decode()
    assert not User.objects.filter(username="lina2026").exists()


def test_every_problem_is_listed_and_linked_to_its_field(client):
    response = client.post(SIGNUP, {"username": "ab", "password1": "12345678", "password2": "87654321",
                                    "phone": "12345"})

    body = response.content.decode()
    for href in ("#id_subject_type_0", "#id_full_name", "#id_identity_code", "#id_phone", "#id_username",
                 "#id_password1", "#id_password2"):
        assert f'<a href="{href}">' in body, href
    assert 'id="id_subject_type_0"' in body  # the link's target exists: the first radio
    assert "两次输入的密码不一致" in body
    assert "请输入 11 位手机号码" in body


def test_sign_up_creates_a_signed_in_applicant_and_returns_to_next(client):
    response = client.post(SIGNUP, signup_data(identity_code="11010519491231002x", next="/guide/"))

    user = User.objects.get(username="lina2026")
    assert response.status_code == 302 and response["Location"] == "/guide/"
    assert (user.kind, user.subject_type, user.identity_code, user.full_name, user.phone) == (
        "applicant", "citizen", "11010519491231002X", "李娜", "13900002222")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert user.check_password("Jiangzhou-2026!")
    assert not user.is_staff and not user.groups.exists()


def test_next_pointing_elsewhere_is_ignored(client):
    response = client.post(SIGNUP, signup_data(next="https://evil.example/"))

    assert response["Location"] == reverse("apply:my_applications")


def test_one_account_per_identity_code_and_per_username(client, applicant_enterprise):
    response = client.post(SIGNUP, signup_data(subject_type="enterprise", identity_code="91350100m000100y43",
                                               username="HONGXIN"))

    body = response.content.decode()
    assert "该证件号码已注册账号，请直接登录" in body
    assert "该用户名已被使用，请换一个" in body
    assert User.objects.count() == 1


def test_the_new_account_signs_in_at_the_ordinary_login(client):
    client.post(SIGNUP, signup_data())
    client.logout()

    response = client.post(reverse("login"), {"username": "lina2026", "password": "Jiangzhou-2026!"})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(username="lina2026").pk
