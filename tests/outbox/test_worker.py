"""At least once with a real Celery worker, through SIGKILLs of the worker and of Redis.

The worker, beat and a client (standing in for the web process) run as separate processes against
this test's PostgreSQL database and a private, non-persistent redis-server on a free port, as in
production. The receiver (``tests.outbox.receivers.file_ledger``) logs every call, applies its
effect once per key (a marker file created with O_EXCL is its dedupe record), then sleeps: a kill
can land after the effect and before the outbox records the delivery, which is the case that
makes the idempotency key necessary.
"""

import os
from collections import Counter
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from portal.outbox.choices import OutboxStatus
from portal.outbox.models import OutboxMessage
from tests.outbox.processes import (
    REDIS_SERVER,
    REPOSITORY,
    Beat,
    PrivateRedis,
    Worker,
    database_url,
    run_client,
    wait_until,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs a database it can share"),
    pytest.mark.skipif(not REDIS_SERVER.exists(), reason="needs /usr/bin/redis-server (Debian: redis-server)"),
    pytest.mark.timeout(240),
]


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def stack(transactional_db, tmp_path):
    """A private Redis, and (not yet started) a worker and a beat pointed at it and at this database.

    Torn down before the test database is flushed, whatever happened, every process by its own id.
    """
    ledger = tmp_path / "ledger"
    (ledger / "applied").mkdir(parents=True)
    redis = PrivateRedis(tmp_path)
    redis.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.outbox.worker_settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": redis.url,
        "PYTHONPATH": str(REPOSITORY),
    }
    processes = SimpleNamespace(
        redis=redis,
        worker=Worker(tmp_path, env),
        beat=Beat(tmp_path, env),
        env=env,
        ledger=str(ledger),
        calls=lambda: _lines(ledger / "calls.log"),
        effects=lambda: _lines(ledger / "effects.log"),
        duplicates=lambda: _lines(ledger / "duplicates.log"),
    )
    processes.logs = lambda: "\n".join(
        f"--- {process.name} ---\n{process.log()[-4000:]}" for process in (processes.worker, processes.beat, redis)
    )
    try:
        yield processes
    finally:
        for process in (processes.beat, processes.worker, redis):
            process.kill()


def _statuses(keys) -> dict[str, str]:
    return dict(OutboxMessage.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "status"))


def _all_delivered(keys) -> bool:
    return _statuses(keys) == {key: OutboxStatus.DELIVERED for key in keys}


def _enqueue(stack, sleep_after: float, *keys: str):
    result = run_client(stack.env, "enqueue", stack.ledger, str(sleep_after), *keys)
    assert result.returncode == 0, result.stderr + stack.logs()
    return result


def test_worker_killed_mid_delivery_redelivers_and_each_effect_applies_once(stack):
    keys = [f"killed-worker:{number}" for number in range(4)]
    # given a worker, and four messages committed by a web process (whose nudge starts the drain)
    stack.worker.start()
    _enqueue(stack, 1.5, *keys)
    # when the worker is SIGKILLed after the second message's effect, before the outbox records it
    wait_until(lambda: keys[1] in stack.effects(), timeout=30, what="the second effect")
    stack.worker.kill()
    # then the first is delivered and the rest are held by the dead worker's claim
    assert _statuses(keys) == {keys[0]: OutboxStatus.DELIVERED, **{key: OutboxStatus.DELIVERING for key in keys[1:]}}
    # when its leases run out (after LEASE, five minutes: moved into the past instead of waited for)
    OutboxMessage.objects.filter(status=OutboxStatus.DELIVERING).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    # and a new worker starts, and the drain task is sent as beat sends it
    stack.worker.start()
    result = run_client(stack.env, "kick")
    assert result.returncode == 0, result.stderr
    wait_until(lambda: _all_delivered(keys), timeout=60, what="every message to be delivered")
    # then every message was delivered, the interrupted one twice, and every effect applied once
    assert Counter(stack.calls()) == {keys[0]: 1, keys[1]: 2, keys[2]: 1, keys[3]: 1}, stack.logs()
    assert sorted(stack.effects()) == sorted(keys)
    assert stack.duplicates() == [keys[1]]
    assert dict(OutboxMessage.objects.values_list("idempotency_key", "attempts")) == {
        keys[0]: 1, keys[1]: 2, keys[2]: 2, keys[3]: 2
    }


def test_redis_killed_and_restarted_loses_nothing_because_the_outbox_is_in_the_database(stack):
    before = [f"before-outage:{number}" for number in range(3)]
    during = [f"during-outage:{number}" for number in range(3)]
    # given a worker and beat draining every second, busy delivering three messages
    stack.worker.start()
    stack.beat.start()
    _enqueue(stack, 1.0, *before)
    wait_until(lambda: before[0] in stack.effects(), timeout=30, what="the first effect")
    # when Redis is SIGKILLed (it keeps nothing: no RDB, no AOF)
    stack.redis.kill()
    # then the drain already running finishes its messages: it needs the database, not the broker
    wait_until(lambda: _all_delivered(before), timeout=30, what="the running drain to finish")
    # when a web process commits three more messages while Redis is down
    started = timezone.now()
    result = _enqueue(stack, 0, *during)
    # then the commit succeeded without the broker, promptly; only the nudge was lost, so they wait
    assert timezone.now() - started < timedelta(seconds=20)
    assert "beat's next run delivers instead" in result.stderr
    assert set(_statuses(during).values()) == {OutboxStatus.PENDING}
    # when Redis comes back empty on the same port
    stack.redis.start()
    assert stack.redis.queued_messages() == 0
    # then beat's next runs reach the reconnected worker, which delivers everything
    wait_until(lambda: _all_delivered(before + during), timeout=90, what="every message to be delivered",
               interval=0.5)
    assert stack.worker.running and stack.worker.starts == 1, "the worker should survive the broker's restart"
    assert sorted(stack.effects()) == sorted(before + during), stack.logs()
    assert stack.duplicates() == []
