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
def drain_nudges(monkeypatch):
    """The after-commit nudges that would have gone to the broker, recorded instead."""
    from portal.outbox.tasks import drain_outbox

    sent: list[dict] = []
    monkeypatch.setattr(drain_outbox, "apply_async", lambda *args, **kwargs: sent.append(kwargs))
    return sent
