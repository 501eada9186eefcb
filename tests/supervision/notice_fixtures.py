"""Fixtures of the supervision-notice tests: a red case of 江城区's bureau, swept into a draft."""

from datetime import date

import pytest

from portal.organisation.choices import DepartmentKind, Role
from supervision import services
from supervision.models import SupervisionNotice
from tests.approvals.conftest import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.supervision.conftest import accepted

D = date


@pytest.fixture(autouse=True)
def pki_folder(settings, tmp_path):
    """Sealed PDFs and seal keys of each test in its own folder, never in var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PKI_DIR = tmp_path / "pki"


@pytest.fixture
def supervision_office(city):
    return DepartmentFactory(code="C-ZWJ", name="江州市政务服务管理局（电子监察室）",
                             kind=DepartmentKind.SUPERVISION_OFFICE, region=city)


@pytest.fixture
def supervisor_district_b(bureau_b):
    return StaffFactory(username="supervisor_b", department=bureau_b, roles=[Role.SUPERVISOR])


@pytest.fixture
def handler_district_b(bureau_b):
    return StaffFactory(username="handler_b", department=bureau_b, roles=[Role.HANDLER])


@pytest.fixture
def red_cases(item_10, applicant_citizen, clerk_district_a, supervision_office):
    """Two cases of 江城区行政审批局 promised by 2025-10-11, red from 2025-10-12; swept on 10-13."""
    cases = [accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22)) for _ in range(2)]
    with at(2025, 10, 13, 0, 5):
        services.sweep_time_limits()
    return cases


@pytest.fixture
def draft(red_cases, bureau_a):
    return SupervisionNotice.objects.get(department=bureau_a)


ISSUE_DAY = D(2025, 10, 13)


def issued(notice, supervisor, day=ISSUE_DAY):
    from supervision import notice_services

    with at(day.year, day.month, day.day, 10):
        return notice_services.issue_notice(notice, actor=supervisor)
