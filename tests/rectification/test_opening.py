"""A bad review opens exactly one rectification, due N working days after the rating date."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from portal.audit.models import AuditEntry
from portal.notifications.models import Notification
from portal.outbox.models import OutboxMessage
from portal.workdays import add_working_days, working_days_between
from supervision.rectification import services
from supervision.rectification.choices import EntryKind, RectificationStatus
from supervision.rectification.models import RectificationCase
from tests.rectification.conftest import at

pytestmark = pytest.mark.django_db


def test_a_dissatisfied_rating_opens_a_case_for_the_department_due_15_working_days_later(
        rate, bureau_a, approver_a):
    rating = rate(2)

    case = RectificationCase.objects.get(rating=rating)
    assert (case.department, case.status, case.application_id) == (bureau_a, RectificationStatus.OPEN,
                                                                   rating.application_id)
    assert case.rated_on == date(2025, 9, 30)
    # National Day and Mid-Autumn (1–8 October) are not counted, Saturday 11 October is (调休).
    assert case.deadline == date(2025, 10, 28)
    assert case.deadline == add_working_days(date(2025, 9, 30), 15)
    assert working_days_between(date(2025, 9, 30), case.deadline) == 15
    assert (case.deadline_working_days, case.deadline_is_provisional) == (15, False)
    assert [entry.kind for entry in case.entries.all()] == [EntryKind.OPENED]
    assert case.entries.get().text == "窗口态度差，让我跑了三趟"
    assert AuditEntry.objects.filter(event_type="rectification.case.opened", target_id=str(case.pk)).count() == 1


def test_the_departments_approver_and_contact_person_are_told(rate, approver_a, handler_a):
    case = rate(1).rectification

    inbox = Notification.objects.get(recipient=approver_a, idempotency_key__startswith=f"rectification:{case.pk}:")
    assert inbox.subject == "差评整改通知"
    assert "2025-10-28" in inbox.body and "非常不满意" in inbox.body
    assert "张伟" not in inbox.body  # no personal data: it also goes out by SMS
    assert not Notification.objects.filter(recipient=handler_a, subject="差评整改通知").exists()
    contact = Notification.objects.get(idempotency_key=f"rectification:{case.pk}:opened:contact")
    assert (contact.recipient_phone, contact.recipient_email) == ("13800000001", "spj@jc.gov.cn")
    assert set(OutboxMessage.objects.filter(idempotency_key__startswith=f"rectification:{case.pk}:opened:contact")
               .values_list("idempotency_key", flat=True)) == {
        f"rectification:{case.pk}:opened:contact:email", f"rectification:{case.pk}:opened:contact:sms"}


@pytest.mark.parametrize("level", [5, 4, 3])
def test_satisfied_ratings_open_nothing(rate, level):
    rating = rate(level)

    assert not RectificationCase.objects.filter(rating=rating).exists()
    assert not Notification.objects.filter(subject="差评整改通知").exists()


def test_opening_twice_returns_the_same_case(rate):
    rating = rate(2)

    again = services.open_for_rating(rating)

    assert again.pk == rating.rectification.pk
    assert RectificationCase.objects.filter(rating=rating).count() == 1
    assert AuditEntry.objects.filter(event_type="rectification.case.opened").count() == 1


def test_the_database_refuses_a_second_case_for_one_rating(case):
    duplicate = RectificationCase(
        rating_id=case.rating_id, application_id=case.application_id, department_id=case.department_id,
        region_path=case.region_path, rated_on=case.rated_on, deadline_working_days=15, deadline=case.deadline,
        opened_at=case.opened_at)

    with pytest.raises(IntegrityError):
        duplicate.save()


def test_the_database_refuses_an_excluded_rating_on_a_case_not_judged_invalid(case):
    with pytest.raises(IntegrityError):
        RectificationCase.objects.filter(pk=case.pk).update(rating_excluded=True)


def test_admins_set_the_deadline_for_cases_opened_afterwards(rate, case, admin_city):
    services.update_policy(actor=admin_city, deadline_working_days=10, callback_required_by_default=True)

    later = rate(2).rectification

    assert (later.deadline, later.deadline_working_days, later.callback_required) == (date(2025, 10, 21), 10, True)
    case.refresh_from_db()
    assert (case.deadline, case.callback_required) == (date(2025, 10, 28), False)  # keeps its terms
    assert AuditEntry.objects.filter(event_type="rectification.policy.changed").count() == 1


def test_only_admins_set_the_policy_and_only_to_a_sensible_number(clerk_district_a, admin_city):
    with pytest.raises(PermissionDenied):
        services.update_policy(actor=clerk_district_a, deadline_working_days=5, callback_required_by_default=False)
    with pytest.raises(ValidationError, match="1 至 60 个工作日"):
        services.update_policy(actor=admin_city, deadline_working_days=0, callback_required_by_default=False)
    assert services.current_policy().deadline_working_days == 15


def test_a_deadline_in_an_unpublished_year_is_provisional_and_the_publication_hook_keeps_it(rate):
    case = rate(2, on=(2026, 12, 28)).rectification

    # 2027's holidays are not yet published: weekends alone are skipped (TIME_RULES §11).
    assert (case.deadline, case.deadline_is_provisional) == (date(2027, 1, 18), True)
    assert services.recompute_provisional_deadlines(2027) == 0
    case.refresh_from_db()
    assert (case.deadline, case.deadline_is_provisional) == (date(2027, 1, 18), True)
    assert AuditEntry.objects.filter(event_type="rectification.case.recompute_deadline").count() == 1


def test_rating_at_night_counts_on_the_beijing_date(conclude, applicant_citizen):
    from approvals import services as approvals

    application = conclude()
    with at(2025, 9, 30, hour=23, minute=30):
        rating = approvals.rate_application(application, actor=applicant_citizen, level=2)

    assert rating.rectification.rated_on == date(2025, 9, 30)
