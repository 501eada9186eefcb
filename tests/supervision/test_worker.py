"""The sweep with real Celery workers: twice, two at once, and a worker SIGKILLed mid-sweep.

Workers run as separate processes (``celery -A portal worker``) against this test's PostgreSQL
database and a private, non-persistent redis-server (``tests.outbox.processes``), as in
production. The test process sends the task as beat does. Cases are built relative to the real
Beijing date, since the workers sweep "today".

To hold a sweep in flight at a chosen point without touching its code, the test takes the lock of
the sweeps' audit chain (as another writer of that chain would): a sweep that raised warnings
appends its record there last, after its INSERT, its UPDATE and its outbox messages, and waits
for the lock inside its still-open transaction.
"""

import os
import threading
from collections import Counter
from types import SimpleNamespace

import pytest
from celery import Celery
from django.db import connection, transaction

from approvals.services import today
from portal.audit import locking
from portal.notifications.models import Notification
from portal.organisation import services as organisation
from portal.outbox.choices import OutboxStatus
from portal.outbox.models import OutboxMessage
from supervision.models import SweepRun, TimeLimitWarning
from supervision.services import SWEEP_AUDIT_CHAIN
from tests.factories import ItemFactory
from tests.outbox.processes import REDIS_SERVER, REPOSITORY, PrivateRedis, Worker, database_url, wait_until
from tests.supervision.conftest import accepted, working_days_before

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the workers need a database they can share"),
    pytest.mark.skipif(not REDIS_SERVER.exists(), reason="needs /usr/bin/redis-server (Debian: redis-server)"),
    pytest.mark.timeout(240),
]
SWEEP_TASK = "supervision.tasks.sweep_time_limits"


@pytest.fixture
def stack(seeded_calendar, tmp_path):
    """A private Redis and two (not yet started) workers on it and on this database; everything
    killed by its own id at the end, whatever happened."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": redis.url,
        "PYTHONPATH": str(REPOSITORY),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    client = Celery("sweep-test-client", broker=redis.url, set_as_current=False)
    processes = SimpleNamespace(
        redis=redis,
        workers=[Worker(tmp_path, env, name="worker-1"), Worker(tmp_path, env, name="worker-2")],
        send=lambda: client.send_task(SWEEP_TASK),
    )
    processes.logs = lambda: "\n".join(f"--- {process.name} ---\n{process.log()[-4000:]}"
                                       for process in (*processes.workers, redis))
    try:
        yield processes
    finally:
        for process in (*processes.workers, redis):
            process.kill()
        client.close()


@pytest.fixture
def lit_today(bureau_a, applicant_citizen, clerk_district_a):
    """Four cases that are lit on the real today — yellow, red, red and past the statutory limit —
    and one still green; the department has a fixed contact person."""
    bureau_a.contact_person, bureau_a.contact_phone, bureau_a.contact_email = "刘芳", "13700000009", "lf@jc.gov.cn"
    organisation.save_department(bureau_a, actor=None)
    ten = ItemFactory(department=bureau_a, level="district", promised_limit=10, statutory_limit=20, publish=True)
    three = ItemFactory(department=bureau_a, level="district", promised_limit=3, statutory_limit=5, publish=True)
    now = today()
    cases = {
        "yellow": accepted(ten, applicant_citizen, clerk_district_a, working_days_before(now, 9)),  # 1 left
        "red": accepted(ten, applicant_citizen, clerk_district_a, working_days_before(now, 12)),  # 2 over
        "statutory": accepted(three, applicant_citizen, clerk_district_a, working_days_before(now, 8)),
        "green": accepted(ten, applicant_citizen, clerk_district_a, working_days_before(now, 1)),
    }
    return cases, {
        (cases["yellow"].pk, "yellow"), (cases["red"].pk, "red"), (cases["statutory"].pk, "red"),
        (cases["statutory"].pk, "statutory"),
    }


class ChainHolder:
    """Another writer of the sweeps' audit chain, holding its lock in its own transaction."""

    def __init__(self) -> None:
        self.acquired, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        from django.db import connections

        try:
            with transaction.atomic():
                locking.lock_chain_for_append(SWEEP_AUDIT_CHAIN)
                self.acquired.set()
                self.release.wait(timeout=180)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.acquired.wait(timeout=30)
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def waiting_on_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND wait_event = 'advisory'")
        return cursor.fetchone()[0]


def finished_runs() -> int:
    return SweepRun.objects.filter(finished_at__isnull=False).count()


def raised() -> Counter:
    return Counter(TimeLimitWarning.objects.values_list("application_id", "colour"))


def all_delivered() -> bool:
    return (OutboxMessage.objects.exists()
            and not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists())


def contact_notifications() -> list[str]:
    return sorted(Notification.objects.filter(idempotency_key__startswith="supervision.")
                  .values_list("subject", flat=True))


EXPECTED_NOTICES = ["红牌警示：2 件办件已超过承诺时限", "超法定时限：1 件办件已超过法定办理期限",
                    "黄牌预警：1 件办件临近承诺时限"]


def test_sweeping_twice_raises_each_warning_once_and_tells_the_contact_once(stack, lit_today):
    _cases, expected = lit_today
    worker = stack.workers[0]
    worker.start()

    stack.send()
    wait_until(lambda: finished_runs() == 1, timeout=60, what="the first sweep")
    stack.send()
    wait_until(lambda: finished_runs() == 2, timeout=60, what="the second sweep")
    wait_until(all_delivered, timeout=60, what="the notices, emails and SMS to be delivered")

    assert raised() == Counter(expected), stack.logs()
    assert sorted(SweepRun.objects.values_list("yellow_raised", "red_raised", "statutory_raised")) == [
        (0, 0, 0), (1, 2, 1)]
    assert contact_notifications() == sorted(EXPECTED_NOTICES)
    assert not TimeLimitWarning.objects.filter(notified_at__isnull=True).exists()


def test_two_sweeps_at_once_on_two_workers_lose_nothing_and_duplicate_nothing(stack, lit_today):
    _cases, expected = lit_today
    for worker in stack.workers:
        worker.start()

    with ChainHolder():
        stack.send()
        stack.send()
        # both in flight: one waits for the chain after its INSERT, the other for the sweep lock
        wait_until(lambda: waiting_on_advisory_locks() == 2, timeout=60, what="both sweeps to be in flight")
        assert SweepRun.objects.count() == 2 and finished_runs() == 0
    wait_until(lambda: finished_runs() == 2, timeout=60, what="both sweeps to finish")
    wait_until(all_delivered, timeout=60, what="the notices to be delivered")

    runs = list(SweepRun.objects.order_by("finished_at"))
    assert max(run.started_at for run in runs) < min(run.finished_at for run in runs)  # they overlapped
    assert raised() == Counter(expected), stack.logs()
    assert sorted(run.raised for run in runs) == [0, 4]
    assert {run.cases_scanned for run in runs} == {4}
    assert contact_notifications() == sorted(EXPECTED_NOTICES)


def test_a_worker_killed_mid_sweep_loses_nothing_and_its_restart_duplicates_nothing(stack, lit_today):
    _cases, expected = lit_today
    worker = stack.workers[0]
    worker.start()

    with ChainHolder():
        stack.send()
        # the sweep has inserted its warnings and enqueued its notice, and waits to commit
        wait_until(lambda: waiting_on_advisory_locks() == 1, timeout=60, what="the sweep to be in flight")
        worker.kill()  # SIGKILL: no rollback sent, no acknowledgement
        assert raised() == Counter()  # nothing of it ever visible
    # the orphaned session gets the lock, finds its client gone and rolls back on its own
    wait_until(lambda: waiting_on_advisory_locks() == 0, timeout=30, what="the orphaned session to end")

    worker.start()
    stack.send()  # beat's next run
    wait_until(lambda: finished_runs() == 1, timeout=60, what="the sweep after the restart")
    wait_until(all_delivered, timeout=60, what="the notices to be delivered")

    assert raised() == Counter(expected), stack.logs()
    assert SweepRun.objects.filter(finished_at__isnull=True).count() == 1  # the killed run, shown as such
    assert OutboxMessage.objects.filter(kind="supervision.warning_notices").count() == 1
    assert contact_notifications() == sorted(EXPECTED_NOTICES)
    assert worker.starts == 2
