import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_index_warns_that_next_years_holidays_are_missing(client, admin_city):
    client.force_login(admin_city)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "2027 年节假日安排尚未发布：期限按仅跳过周末计算，结果为临时值。" in response.content.decode()


def test_setup_schedule_writes_beat_entries_with_expiry(db):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedule")
    call_command("setup_schedule")

    tasks = {task.name: task for task in PeriodicTask.objects.all()}
    assert tasks["audit: seal chains"].task == "portal.audit.tasks.seal_audit_chain"
    assert tasks["audit: seal chains"].expire_seconds == 290
    assert tasks["workdays: extend calendar"].crontab.hour == "3"
    assert tasks["approvals: deemed acceptance"].task == "approvals.tasks.deem_overdue_filings_accepted"
    assert tasks["uploads: remove orphaned files"].task == "portal.uploads.tasks.remove_orphaned_files"
    assert tasks["outbox: drain"].expire_seconds == 55
    assert tasks["approvals: licence sweep"].task == "approvals.tasks.licence_sweep"
    purge_keys = tasks["idempotency: purge expired keys"]
    assert (purge_keys.task, purge_keys.crontab.minute, purge_keys.crontab.hour, purge_keys.expire_seconds) == (
        "portal.tasks.purge_idempotency_keys", "20", "4", 23 * 3600)
    purge_outbox = tasks["outbox: purge delivered"]
    assert (purge_outbox.task, purge_outbox.crontab.minute, purge_outbox.crontab.hour,
            purge_outbox.expire_seconds) == ("portal.outbox.tasks.purge_delivered_outbox", "50", "4", 23 * 3600)
    assert len(tasks) == 11  # the eight above and the three efficiency entries (tests/efficiency/test_tasks.py)


def test_every_beat_entry_names_a_registered_task_and_expires_within_its_period():
    from portal.celery import app
    from portal.schedule import SCHEDULE

    app.loader.import_default_modules()  # what a worker imports at start: every app's tasks module
    for entry in SCHEDULE:
        if entry.hour != "*":
            period = 24 * 3600
        elif entry.minute == "*":
            period = 60
        elif entry.minute.startswith("*/"):
            period = int(entry.minute[2:]) * 60
        else:
            period = 3600
        assert entry.task in app.tasks, entry.name
        assert period / 2 < entry.expires_seconds < period, entry.name
