"""Two people acting on one case at once: the row lock lets exactly one win (PostgreSQL)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from approvals import services
from approvals.models import Application, Decision, Licence
from approvals.transitions import TransitionRefused
from tests.approvals.conftest import at, file_online
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def at_approval_step(food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        for actor in (handler_a, reviewer_a):
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="同意")
    return application


def test_two_approvers_claiming_at_once_one_wins(at_approval_step, approver_a, second_approver_a):
    with at(2025, 9, 23):
        results = run_together(
            lambda: services.claim_application(Application.objects.get(pk=at_approval_step.pk), actor=approver_a),
            lambda: services.claim_application(Application.objects.get(pk=at_approval_step.pk),
                                               actor=second_approver_a),
        )

    winners = [result for result in results if isinstance(result, Application)]
    losers = [result for result in results if isinstance(result, TransitionRefused)]
    assert (len(winners), len(losers)) == (1, 1)
    assert Application.objects.get(pk=at_approval_step.pk).assignee_id == winners[0].assignee_id


def test_a_double_submitted_decision_is_taken_once(at_approval_step, approver_a):
    with at(2025, 9, 23):
        services.claim_application(at_approval_step, actor=approver_a)
        results = run_together(
            lambda: services.decide(Application.objects.get(pk=at_approval_step.pk), actor=approver_a,
                                    outcome="approve"),
            lambda: services.decide(Application.objects.get(pk=at_approval_step.pk), actor=approver_a,
                                    outcome="approve"),
        )

    assert sum(isinstance(result, Decision) for result in results) == 1
    assert sum(isinstance(result, (TransitionRefused, PermissionDenied)) for result in results) == 1
    assert Decision.objects.filter(application=at_approval_step).count() == 1


def test_two_cases_decided_at_once_get_different_document_numbers(
        food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a, approver_a, second_approver_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    cases = []
    with at(2025, 9, 22):
        for approver in (approver_a, second_approver_a):
            application = services.accept_application(file_online(food_item, applicant_citizen),
                                                      actor=clerk_district_a)
            for actor in (handler_a, reviewer_a, approver):
                services.claim_application(application, actor=actor)
                if actor is not approver:
                    services.complete_step(application, actor=actor, opinion="同意")
            cases.append((application, approver))

    with at(2025, 9, 23):
        results = run_together(*(
            (lambda application=application, approver=approver: services.decide(
                Application.objects.get(pk=application.pk), actor=approver, outcome="approve"))
            for application, approver in cases))

    assert all(isinstance(result, Decision) for result in results), results
    assert sorted(Decision.objects.values_list("document_number", flat=True)) == [
        "江审批许字〔2025〕第00001号", "江审批许字〔2025〕第00002号"]


def test_licences_issued_at_once_get_different_numbers(
        food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a, approver_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    decided = []
    with at(2025, 9, 22):
        for _ in range(3):
            application = services.accept_application(file_online(food_item, applicant_citizen),
                                                      actor=clerk_district_a)
            for actor in (handler_a, reviewer_a):
                services.claim_application(application, actor=actor)
                services.complete_step(application, actor=actor, opinion="同意")
            services.claim_application(application, actor=approver_a)
            services.decide(application, actor=approver_a, outcome="approve")
            decided.append(application)

    # the first issue of the year also creates the organ's counter: all three race for that too
    with at(2025, 9, 23):
        results = run_together(*(
            (lambda application=application: services.conclude_application(
                Application.objects.get(pk=application.pk), actor=clerk_district_a, served_method="in_person"))
            for application in decided))

    assert all(isinstance(result, Application) for result in results), results
    assert sorted(Licence.objects.values_list("number", flat=True)) == [
        "A-SPJ-2025-000001", "A-SPJ-2025-000002", "A-SPJ-2025-000003"]
