"""Joint approval through the API: sub-cases on the case, and concluding one (permission matrix)."""

import pytest

from approvals.choices import SubCaseStatus
from approvals.models import SubCase
from portal.audit.models import AuditEntry
from tests.approvals.conftest import accepted_joint_case, at
from tests.approvals_api.conftest import APPLICATIONS, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint_case(joint_item, applicant_citizen, clerk_city):
    with at(2026, 1, 5):
        return accepted_joint_case(joint_item, applicant_citizen, clerk_city)


@pytest.fixture
def health_subcase(joint_case, health_city):
    return SubCase.objects.get(application=joint_case, department=health_city)


def conclude_url(application, subcase) -> str:
    return f"{APPLICATIONS}{application.pk}/subcases/{subcase.pk}/conclude/"


def test_the_case_lists_its_sub_cases_with_their_clocks(joint_case, market_handler_a):
    with at(2026, 1, 8):
        response = token_client(market_handler_a).get(f"{APPLICATIONS}{joint_case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["clock"]["promised_due"] == "2026-03-13"
    subcases = {row["department_code"]: row for row in body["subcases"]}
    assert set(subcases) == {"C-WJW", "A-SCJ"}
    health = subcases["C-WJW"]
    assert (health["status"], health["promised_limit"], health["promised_due"], health["opinion"]) == (
        "open", 10, "2026-01-19", "")
    assert (health["clock"]["used"], health["clock"]["remaining"]) == (3, 7)


@pytest.mark.parametrize(("persona", "expected"), [
    pytest.param(None, 401, id="anonymous"),
    pytest.param("handler_district_b", 404, id="other-district"),
    pytest.param("police_handler", 403, id="wrong-department"),
    pytest.param("market_handler_a", 404, id="other-participant-outside-the-region"),
    pytest.param("clerk_city", 403, id="wrong-role-of-the-lead"),
])
def test_conclude_is_refused(request, joint_case, health_subcase, persona, expected):
    client = token_client(request.getfixturevalue(persona) if persona else None)
    with at(2026, 1, 8):
        response = client.post(conclude_url(joint_case, health_subcase), {"opinion": "agree", "opinion_text": "同意"},
                               format="json")

    assert response.status_code == expected
    assert set(response.json()["error"]) >= {"code", "message"}
    health_subcase.refresh_from_db()
    assert (health_subcase.status, health_subcase.opinion) == (SubCaseStatus.OPEN, "")
    assert not AuditEntry.objects.filter(event_type="approvals.subcase.conclude").exists()


def test_conclude_by_the_participating_department(joint_case, health_subcase, health_handler):
    with at(2026, 1, 8):
        response = token_client(health_handler).post(conclude_url(joint_case, health_subcase),
                                                     {"opinion": "disagree", "opinion_text": "通风不达标。"},
                                                     format="json")

    assert response.status_code == 200
    row = next(row for row in response.json()["subcases"] if row["id"] == health_subcase.pk)
    assert (row["status"], row["opinion"], row["opinion_text"], row["assignee"]) == (
        "concluded", "disagree", "通风不达标。", "health_handler")
    assert row["clock"]["used"] == 3


def test_bad_input_and_a_second_conclusion_answer_in_structured_errors(joint_case, health_subcase, health_handler):
    client = token_client(health_handler)
    with at(2026, 1, 8):
        unknown = client.post(conclude_url(joint_case, health_subcase), {"opinion": "maybe"}, format="json")
        no_reasons = client.post(conclude_url(joint_case, health_subcase), {"opinion": "disagree"}, format="json")
        client.post(conclude_url(joint_case, health_subcase), {"opinion": "agree", "opinion_text": "同意"},
                    format="json")
        again = client.post(conclude_url(joint_case, health_subcase), {"opinion": "agree", "opinion_text": "同意"},
                            format="json")
        missing = client.post(f"{APPLICATIONS}{joint_case.pk}/subcases/999999/conclude/",
                              {"opinion": "agree", "opinion_text": "同意"}, format="json")

    assert (unknown.status_code, list(unknown.json()["error"]["fields"])) == (400, ["opinion"])
    assert (no_reasons.status_code, no_reasons.json()["error"]["fields"]) == (
        400, {"opinion_text": ["不同意的，须写明理由和依据。"]})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")
    assert missing.status_code == 404


def test_the_lead_cannot_decide_until_the_opinions_are_in(joint_case, approver_city):
    client = token_client(approver_city)
    with at(2026, 1, 8):
        client.post(f"{APPLICATIONS}{joint_case.pk}/claim/", format="json")
        response = client.post(f"{APPLICATIONS}{joint_case.pk}/decide/", {"outcome": "approve"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith("以下协办部门尚未出具协办意见")
