"""Tasks take ids and may run twice; beat runs them; admins edit rules through the services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from portal.audit.models import AuditEntry
from supervision.efficiency import services, tasks
from supervision.efficiency.models import Score, ScoringRuleVersion, ScoringRun
from tests.approvals.conftest import at
from tests.efficiency.conftest import OCTOBER

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Run ids the after-commit hook would have sent to the broker."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.compute_scoring_run, "delay", ids.append)
    return ids


def test_a_request_queues_its_run_after_commit(rule, city, supervisor_city, sent,
                                               django_capture_on_commit_callbacks):
    with at(2025, 11, 3), django_capture_on_commit_callbacks(execute=True):
        run = services.request_scoring_run(rule=rule, region=city, period_start=OCTOBER[0], period_end=OCTOBER[1],
                                           actor=supervisor_city)

    assert sent == [run.pk]


def test_the_scoring_task_runs_twice_to_the_same_result(rule, october, city, supervisor_city, sent):
    with at(2025, 11, 3):
        run = services.request_scoring_run(rule=rule, region=city, period_start=OCTOBER[0], period_end=OCTOBER[1],
                                           actor=supervisor_city)
        tasks.compute_scoring_run(run.pk)
        scores = list(Score.objects.filter(run=run).order_by("pk").values_list("subject_key", "points"))
        tasks.compute_scoring_run(run.pk)  # a second delivery of the same message
        tasks.compute_scoring_run(run.pk + 1000)  # a run that is gone: nothing happens

    assert list(Score.objects.filter(run=run).order_by("pk").values_list("subject_key", "points")) == scores
    assert len(scores) == 6  # two departments, three items, one window
    assert AuditEntry.objects.filter(event_type="efficiency.run.completed").count() == 1
    assert ScoringRun.objects.get(pk=run.pk).status == "done"


def test_the_daily_sweep_queues_last_months_run_until_it_is_done(rule, october, sent,
                                                                 django_capture_on_commit_callbacks):
    with at(2025, 11, 3), django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_monthly_runs()
        tasks.ensure_monthly_runs()  # the message was lost, say: queued again
    run = ScoringRun.objects.get()
    assert sent == [run.pk, run.pk]

    with at(2025, 11, 3):
        tasks.compute_scoring_run(run.pk)
    with at(2025, 11, 4), django_capture_on_commit_callbacks(execute=True):
        tasks.ensure_monthly_runs()
    assert sent == [run.pk, run.pk]  # done: not queued again
    run.refresh_from_db()
    assert run.published_at is not None
    assert AuditEntry.objects.filter(event_type="efficiency.ranking.published").count() == 1


def test_the_rollup_tasks_report_what_they_did(october):
    with at(2025, 11, 3):
        first = tasks.refresh_rollups()
        recent = tasks.recompute_recent_rollups()

    assert first["days"] == 43 and first["rows"] > 0  # the first refresh builds 2025-09-22 … 2025-11-03
    assert recent["days"] == 62 and recent["rows"] > 0


def test_setup_efficiency_makes_the_default_rule_once(city):
    from django.core.management import call_command

    call_command("setup_efficiency")
    call_command("setup_efficiency")

    version = ScoringRuleVersion.objects.get()
    assert (version.rule.code, version.rule.region, version.status, version.weight_early_completion) == (
        "efficiency", city, "published", Decimal("20.00"))


def test_beat_runs_the_efficiency_tasks():
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedule")

    entries = {task.name: (task.task, task.crontab.minute, task.crontab.hour, task.expire_seconds)
               for task in PeriodicTask.objects.filter(name__startswith="efficiency:")}
    assert entries == {
        "efficiency: refresh rollups": ("supervision.efficiency.tasks.refresh_rollups", "*/10", "*", 590),
        "efficiency: recompute recent rollups": ("supervision.efficiency.tasks.recompute_recent_rollups", "10", "2",
                                                 23 * 3600),
        "efficiency: monthly scores": ("supervision.efficiency.tasks.ensure_monthly_runs", "30", "2", 23 * 3600),
    }


def test_an_admin_drafts_and_publishes_a_version_in_the_admin(client, rule, admin_city):
    client.force_login(admin_city)
    weights = {"weight_early_completion": "30", "weight_on_time": "20", "weight_overdue": "10",
               "weight_satisfaction": "20", "weight_compression": "10", "weight_online": "5",
               "weight_supplement": "5"}
    form = {"rule": rule.pk, **weights, "overdue_tolerance": "10", "compression_target": "0.5",
            "online_target": "0.8", "supplement_tolerance": "0.5", "satisfied_min_level": "3",
            "note": "提高提前办结率权重"}

    added = client.post(reverse("admin:efficiency_scoringruleversion_add"), form)
    draft = ScoringRuleVersion.objects.get(number=2)
    published = client.post(reverse("admin:efficiency_scoringruleversion_changelist"),
                            {"action": "publish_selected", "_selected_action": [draft.pk]})

    assert added.status_code == 302 and published.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.weight_early_completion, draft.created_by_name) == (
        "published", Decimal("30.00"), str(admin_city))
    page = client.get(reverse("admin:efficiency_scoringruleversion_change", args=[draft.pk])).content.decode()
    assert 'name="weight_early_completion"' not in page  # read-only once published


def test_the_admin_refuses_weights_that_do_not_add_up(client, rule, admin_city):
    client.force_login(admin_city)
    form = {"rule": rule.pk, "weight_early_completion": "90", "weight_on_time": "20", "weight_overdue": "15",
            "weight_satisfaction": "20", "weight_compression": "10", "weight_online": "10",
            "weight_supplement": "5", "overdue_tolerance": "10", "compression_target": "0.5", "online_target": "0.8",
            "supplement_tolerance": "0.5", "satisfied_min_level": "3", "note": ""}

    response = client.post(reverse("admin:efficiency_scoringruleversion_add"), form)

    assert response.status_code == 200
    assert "七项指标的权重之和应为 100，当前为 170。" in response.content.decode()
    assert ScoringRuleVersion.objects.count() == 1


def test_a_district_admin_does_not_see_the_citys_rule_in_the_admin(client, rule, admin_district_a):
    client.force_login(admin_district_a)

    page = client.get(reverse("admin:efficiency_scoringruleversion_changelist")).content.decode()
    change = client.get(reverse("admin:efficiency_scoringruleversion_change", args=[rule.versions.get().pk]))

    assert "江州市政务服务效能评估办法" not in page
    assert change.status_code == 302  # the admin's "not found" goes back to its index
