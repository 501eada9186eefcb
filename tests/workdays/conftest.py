"""The calendar's per-process copy outlives a test's rolled-back transaction: drop it around
every test so that each starts from the seeded table."""

import pytest

from portal.workdays import table


@pytest.fixture(autouse=True)
def fresh_calendar_copy(db):
    table.invalidate()
    yield
    table.invalidate()


@pytest.fixture
def eager_celery(settings):
    """Run tasks in-process: Celery read its configuration from Django settings at start-up, so
    the flag is set on both."""
    from portal.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
