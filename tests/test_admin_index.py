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
    assert tasks["supervision: time-limit sweep"].task == "supervision.tasks.sweep_time_limits"
    assert (tasks["supervision: time-limit sweep"].crontab.minute, tasks["supervision: time-limit sweep"].expire_seconds) == (
        "*/5", 290)
    assert len(tasks) == 7
