"""Every kind of failure answers the same structured body, with the service's Chinese reason."""

import pytest

from approvals import services
from approvals.models import Application
from tests.approvals.conftest import at, file_online
from tests.approvals_api.conftest import APPLICATIONS, action_url, filing, token_client

pytestmark = pytest.mark.django_db


def test_invalid_identity_code_is_400_with_the_message_under_its_field(food_item, clerk_district_a):
    with at(2025, 9, 22):
        response = token_client(clerk_district_a).post(
            APPLICATIONS, filing(food_item, identity_code="110105194912310021"), format="json")

    assert response.status_code == 400
    assert response.json() == {"error": {
        "code": "invalid", "message": "提交的数据有误，请按字段提示修改。",
        "fields": {"identity_code": ["身份证号码校验位不正确，请核对后重新输入。"]},
    }}
    assert not Application.objects.exists()


def test_a_material_outside_the_checklist_is_400_and_nothing_is_filed(food_item, clerk_district_a):
    with at(2025, 9, 22):
        response = token_client(clerk_district_a).post(
            APPLICATIONS, filing(food_item, materials=[{"position": 1}, {"position": 9}]), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"materials": ["该事项的材料清单中没有序号 9。"]}
    assert not Application.objects.exists()


def test_an_action_in_the_wrong_state_is_409_invalid_transition(food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        response = token_client(clerk_district_a).post(action_url(application.pk, "accept"), format="json")

    assert response.status_code == 409
    assert response.json() == {"error": {"code": "invalid_transition",
                                         "message": "办件当前状态为“办理中”，不能执行“受理”。"}}


def test_the_wrong_role_is_403_with_the_reason(food_item, applicant_citizen, handler_a):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        response = token_client(handler_a).post(action_url(application.pk, "accept"), format="json")

    assert response.status_code == 403
    assert response.json() == {"error": {"code": "permission_denied", "message": "您的角色不能执行“受理”。"}}
    application.refresh_from_db()
    assert application.status == "submitted"


def test_another_district_is_404(food_item, applicant_citizen, clerk_district_b):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        response = token_client(clerk_district_b).post(action_url(application.pk, "accept"), format="json")
        detail = token_client(clerk_district_b).get(f"{APPLICATIONS}{application.pk}/")

    assert response.status_code == detail.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "未找到该对象，或您无权访问。"}}


def test_anonymous_is_401_and_told_to_send_a_token(food_item):
    response = token_client().get(APPLICATIONS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token'
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_unknown_token_is_401(db):
    client = token_client()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")

    response = client.get(APPLICATIONS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.fixture
def claimed_by_handler(food_item, applicant_citizen, clerk_district_a, handler_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        services.claim_application(application, actor=handler_a)
    return application


def test_a_naive_acted_at_is_refused_and_the_step_stays(claimed_by_handler, handler_a):
    with at(2025, 9, 23, 15):
        response = token_client(handler_a).post(action_url(claimed_by_handler.pk, "complete-step"),
                                                {"opinion": "同意", "acted_at": "2025-09-23T09:00:00"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"acted_at": ["时间须带时区，例如 2025-09-23T10:00:00+08:00。"]}
    claimed_by_handler.refresh_from_db()
    assert (claimed_by_handler.current_step, claimed_by_handler.steps.count()) == ("handle", 1)


def test_an_acted_at_in_the_future_is_refused(claimed_by_handler, handler_a):
    with at(2025, 9, 23, 15):
        response = token_client(handler_a).post(action_url(claimed_by_handler.pk, "complete-step"),
                                                {"opinion": "同意", "acted_at": "2025-09-23T15:30:00+08:00"},
                                                format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"acted_at": ["办理时间不能晚于当前时间。"]}


def test_a_missing_opinion_gets_the_services_message(claimed_by_handler, handler_a):
    with at(2025, 9, 23):
        response = token_client(handler_a).post(action_url(claimed_by_handler.pk, "complete-step"), {},
                                                format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"opinion": ["请填写办理意见。"]}


def test_an_unknown_pause_reason_is_400(claimed_by_handler, handler_a):
    with at(2025, 9, 23):
        response = token_client(handler_a).post(action_url(claimed_by_handler.pk, "pause"),
                                                {"reason": "holiday", "note": "x"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["reason"]
    claimed_by_handler.refresh_from_db()
    assert claimed_by_handler.is_paused is False
