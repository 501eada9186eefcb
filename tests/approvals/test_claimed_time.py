"""The claimed-time rule in the service: every caller of complete_step gets it, not only the API."""

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError

from approvals import services
from approvals.clock import BEIJING
from portal.audit.models import AuditEntry
from tests.approvals.conftest import at, file_online

pytestmark = pytest.mark.django_db

GAP_EVENT = "approvals.claimed_time_gap"


@pytest.fixture
def claimed_by_handler(food_item, applicant_citizen, clerk_district_a, handler_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen),
                                                  actor=clerk_district_a)
        services.claim_application(application, actor=handler_a)
    return application


def complete_at_three(application, handler, claimed):
    with at(2025, 9, 23, 15):
        return services.complete_step(application, actor=handler, opinion="同意", claimed_acted_at=claimed)


def test_a_claim_far_from_the_record_is_flagged_by_the_service(claimed_by_handler, handler_a):
    complete_at_three(claimed_by_handler, handler_a, datetime(2025, 9, 22, 16, tzinfo=BEIJING))

    step = claimed_by_handler.steps.get(kind="handle")
    assert (step.acted_at, step.claimed_acted_at) == (datetime(2025, 9, 23, 15, tzinfo=BEIJING),
                                                      datetime(2025, 9, 22, 16, tzinfo=BEIJING))
    entry = AuditEntry.objects.get(event_type=GAP_EVENT)
    assert entry.data == {"claimed": "2025-09-22T16:00:00+08:00", "recorded": "2025-09-23T15:00:00+08:00",
                          "gap_seconds": 23 * 3600, "step": "handle", "limit_seconds": 7200}
    assert (entry.actor_username, entry.target_id) == ("handler_a", str(claimed_by_handler.pk))
    assert AuditEntry.objects.filter(event_type="approvals.application.complete_step").count() == 1


def test_the_limit_is_a_setting(claimed_by_handler, handler_a, settings):
    settings.CLAIMED_TIME_GAP_LIMIT_MINUTES = 30

    complete_at_three(claimed_by_handler, handler_a, datetime(2025, 9, 23, 14, 29, tzinfo=BEIJING))

    entry = AuditEntry.objects.get(event_type=GAP_EVENT)
    assert (entry.data["gap_seconds"], entry.data["limit_seconds"]) == (31 * 60, 30 * 60)


def test_a_claim_within_the_limit_is_kept_and_not_flagged(claimed_by_handler, handler_a, settings):
    settings.CLAIMED_TIME_GAP_LIMIT_MINUTES = 30

    complete_at_three(claimed_by_handler, handler_a, datetime(2025, 9, 23, 14, 30, tzinfo=BEIJING))

    assert claimed_by_handler.steps.get(kind="handle").claimed_acted_at == datetime(2025, 9, 23, 14, 30,
                                                                                    tzinfo=BEIJING)
    assert not AuditEntry.objects.filter(event_type=GAP_EVENT).exists()


@pytest.mark.parametrize(("claimed", "message"), [
    (datetime(2025, 9, 23, 15, 6, tzinfo=BEIJING), "办理时间不能晚于当前时间。"),
    (datetime(2025, 9, 23, 9), "时间须带时区，例如 2025-09-23T10:00:00+08:00。"),
])
def test_an_impossible_claim_is_refused_and_nothing_is_recorded(claimed_by_handler, handler_a, claimed, message):
    with pytest.raises(ValidationError) as refused:
        complete_at_three(claimed_by_handler, handler_a, claimed)

    assert refused.value.message_dict == {"claimed_acted_at": [message]}
    claimed_by_handler.refresh_from_db()
    assert (claimed_by_handler.current_step, claimed_by_handler.assignee_id) == ("handle", handler_a.pk)
    assert list(claimed_by_handler.steps.values_list("kind", flat=True)) == ["accept"]
    assert not AuditEntry.objects.filter(event_type__in=[GAP_EVENT, "approvals.application.complete_step"]).exists()


def test_a_claim_a_little_ahead_is_clock_drift_and_accepted(claimed_by_handler, handler_a):
    complete_at_three(claimed_by_handler, handler_a, datetime(2025, 9, 23, 15, 5, tzinfo=BEIJING))

    assert claimed_by_handler.steps.get(kind="handle").claimed_acted_at == datetime(2025, 9, 23, 15, 5,
                                                                                    tzinfo=BEIJING)
    assert not AuditEntry.objects.filter(event_type=GAP_EVENT).exists()
