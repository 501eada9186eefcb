"""Idempotency keys: a system's retry gets the first answer back and nothing happens twice."""

import pytest

from approvals import services
from approvals.models import Application, Decision
from portal.audit.models import AuditEntry
from portal.models import IdempotentRequest
from tests.approvals.conftest import at, file_online
from tests.approvals_api.conftest import APPLICATIONS, action_url, filing, token_client

pytestmark = pytest.mark.django_db

KEY = "9f0c2f4e-0d4b-4f7e-9a51-3c1f00a7d001"


def test_a_repeated_create_replays_the_first_answer_and_files_nothing_new(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        first = clerk.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    with at(2025, 9, 22, 11):
        repeat = clerk.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, repeat.status_code) == (201, 201)
    assert repeat.json() == first.json()
    assert repeat["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Application.objects.count() == 1
    assert AuditEntry.objects.filter(event_type="approvals.application.created").count() == 1
    stored = IdempotentRequest.objects.get()
    assert (stored.user, stored.key, stored.method, stored.path, stored.response_status) == (
        clerk_district_a, KEY, "POST", APPLICATIONS, 201)


def test_a_repeated_action_replays_instead_of_answering_409(food_item, applicant_citizen, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
        first = clerk.post(action_url(application.pk, "accept"), {"opinion": "齐全"}, format="json",
                           HTTP_IDEMPOTENCY_KEY=KEY)
        repeat = clerk.post(action_url(application.pk, "accept"), {"opinion": "齐全"}, format="json",
                            HTTP_IDEMPOTENCY_KEY=KEY)
        without_key = clerk.post(action_url(application.pk, "accept"), {"opinion": "齐全"}, format="json")

    assert (first.status_code, repeat.status_code, without_key.status_code) == (200, 200, 409)
    assert repeat.json() == first.json()
    assert AuditEntry.objects.filter(event_type="approvals.application.accept").count() == 1
    assert application.steps.count() == 1


def test_the_same_key_with_another_body_is_422_and_runs_nothing(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        clerk.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
        reused = clerk.post(APPLICATIONS, filing(food_item, applicant_name="李娜"), format="json",
                            HTTP_IDEMPOTENCY_KEY=KEY)

    assert reused.status_code == 422
    assert reused.json() == {"error": {"code": "idempotency_key_reused",
                                       "message": "该幂等键已用于内容不同的另一请求；新的请求请使用新的幂等键。"}}
    assert list(Application.objects.values_list("applicant_name", flat=True)) == ["张伟"]


def test_the_same_key_on_another_endpoint_is_422(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item), format="json",
                                    HTTP_IDEMPOTENCY_KEY=KEY).json()["id"]
        reused = clerk.post(action_url(application_id, "accept"), format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert reused.status_code == 422
    assert Application.objects.get().status == "submitted"


def test_a_refused_call_keeps_no_key_so_the_corrected_retry_runs(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        refused = clerk.post(APPLICATIONS, filing(food_item, identity_code="110105194912310021"), format="json",
                             HTTP_IDEMPOTENCY_KEY=KEY)
        retried = clerk.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert (refused.status_code, retried.status_code) == (400, 201)
    assert Application.objects.count() == 1
    assert IdempotentRequest.objects.get().response_status == 201


def test_keys_belong_to_their_caller(food_item, clerk_district_a, bureau_a):
    from portal.organisation.choices import Role
    from tests.factories import StaffFactory

    other_system = StaffFactory(username="clerk_a_system", department=bureau_a, roles=[Role.WINDOW_CLERK])
    with at(2025, 9, 22):
        first = token_client(clerk_district_a).post(APPLICATIONS, filing(food_item), format="json",
                                                    HTTP_IDEMPOTENCY_KEY=KEY)
        second = token_client(other_system).post(APPLICATIONS, filing(food_item), format="json",
                                                 HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, second.status_code) == (201, 201)
    assert not second.has_header("Idempotent-Replayed")
    assert Application.objects.count() == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "中文键"])
def test_a_malformed_key_is_400(food_item, clerk_district_a, key):
    with at(2025, 9, 22):
        response = token_client(clerk_district_a).post(APPLICATIONS, filing(food_item), format="json",
                                                       HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert not Application.objects.exists()


def test_a_replayed_decision_is_taken_once(food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a,
                                           approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        for actor in (handler_a, reviewer_a, approver_a):
            services.claim_application(application, actor=actor)
            if actor != approver_a:
                services.complete_step(application, actor=actor, opinion="同意")
        approver = token_client(approver_a)
        responses = [approver.post(action_url(application.pk, "decide"), {"outcome": "approve"}, format="json",
                                   HTTP_IDEMPOTENCY_KEY=KEY) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert responses[1].json() == responses[2].json() == responses[0].json()
    assert Decision.objects.count() == 1
