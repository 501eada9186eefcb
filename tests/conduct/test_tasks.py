"""The conduct sweeps are on beat's table, crontab with expiry under their period."""

import pytest

from supervision.conduct import tasks
from supervision.conduct.models import ConductFlag

pytestmark = pytest.mark.django_db


def test_setup_schedule_installs_both_conduct_sweeps():
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedule")

    events = PeriodicTask.objects.get(name="conduct: key events")
    rules = PeriodicTask.objects.get(name="conduct: off-system rules")
    assert (events.task, events.crontab.minute, events.expire_seconds) == (
        "supervision.conduct.tasks.sweep_key_events", "*/15", 14 * 60)
    assert (rules.task, rules.crontab.minute, rules.crontab.hour, rules.expire_seconds) == (
        "supervision.conduct.tasks.sweep_conduct_rules", "25", "*", 55 * 60)


def test_the_rule_sweep_task_on_an_empty_database_adds_nothing():
    assert set(tasks.sweep_conduct_rules().values()) == {0}
    assert set(tasks.sweep_key_events().values()) == {0}
    assert not ConductFlag.objects.exists()
