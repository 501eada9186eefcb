"""People and concluded cases of the rectification tests.

District A's approval bureau handles the cases (its approver answers for them, its contact
person gets SMS); district A's and the city's supervisors oversee it; district B's supervisor and
district A's market regulator are outsiders to it.
"""

import pytest

from approvals import services as approvals
from portal.organisation.choices import Role
from tests.approvals.conftest import (  # noqa: F401 (fixtures)
    applicant_citizen,
    approver_a,
    at,
    file_online,
    food_item,
    handler_a,
    reviewer_a,
)
from tests.factories import StaffFactory

RATED_ON = (2025, 9, 30)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bureau_a(district_a):
    """District A's bureau, with a fixed contact person for SMS and email (DOMAIN.md §5)."""
    from tests.factories import DepartmentFactory

    return DepartmentFactory(code="A-SPJ", name="江城区行政审批局", kind="approval_bureau", region=district_a,
                             contact_person="李主任", contact_phone="13800000001", contact_email="spj@jc.gov.cn")


@pytest.fixture
def supervisor_district_b(bureau_b):
    return StaffFactory(username="supervisor_b", department=bureau_b, roles=[Role.SUPERVISOR])


@pytest.fixture
def market_handler_a(market_a):
    """Same district, another department: may see, may not rectify."""
    return StaffFactory(username="market_handler_a", department=market_a, roles=[Role.HANDLER])


@pytest.fixture
def conclude(food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a, approver_a):  # noqa: F811
    """Build a concluded case through the services, as production does (call it for each case)."""

    def build():
        with at(2025, 9, 22):
            application = approvals.accept_application(file_online(food_item, applicant_citizen),
                                                       actor=clerk_district_a)
            for actor in (handler_a, reviewer_a):
                approvals.claim_application(application, actor=actor)
                approvals.complete_step(application, actor=actor, opinion="同意")
            approvals.claim_application(application, actor=approver_a)
            approvals.decide(application, actor=approver_a, outcome="approve")
            return approvals.conclude_application(application, actor=clerk_district_a, served_method="electronic")

    return build


@pytest.fixture
def rate(conclude, applicant_citizen):  # noqa: F811
    """Conclude a case and rate it ``level`` on ``RATED_ON`` (Beijing time); returns the rating."""

    def build(level: int, *, on=RATED_ON, comment="窗口态度差，让我跑了三趟"):
        application = conclude()
        with at(*on):
            return approvals.rate_application(application, actor=applicant_citizen, level=level, comment=comment)

    return build


@pytest.fixture
def case(rate):
    """A rectification opened by a 不满意 rating on 2025-09-30."""
    return rate(2).rectification
