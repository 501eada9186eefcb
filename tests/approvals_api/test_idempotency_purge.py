"""Retention of idempotency keys: a week by default, then the key is forgotten and may run anew."""

import pytest

from approvals.models import Application
from portal.audit.models import AuditEntry
from portal.idempotency import PURGED_EVENT, purge_expired_keys
from portal.models import IdempotentRequest
from tests.approvals.conftest import at
from tests.approvals_api.conftest import APPLICATIONS, filing, token_client

pytestmark = pytest.mark.django_db

OLD_KEY = "2f1e6a0c-0000-4000-8000-000000000001"
RECENT_KEY = "2f1e6a0c-0000-4000-8000-000000000002"


@pytest.fixture
def filed_with_keys(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 1, 10):
        assert clerk.post(APPLICATIONS, filing(food_item), format="json",
                          HTTP_IDEMPOTENCY_KEY=OLD_KEY).status_code == 201
    with at(2025, 9, 8, 10, 1):
        assert clerk.post(APPLICATIONS, filing(food_item), format="json",
                          HTTP_IDEMPOTENCY_KEY=RECENT_KEY).status_code == 201
    return clerk


def test_keys_older_than_seven_days_are_purged_and_newer_ones_kept(filed_with_keys):
    with at(2025, 9, 15, 10):
        purged = purge_expired_keys()

    assert purged == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == [RECENT_KEY]
    entry = AuditEntry.objects.get(event_type=PURGED_EVENT)
    assert entry.data == {"created_before": "2025-09-08T10:00:00+08:00", "retention_days": 7, "count": 1}
    assert Application.objects.count() == 2  # only the keys go, never what the calls did


def test_after_the_purge_a_kept_key_still_replays_and_a_forgotten_one_runs_again(filed_with_keys, food_item):
    with at(2025, 9, 15, 10):
        purge_expired_keys()
        recent_retry = filed_with_keys.post(APPLICATIONS, filing(food_item), format="json",
                                            HTTP_IDEMPOTENCY_KEY=RECENT_KEY)
        old_retry = filed_with_keys.post(APPLICATIONS, filing(food_item), format="json",
                                         HTTP_IDEMPOTENCY_KEY=OLD_KEY)

    assert (recent_retry.status_code, recent_retry["Idempotent-Replayed"]) == (201, "true")
    assert (old_retry.status_code, old_retry.has_header("Idempotent-Replayed")) == (201, False)
    assert Application.objects.count() == 3


def test_large_numbers_go_in_batches(filed_with_keys, food_item):
    with at(2025, 9, 2, 10):
        for number in range(4):
            filed_with_keys.post(APPLICATIONS, filing(food_item), format="json",
                                 HTTP_IDEMPOTENCY_KEY=f"batch-{number}")

    with at(2025, 9, 15, 10):
        purged = purge_expired_keys(batch_size=2)

    assert purged == 5
    counts = AuditEntry.objects.filter(event_type=PURGED_EVENT).order_by("pk").values_list("data__count", flat=True)
    assert list(counts) == [2, 2, 1]
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == [RECENT_KEY]


def test_the_task_uses_the_configured_retention(filed_with_keys, settings):
    from portal.tasks import purge_idempotency_keys

    settings.IDEMPOTENCY_KEY_RETENTION_DAYS = 30
    with at(2025, 9, 15, 10):
        assert purge_idempotency_keys.apply().get() == 0
    settings.IDEMPOTENCY_KEY_RETENTION_DAYS = 1
    with at(2025, 9, 15, 10):
        assert purge_idempotency_keys.apply().get() == 2

    assert not IdempotentRequest.objects.exists()
