"""Two sweeps at once, in threads with their own connections (PostgreSQL): each warning is raised
once, none is lost, and its department is told once."""

from datetime import date

import pytest
from django.db import connection

from portal.outbox.models import OutboxMessage
from supervision import services
from supervision.models import SweepRun, TimeLimitWarning
from tests.approvals.conftest import at
from tests.supervision.conftest import accepted
from tests.threads import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]
D = date


def test_two_sweeps_at_once_raise_each_warning_once_and_lose_none(seeded_calendar, item_10, item_20, item_b_10,
                                                                 applicant_citizen, clerk_district_a,
                                                                 clerk_district_b):
    cases = [accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22)) for _ in range(4)]  # yellow
    cases += [accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22)) for _ in range(3)]  # red
    cases += [accepted(item_b_10, applicant_citizen, clerk_district_b, D(2025, 9, 30)) for _ in range(2)]  # yellow

    with at(2025, 10, 20, 9):
        results = run_together(services.sweep_time_limits, services.sweep_time_limits, services.sweep_time_limits)

    assert all(isinstance(result, SweepRun) for result in results), results
    assert sorted(run.raised for run in results) == [0, 0, 9]
    assert sorted(TimeLimitWarning.objects.values_list("application_id", "colour")) == sorted(
        [(case.pk, "yellow") for case in cases[:4]] + [(case.pk, "red") for case in cases[4:7]]
        + [(case.pk, "yellow") for case in cases[7:]])
    notices = OutboxMessage.objects.filter(kind=services.NOTICE_KIND)
    assert sorted(message.payload["department"] for message in notices) == sorted(
        [item_20.department_id, item_b_10.department_id])
    assert SweepRun.objects.filter(finished_at__isnull=False).count() == 3
