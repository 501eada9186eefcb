"""Who is told about new warnings, through the outbox, once (DOMAIN.md §5)."""

from datetime import date

import pytest
from django.core import mail

from portal.notifications.models import Delivery, Notification
from portal.organisation import services as organisation
from portal.outbox import services as outbox
from portal.outbox.models import OutboxMessage
from supervision import services
from supervision.models import TimeLimitWarning
from supervision.notices import deliver_warning_notices
from tests.approvals.conftest import at
from tests.factories import StaffFactory
from tests.supervision.conftest import accepted

pytestmark = pytest.mark.django_db
D = date


@pytest.fixture
def bureau_a_with_contact(bureau_a):
    bureau_a.contact_person, bureau_a.contact_phone, bureau_a.contact_email = "刘芳", "13700000009", "liufang@jc.gov.cn"
    return organisation.save_department(bureau_a, actor=None)


@pytest.fixture
def supervisor_district_b(bureau_b):
    from portal.organisation.choices import Role

    return StaffFactory(username="supervisor_b", department=bureau_b, roles=[Role.SUPERVISOR])


def warning_notifications():
    """Notifications about warnings (the applicants' own, of filing and acceptance, left aside)."""
    return Notification.objects.filter(idempotency_key__startswith="supervision.")


def sweep_and_drain(day: date):
    with at(day.year, day.month, day.day, 8):
        run = services.sweep_time_limits()
        report = outbox.drain()
    return run, report


def test_yellow_goes_to_the_department_contact_person_by_sms_and_email(
        bureau_a_with_contact, item_20, applicant_citizen, clerk_district_a, approver_a, supervisor_city):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    run, report = sweep_and_drain(D(2025, 10, 20))

    notification = warning_notifications().get()
    assert (notification.recipient, notification.recipient_phone, notification.recipient_email,
            notification.in_inbox) == (None, "13700000009", "liufang@jc.gov.cn", False)
    assert notification.subject == "黄牌预警：1 件办件临近承诺时限"
    assert notification.body == (f"江城区行政审批局：{application.receipt_number}「食品经营许可」剩余 4 个工作日"
                                 "（承诺办结日 2025-10-24）。请抓紧办理，确保在承诺时限内办结。")
    assert notification.idempotency_key == f"supervision.warnings:{run.pk}:{bureau_a_with_contact.pk}:yellow:contact"
    assert sorted(Delivery.objects.filter(notification=notification).values_list("channel", flat=True)) == [
        "email", "sms"]
    assert [message.to for message in mail.outbox if "黄牌" in message.subject] == [["liufang@jc.gov.cn"]]
    assert report.dead == report.failed == 0
    assert TimeLimitWarning.objects.get().notified_at is not None


def test_without_a_contact_person_the_departments_approvers_are_told_in_their_inbox(
        item_20, applicant_citizen, clerk_district_a, approver_a, approver_b):
    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    sweep_and_drain(D(2025, 10, 20))

    notification = warning_notifications().get()
    assert (notification.recipient, notification.in_inbox, notification.recipient_phone) == (
        approver_a, True, "13800000001")
    assert notification.link == "/workspace/cases/"


def test_red_also_goes_to_the_supervisors_whose_region_covers_the_department(
        bureau_a_with_contact, item_10, applicant_citizen, clerk_district_a, supervisor_city,
        supervisor_district_a, supervisor_district_b):
    accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    run, _report = sweep_and_drain(D(2025, 10, 13))

    told = {(notification.recipient_id, notification.subject, notification.link)
            for notification in warning_notifications()}
    assert told == {
        (None, "红牌警示：1 件办件已超过承诺时限", "/workspace/cases/"),
        (supervisor_city.pk, "红牌警示：1 件办件已超过承诺时限", "/monitoring/warnings/"),
        (supervisor_district_a.pk, "红牌警示：1 件办件已超过承诺时限", "/monitoring/warnings/"),
    }
    assert run.red_raised == 1


def test_a_notice_delivered_twice_tells_nobody_twice(bureau_a_with_contact, item_20, applicant_citizen,
                                                      clerk_district_a):
    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    with at(2025, 10, 20, 8):
        run = services.sweep_time_limits()
    message = OutboxMessage.objects.get(kind=services.NOTICE_KIND)

    deliver_warning_notices(message.payload, message.idempotency_key)
    first_notified_at = TimeLimitWarning.objects.get().notified_at
    deliver_warning_notices(message.payload, message.idempotency_key)  # the outbox redelivers

    assert message.payload == {"sweep_run": run.pk, "department": bureau_a_with_contact.pk}
    notification = warning_notifications().get()
    assert OutboxMessage.objects.filter(idempotency_key__startswith=notification.idempotency_key).count() == 2
    assert TimeLimitWarning.objects.get().notified_at == first_notified_at


def test_warnings_and_their_notice_commit_together_or_not_at_all(bureau_a_with_contact, item_20,
                                                                  applicant_citizen, clerk_district_a):
    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    class Abandoned(Exception):
        pass

    from django.db import transaction

    with pytest.raises(Abandoned), at(2025, 10, 20, 8), transaction.atomic():
        services.sweep_time_limits()
        assert TimeLimitWarning.objects.count() == 1
        assert OutboxMessage.objects.filter(kind=services.NOTICE_KIND).count() == 1
        raise Abandoned

    assert TimeLimitWarning.objects.count() == 0
    assert OutboxMessage.objects.filter(kind=services.NOTICE_KIND).count() == 0


def test_one_notice_per_department_lists_its_cases(bureau_a_with_contact, item_20, item_b_10, applicant_citizen,
                                                   clerk_district_a, clerk_district_b, approver_b):
    cases_a = [accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22)) for _ in range(7)]
    accepted(item_b_10, applicant_citizen, clerk_district_b, D(2025, 9, 30))

    sweep_and_drain(D(2025, 10, 20))

    notices = OutboxMessage.objects.filter(kind=services.NOTICE_KIND)
    assert notices.count() == 2
    contact_notice = warning_notifications().get(recipient__isnull=True)
    assert contact_notice.subject == "黄牌预警：7 件办件临近承诺时限"
    assert contact_notice.body.count("剩余 4 个工作日") == 5  # five named, the rest counted
    assert "等 7 件" in contact_notice.body
    assert all(case.receipt_number in contact_notice.body for case in cases_a[:5])
    assert warning_notifications().filter(recipient=approver_b).count() == 1
