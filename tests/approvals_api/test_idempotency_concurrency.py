"""Concurrent duplicates of one key: the key row is inserted first, so the second call waits for the
first and replays its answer, or gives up with 409 while the first is still running (PostgreSQL)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from approvals import services
from approvals.models import Application
from portal import idempotency
from portal.models import IdempotentRequest
from tests.approvals.conftest import at
from tests.approvals_api.conftest import APPLICATIONS, filing, token_client

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "concurrent-0001"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("waiting on an uncommitted unique key is PostgreSQL's behaviour")


def in_thread(call):
    """Run ``call`` on its own database connection; return (thread, results list)."""
    results: list[object] = []

    def worker():
        try:
            results.append(call())
        except Exception as error:  # surfaced to the test through ``results``
            results.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    return thread, results


def test_two_identical_calls_at_once_file_one_application(food_item, clerk_district_a, monkeypatch):
    slow_start = services.start_application

    def start_slowly(*args, **kwargs):
        time.sleep(0.5)  # the first call holds its key row while the duplicate arrives
        return slow_start(*args, **kwargs)

    monkeypatch.setattr(services, "start_application", start_slowly)
    barrier = threading.Barrier(2)

    def call():
        client = token_client(clerk_district_a)
        barrier.wait(timeout=10)
        return client.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    with at(2025, 9, 22):
        token_client(clerk_district_a)  # create the token before the race
        runs = [in_thread(call) for _ in range(2)]
        for thread, _ in runs:
            thread.join(timeout=30)

    responses = [results[0] for _, results in runs]
    assert [response.status_code for response in responses] == [201, 201]
    assert sorted(response.has_header("Idempotent-Replayed") for response in responses) == [False, True]
    assert responses[0].json() == responses[1].json()
    assert Application.objects.count() == 1


def test_a_duplicate_gives_up_with_409_while_the_first_is_still_running(food_item, clerk_district_a,
                                                                         monkeypatch):
    monkeypatch.setattr(idempotency, "CONCURRENT_WAIT", timedelta(milliseconds=300))
    holding, release = threading.Event(), threading.Event()

    def first_call_in_flight():
        with transaction.atomic():
            IdempotentRequest.objects.create(user=clerk_district_a, key=KEY, method="POST", path=APPLICATIONS,
                                             request_hash="0" * 64)
            holding.set()
            release.wait(timeout=10)
            transaction.set_rollback(True)  # the first call fails: its key goes with it

    with at(2025, 9, 22):
        client = token_client(clerk_district_a)
        thread, _ = in_thread(first_call_in_flight)
        assert holding.wait(timeout=10)
        waiting = client.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)
        release.set()
        thread.join(timeout=10)
        retried = client.post(APPLICATIONS, filing(food_item), format="json", HTTP_IDEMPOTENCY_KEY=KEY)

    assert waiting.status_code == 409
    assert waiting.json()["error"]["code"] == "idempotency_key_in_progress"
    assert retried.status_code == 201
    assert Application.objects.count() == 1
