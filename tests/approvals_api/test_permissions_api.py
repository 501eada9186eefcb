"""The permission matrix of the creating endpoints (STYLE.md): anonymous, wrong role, the right
role in another district, the right role — and nothing happens where it must not."""

import pytest

from approvals import services
from approvals.models import Application, Decision
from tests.approvals.conftest import at, file_online
from tests.approvals_api.conftest import APPLICATIONS, action_url, filing, token_client

pytestmark = pytest.mark.django_db

MATRIX = [
    pytest.param(None, 401, id="anonymous"),
    pytest.param("handler_a", 403, id="wrong-role"),
    pytest.param("{other_district}", 404, id="other-district"),
]


def caller(request, persona: str | None, other_district: str):
    if persona is None:
        return token_client()
    return token_client(request.getfixturevalue(persona.format(other_district=other_district)))


@pytest.mark.parametrize(("persona", "expected"), MATRIX)
def test_create_is_refused(request, food_item, persona, expected):
    with at(2025, 9, 22):
        response = caller(request, persona, "clerk_district_b").post(APPLICATIONS, filing(food_item),
                                                                      format="json")

    assert response.status_code == expected
    assert set(response.json()["error"]) >= {"code", "message"}
    assert not Application.objects.exists()


def test_create_by_the_window_clerk(food_item, clerk_district_a):
    with at(2025, 9, 22):
        response = token_client(clerk_district_a).post(APPLICATIONS, filing(food_item), format="json")

    assert response.status_code == 201
    application = Application.objects.get()
    assert (application.filed_by, application.applicant, application.channel) == (clerk_district_a, None, "api")


@pytest.fixture
def submitted(food_item, applicant_citizen):
    with at(2025, 9, 22):
        return file_online(food_item, applicant_citizen)


@pytest.mark.parametrize(("persona", "expected"), MATRIX)
def test_accept_is_refused(request, submitted, persona, expected):
    with at(2025, 9, 22):
        response = caller(request, persona, "clerk_district_b").post(action_url(submitted.pk, "accept"),
                                                                      format="json")

    assert response.status_code == expected
    submitted.refresh_from_db()
    assert (submitted.status, submitted.accepted_on, submitted.steps.count()) == ("submitted", None, 0)


def test_accept_by_the_window_clerk(submitted, clerk_district_a):
    with at(2025, 9, 22):
        response = token_client(clerk_district_a).post(action_url(submitted.pk, "accept"), format="json")

    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == "in_progress"


@pytest.fixture
def claimed_by_approver(submitted, clerk_district_a, handler_a, reviewer_a, approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(submitted, actor=clerk_district_a)
        for actor in (handler_a, reviewer_a):
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="同意")
        services.claim_application(application, actor=approver_a)
    return application


@pytest.mark.parametrize(("persona", "expected"), MATRIX)
def test_decide_is_refused(request, claimed_by_approver, persona, expected):
    with at(2025, 9, 23):
        response = caller(request, persona, "approver_district_b").post(
            action_url(claimed_by_approver.pk, "decide"), {"outcome": "approve"}, format="json")

    assert response.status_code == expected
    claimed_by_approver.refresh_from_db()
    assert (claimed_by_approver.status, claimed_by_approver.decided_on) == ("in_progress", None)
    assert not Decision.objects.exists()


def test_decide_by_an_approver_who_has_not_claimed_the_case_is_403(claimed_by_approver, second_approver_a):
    with at(2025, 9, 23):
        response = token_client(second_approver_a).post(action_url(claimed_by_approver.pk, "decide"),
                                                        {"outcome": "approve"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "该办件已由他人认领。"
    assert not Decision.objects.exists()


def test_decide_by_the_approver(claimed_by_approver, approver_a):
    with at(2025, 9, 23):
        response = token_client(approver_a).post(action_url(claimed_by_approver.pk, "decide"),
                                                 {"outcome": "refuse", "reasons": "经营场所与住宅未有效隔离。"},
                                                 format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "refused"
    assert Decision.objects.get().outcome == "refuse"


def test_an_applicant_cannot_act_as_staff_on_their_own_case(submitted, applicant_citizen):
    with at(2025, 9, 22):
        response = token_client(applicant_citizen).post(action_url(submitted.pk, "accept"), format="json")

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
