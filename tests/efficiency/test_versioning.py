"""Rule versions: drafts are edited, published ones never change, and old scores keep theirs."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AuditEntry
from supervision.efficiency import services
from supervision.efficiency.models import Score, ScoringRuleVersion
from tests.efficiency.conftest import score_october

pytestmark = pytest.mark.django_db

EARLY_HEAVY = {"weight_early_completion": Decimal("50"), "weight_on_time": Decimal("10"),
               "weight_overdue": Decimal("10"), "weight_satisfaction": Decimal("10"),
               "weight_compression": Decimal("10"), "weight_online": Decimal("5"), "weight_supplement": Decimal("5")}


def test_a_new_version_changes_later_scores_only(rule, october, city, supervisor_city, admin_city, bureau_a):
    first_run = score_october(rule, city, supervisor_city)
    version_1 = rule.versions.get(number=1)

    draft = services.create_rule_version(rule, actor=admin_city, note="提高提前办结率权重", **EARLY_HEAVY)
    services.publish_rule_version(draft, actor=admin_city)
    second_run = score_october(rule, city, supervisor_city)

    old = Score.objects.get(run=first_run, subject_key=f"department:{bureau_a.pk}")
    new = Score.objects.get(run=second_run, subject_key=f"department:{bureau_a.pk}")
    assert (old.rule_version.number, old.points) == (1, Decimal("68.88"))
    # 50·0.5 + 10·0.75 + 10·0.8 + 10·0.5 + 10·1 + 5·0.9375 + 5·0.5 = 62.6875
    assert (new.rule_version.number, new.points) == (2, Decimal("62.69"))
    assert (first_run.rule_version_id, second_run.rule_version_id) == (version_1.pk, draft.pk)
    old.refresh_from_db()
    assert old.points == Decimal("68.88")


def test_a_published_version_cannot_be_edited_by_the_service(rule, admin_city):
    published = rule.versions.get()

    with pytest.raises(ValidationError, match="已发布的规则版本不可修改"):
        services.update_rule_version(published, actor=admin_city, weight_overdue=Decimal("30"))

    published.refresh_from_db()
    assert published.weight_overdue == Decimal("15.00")


def test_the_database_refuses_to_change_a_published_version_or_a_score(rule, october, city, supervisor_city,
                                                                      admin_city, bureau_a):
    run = score_october(rule, city, supervisor_city)
    version = services.publish_rule_version(services.create_rule_version(rule, actor=admin_city), actor=admin_city)

    for statement in ("UPDATE efficiency_scoringruleversion SET weight_overdue = 15 WHERE id = %s",
                      "DELETE FROM efficiency_scoringruleversion WHERE id = %s"):
        with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [version.pk])
    with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
        Score.objects.filter(run=run).update(points=Decimal("100"))

    assert ScoringRuleVersion.objects.filter(pk=version.pk, weight_overdue=Decimal("15")).exists()
    assert Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}").points == Decimal("68.88")


def test_weights_must_add_up_to_100(rule, admin_city):
    with pytest.raises(ValidationError) as error:
        services.create_rule_version(rule, actor=admin_city, weight_online=Decimal("20"))

    assert error.value.message_dict["weight_early_completion"] == ["七项指标的权重之和应为 100，当前为 110。"]
    assert rule.versions.count() == 1


def test_the_database_refuses_weights_that_do_not_add_up(rule):
    version = rule.versions.get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO efficiency_scoringruleversion (rule_id, number, status, weight_early_completion, "
            "weight_on_time, weight_overdue, weight_satisfaction, weight_compression, weight_online, "
            "weight_supplement, overdue_tolerance, compression_target, online_target, supplement_tolerance, "
            "satisfied_min_level, note, created_at, created_by_name, published_by_name) "
            "VALUES (%s, 9, 'draft', 50, 50, 50, 0, 0, 0, 0, 10, 0.5, 0.8, 0.5, 3, '', now(), '', '')",
            [version.rule_id])


def test_one_draft_at_a_time_and_drafts_are_edited_and_audited(rule, admin_city):
    draft = services.create_rule_version(rule, actor=admin_city)
    with pytest.raises(ValidationError, match="已有未发布的草稿版本"):
        services.create_rule_version(rule, actor=admin_city)

    edited = services.update_rule_version(draft, actor=admin_city, weight_overdue=Decimal("10"),
                                          weight_supplement=Decimal("10"), note="加重补正率")

    assert (edited.number, edited.weight_overdue, edited.weight_supplement) == (2, Decimal("10"), Decimal("10"))
    entry = AuditEntry.objects.filter(event_type="efficiency.rule_version.updated").get()
    assert entry.changes["weight_overdue"] == ["15.00", "10"]


def test_only_admins_in_scope_edit_rules(rule, supervisor_city, admin_district_a):
    with pytest.raises(PermissionDenied):
        services.create_rule_version(rule, actor=supervisor_city)
    with pytest.raises(PermissionDenied):  # the city's rule is outside a district admin's scope
        services.create_rule_version(rule, actor=admin_district_a)
    assert rule.versions.count() == 1


def test_a_bad_parameter_is_a_clear_error(rule, admin_city):
    with pytest.raises(ValidationError) as error:
        services.create_rule_version(rule, actor=admin_city, compression_target=Decimal("1.5"))

    assert "compression_target" in error.value.message_dict
