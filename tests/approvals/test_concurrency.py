"""Two people acting on one case at once: the row lock lets exactly one win (PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from approvals import services
from approvals.models import Application, Decision
from approvals.transitions import TransitionRefused
from tests.approvals.conftest import at, file_online

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls):
    """Start every call at the same instant in its own thread (own DB connection); collect results."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the loser's refusal is the point of the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


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
