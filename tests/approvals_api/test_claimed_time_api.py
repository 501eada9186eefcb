"""The server's time is the record's time; a system's claimed acting time is kept beside it, and a
gap over two hours is flagged in the audit trail as a sign of off-system processing (体外循环)."""

from datetime import timedelta

import pytest

from approvals import services
from approvals.claimed_time import gap_limit
from approvals.models import Step
from portal.audit.models import AuditEntry
from tests.approvals.conftest import at, file_online
from tests.approvals_api.conftest import action_url, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed_by_handler(food_item, applicant_citizen, clerk_district_a, handler_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        services.claim_application(application, actor=handler_a)
    return application


def complete_at_three_claiming(application, handler, acted_at):
    with at(2025, 9, 23, 15):
        return token_client(handler).post(action_url(application.pk, "complete-step"),
                                          {"opinion": "同意", "acted_at": acted_at}, format="json")


def test_the_limit_is_two_hours_by_default():
    assert gap_limit() == timedelta(hours=2)


@pytest.mark.parametrize("acted_at", ["2025-09-23T12:59:00+08:00", "2025-09-23T04:59:00Z"])
def test_a_claim_more_than_two_hours_before_the_record_is_flagged(claimed_by_handler, handler_a, acted_at):
    response = complete_at_three_claiming(claimed_by_handler, handler_a, acted_at)

    assert response.status_code == 200
    step = response.json()["steps"][-1]
    assert (step["kind"], step["acted_at"], step["claimed_acted_at"]) == (
        "handle", "2025-09-23T15:00:00+08:00", "2025-09-23T12:59:00+08:00")
    entry = AuditEntry.objects.get(event_type="approvals.claimed_time_gap")
    assert entry.data == {"claimed": "2025-09-23T12:59:00+08:00", "recorded": "2025-09-23T15:00:00+08:00",
                          "gap_seconds": 7260, "step": "handle", "limit_seconds": 7200}
    assert (entry.actor_username, entry.target_type, entry.target_id) == (
        "handler_a", "approvals.application", str(claimed_by_handler.pk))


@pytest.mark.parametrize("acted_at", ["2025-09-23T13:01:00+08:00", "2025-09-23T13:00:00+08:00",
                                      "2025-09-23T15:03:00+08:00"])
def test_a_claim_within_two_hours_is_kept_but_not_flagged(claimed_by_handler, handler_a, acted_at):
    response = complete_at_three_claiming(claimed_by_handler, handler_a, acted_at)

    assert response.status_code == 200
    assert response.json()["steps"][-1]["claimed_acted_at"] == acted_at
    assert not AuditEntry.objects.filter(event_type="approvals.claimed_time_gap").exists()


def test_without_a_claim_only_the_server_time_is_recorded(claimed_by_handler, handler_a):
    with at(2025, 9, 23, 15):
        response = token_client(handler_a).post(action_url(claimed_by_handler.pk, "complete-step"),
                                                {"opinion": "同意"}, format="json")

    assert response.status_code == 200
    step = Step.objects.get(application=claimed_by_handler, kind="handle")
    assert step.claimed_acted_at is None
    assert not AuditEntry.objects.filter(event_type="approvals.claimed_time_gap").exists()
