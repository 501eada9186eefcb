"""Reading: the scoped list with its filters and a pinned query count, the case, the schema."""

import pytest

from approvals import services
from tests.approvals.conftest import at, file_online
from tests.approvals_api.conftest import APPLICATIONS, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_cases(food_item, applicant_citizen, clerk_district_a, handler_a):
    """JZ…00001 in progress and claimed at 承办, JZ…00002 and JZ…00003 waiting in pre-review."""
    with at(2025, 9, 22):
        first = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        services.claim_application(first, actor=handler_a)
        file_online(food_item, applicant_citizen)
        file_online(food_item, applicant_citizen)
    return first


def receipt_numbers(response) -> list[str]:
    assert response.status_code == 200
    return [row["receipt_number"] for row in response.json()["results"]]


def test_filters_by_status_current_step_and_receipt_number(three_cases, clerk_district_a):
    clerk = token_client(clerk_district_a)

    assert receipt_numbers(clerk.get(APPLICATIONS)) == ["JZ2025092200003", "JZ2025092200002", "JZ2025092200001"]
    assert receipt_numbers(clerk.get(APPLICATIONS, {"status": "submitted"})) == ["JZ2025092200003",
                                                                                 "JZ2025092200002"]
    assert receipt_numbers(clerk.get(APPLICATIONS, {"current_step": "handle"})) == ["JZ2025092200001"]
    assert receipt_numbers(clerk.get(APPLICATIONS, {"receipt_number": "JZ2025092200002"})) == ["JZ2025092200002"]


def test_an_unknown_status_filter_is_400(three_cases, clerk_district_a):
    response = token_client(clerk_district_a).get(APPLICATIONS, {"status": "lost"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]


def test_the_list_is_scoped_to_the_callers_region_and_the_applicants_own(three_cases, clerk_district_b,
                                                                          applicant_enterprise, applicant_citizen):
    assert receipt_numbers(token_client(clerk_district_b).get(APPLICATIONS)) == []
    assert receipt_numbers(token_client(applicant_enterprise).get(APPLICATIONS)) == []
    assert len(receipt_numbers(token_client(applicant_citizen).get(APPLICATIONS))) == 3


def test_staff_without_a_personal_data_role_see_codes_masked(three_cases, regulator_district_a, clerk_district_a):
    masked = token_client(regulator_district_a).get(APPLICATIONS).json()["results"][0]
    clear = token_client(clerk_district_a).get(APPLICATIONS).json()["results"][0]

    assert (masked["identity_code"], masked["contact_phone"]) == ("1101**********002X", "139****1111")
    assert (clear["identity_code"], clear["contact_phone"]) == ("11010519491231002X", "13900001111")


def test_the_list_costs_the_same_number_of_queries_for_any_length(three_cases, food_item, applicant_citizen,
                                                                   clerk_district_a, django_assert_num_queries):
    clerk = token_client(clerk_district_a)
    clerk.get(APPLICATIONS)  # warm the per-process caches (content types)

    # Token with its user; department and region (the scope); count; the page, joined; the caller's
    # roles (may they see personal data?). Never one per row.
    with django_assert_num_queries(6):
        assert len(receipt_numbers(clerk.get(APPLICATIONS))) == 3
    with at(2025, 9, 23):
        for _ in range(7):
            file_online(food_item, applicant_citizen)
    with django_assert_num_queries(6):
        assert len(receipt_numbers(clerk.get(APPLICATIONS))) == 10


def test_the_case_carries_materials_steps_pauses_and_the_clock(three_cases, clerk_district_a,
                                                               django_assert_num_queries):
    clerk = token_client(clerk_district_a)
    clerk.get(APPLICATIONS)  # warm the per-process caches (content types)

    # As the list, with one query each for materials, steps, pauses, notices and (joint cases')
    # sub-cases instead of a count.
    with at(2025, 9, 24), django_assert_num_queries(10):
        response = clerk.get(f"{APPLICATIONS}{three_cases.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert (body["receipt_number"], body["assignee"], body["item_name"]) == ("JZ2025092200001", "handler_a",
                                                                            "食品经营许可")
    assert [m["name"] for m in body["materials"]] == ["食品经营许可申请书", "营业执照", "场所平面图"]
    assert [step["kind"] for step in body["steps"]] == ["accept"]
    assert body["pauses"] == []
    assert body["clock"]["used"] == 2
    assert body["clock"]["explanation"] == "已用 2 / 20 个工作日；承诺办结日 2025-10-24，法定期限 2025-10-24。"


def test_the_schema_documents_the_lifecycle_tokens_and_idempotency_keys(db, client):
    response = client.get("/api/schema/")

    schema = response.content.decode()
    assert response.status_code == 200
    for path in ("/api/applications/:", "/api/applications/{id}/:", "/api/applications/{id}/accept/:",
                 "/api/applications/{id}/one-time-notice/:", "/api/applications/{id}/complete-step/:",
                 "/api/applications/{id}/decide/:", "/api/applications/{id}/terminate/:"):
        assert path in schema
    assert "tokenAuth" in schema
    assert "Idempotency-Key" in schema
