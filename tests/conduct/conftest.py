"""Cases for the conduct tests, built through the approvals services at faked times (``at``).

District A's bureau handles the food item (the five-step chain); district B's bureau has a case
of its own, so that scoping can be seen. Where a test must simulate an act entered after the
fact, it moves a step's timestamps with a queryset update: test data only.
"""

import pytest

from approvals import services
from portal.organisation.choices import Role
from supervision.conduct.models import ConductRule
from tests.approvals.conftest import (  # noqa: F401 (fixtures shared with the approval tests)
    FOOD_MATERIALS,
    applicant_citizen,
    approver_a,
    at,
    file_online,
    food_item,
    handler_a,
    reviewer_a,
    second_handler_a,
)
from tests.factories import ItemFactory, StaffFactory


@pytest.fixture
def food_item_b(bureau_b):
    return ItemFactory(name="食品经营许可", department=bureau_b, level="district", materials=FOOD_MATERIALS,
                       statutory_limit=20, promised_limit=20, publish=True)


@pytest.fixture
def handler_b(bureau_b):
    return StaffFactory(username="handler_b", full_name="临湖承办人", department=bureau_b, roles=[Role.HANDLER])


@pytest.fixture
def supervisor_district_b(bureau_b):
    return StaffFactory(username="supervisor_b", department=bureau_b, roles=[Role.SUPERVISOR])


def accepted_case(item, applicant, clerk, *, day, accepted_day=None):
    """An online filing arriving on ``day`` (a (y, m, d) tuple, 09:00) and accepted on
    ``accepted_day`` (default: the same day, 09:30) at the department's window."""
    with at(*day, hour=9):
        application = file_online(item, applicant, materials=(1, 2))
    with at(*(accepted_day or day), hour=9, minute=30):
        return services.accept_application(application, actor=clerk)


def handle(application, handler, *, claimed, completed, claimed_acted_at=None):
    """The handler claims at ``claimed`` and completes at ``completed`` ((y, m, d, h, min) tuples)."""
    with at(*claimed):
        services.claim_application(application, actor=handler)
    with at(*completed):
        return services.complete_step(application, actor=handler, opinion="经审查，符合条件。",
                                      claimed_acted_at=claimed_acted_at)


def rule(code) -> ConductRule:
    return ConductRule.objects.get(code=code)
