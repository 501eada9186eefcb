"""People and items of the approval tests: a district's bureau with its whole chain."""

from datetime import datetime

import pytest
import time_machine

from approvals import services
from approvals.clock import BEIJING
from portal.organisation import services as organisation
from portal.organisation.choices import Role, SubjectType, UserKind
from portal.organisation.models import User
from tests.factories import ItemFactory, StaffFactory

FOOD_MATERIALS = [
    {"name": "食品经营许可申请书", "form": "original", "copies": 1, "required": True},
    {"name": "营业执照", "form": "copy", "copies": 1, "required": True, "licence_reuse": "营业执照"},
    {"name": "场所平面图", "form": "original", "copies": 1, "required": False},
]


def at(year, month, day, hour=10, minute=0):
    """Travel to a Beijing wall-clock time (tick=False: time stands still inside)."""
    return time_machine.travel(datetime(year, month, day, hour, minute, tzinfo=BEIJING), tick=False)


@pytest.fixture
def food_item(bureau_a):
    return ItemFactory(name="食品经营许可", department=bureau_a, level="district", materials=FOOD_MATERIALS,
                       statutory_limit=20, promised_limit=20, publish=True)


@pytest.fixture
def two_step_item(bureau_a):
    return ItemFactory(name="公共场所卫生许可", department=bureau_a, level="district", procedure_chain="two_step",
                       statutory_limit=20, promised_limit=10, publish=True)


@pytest.fixture
def handler_a(bureau_a):
    return StaffFactory(username="handler_a", department=bureau_a, roles=[Role.HANDLER])


@pytest.fixture
def second_handler_a(bureau_a):
    return StaffFactory(username="handler_a2", department=bureau_a, roles=[Role.HANDLER])


@pytest.fixture
def reviewer_a(bureau_a):
    return StaffFactory(username="reviewer_a", department=bureau_a, roles=[Role.REVIEWER])


@pytest.fixture
def approver_a(bureau_a):
    return StaffFactory(username="approver_a", full_name="陈军", department=bureau_a, roles=[Role.APPROVER])


@pytest.fixture
def second_approver_a(bureau_a):
    return StaffFactory(username="approver_a2", department=bureau_a, roles=[Role.APPROVER])


@pytest.fixture
def applicant_citizen(db):
    user = User(username="zhangwei", full_name="张伟", kind=UserKind.APPLICANT, subject_type=SubjectType.CITIZEN,
                identity_code="11010519491231002X")
    return organisation.save_user(user, actor=None, password="pass-for-tests-2026")


def file_online(item, applicant, *, materials=(1, 2)):
    """Start, upload the listed materials and submit, as the applicant does online."""
    application = services.start_application(
        item.published_version, actor=applicant, subject_type=applicant.subject_type,
        applicant_name=applicant.full_name, identity_code=applicant.identity_code, contact_phone="13900001111",
    )
    for position in materials:
        services.record_material(application, position, actor=applicant, state="provided")
    return services.submit_application(application, actor=applicant)
