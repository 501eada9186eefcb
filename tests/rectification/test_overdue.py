"""The overdue sweep: set-based, idempotent, one warning per case."""

from datetime import date

import pytest

from portal.audit.models import AuditEntry
from portal.notifications.models import Notification
from supervision.rectification import services
from supervision.rectification.choices import EntryKind
from supervision.rectification.models import OverdueWarning, RectificationCase
from supervision.rectification.tasks import sweep_overdue_rectifications
from tests.rectification.conftest import at

pytestmark = pytest.mark.django_db


def test_nothing_is_overdue_on_the_deadline_day(case):
    assert services.sweep_overdue(on=date(2025, 10, 28)) == {"marked": 0, "warned": 0}
    case.refresh_from_db()
    assert not case.is_overdue


def test_the_day_after_the_deadline_the_case_is_overdue_and_warned_once(
        case, approver_a, supervisor_district_a, supervisor_city, supervisor_district_b):
    first = services.sweep_overdue(on=date(2025, 10, 29))
    second = services.sweep_overdue(on=date(2025, 10, 30))

    assert (first, second) == ({"marked": 1, "warned": 1}, {"marked": 0, "warned": 0})
    case.refresh_from_db()
    assert (case.is_overdue, case.overdue_on) == (True, date(2025, 10, 29))
    warning = OverdueWarning.objects.get()
    assert (warning.case, warning.deadline, warning.raised_on) == (case, date(2025, 10, 28), date(2025, 10, 29))
    assert case.entries.filter(kind=EntryKind.OVERDUE).count() == 1
    assert AuditEntry.objects.filter(event_type="rectification.case.mark_overdue").count() == 1
    told = set(Notification.objects.filter(subject="差评整改逾期预警").values_list("recipient__username", flat=True))
    # The department's approver and contact person; the supervisors of its district and the city.
    assert told == {approver_a.username, supervisor_district_a.username, supervisor_city.username, None}
    assert supervisor_district_b.username not in told


def test_the_task_twice_raises_one_warning(case):
    with at(2025, 11, 3):
        sweep_overdue_rectifications.apply()
        sweep_overdue_rectifications.apply()

    assert OverdueWarning.objects.filter(case=case).count() == 1
    assert Notification.objects.filter(subject="差评整改逾期预警", idempotency_key__contains=":contact").count() == 1


def test_cases_waiting_for_the_supervisor_or_closed_are_not_swept(rate, handler_a, supervisor_district_a):
    submitted = rate(2).rectification
    services.submit_rectification(submitted, actor=handler_a, measures="已整改")
    judged = rate(1).rectification
    services.request_impossibility(judged, actor=handler_a, reasons="无法律依据")
    services.judge_impossible(judged, actor=supervisor_district_a)

    assert services.sweep_overdue(on=date(2025, 12, 1)) == {"marked": 0, "warned": 0}
    assert not RectificationCase.objects.filter(is_overdue=True).exists()


def test_a_case_returned_after_its_deadline_is_swept(case, handler_a, supervisor_district_a):
    services.submit_rectification(case, actor=handler_a, measures="已整改")
    services.return_rectification(case, actor=supervisor_district_a, reasons="不到位")

    assert services.sweep_overdue(on=date(2025, 11, 5)) == {"marked": 1, "warned": 1}
