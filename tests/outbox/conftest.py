"""Fixtures of the outbox tests: the test handlers, a clean ledger, and nudges kept off the broker."""

import pytest

from tests.outbox.receivers import LEDGER, TEST_HANDLERS


@pytest.fixture(autouse=True)
def test_handlers(settings):
    settings.OUTBOX_HANDLERS = {**settings.OUTBOX_HANDLERS, **TEST_HANDLERS}


@pytest.fixture(autouse=True)
def ledger():
    LEDGER.clear()
    yield LEDGER
    LEDGER.clear()


@pytest.fixture(autouse=True)
def nudges_kept_off_the_broker(drain_nudges):
    return drain_nudges
