"""People and items of the approval tests: a district's bureau with its whole chain."""

from datetime import datetime

import pytest
import time_machine

from approvals import services
from approvals.clock import BEIJING
from portal.catalogue import services as catalogue
from portal.organisation import services as organisation
from portal.organisation.choices import Role, SubjectType, UserKind
from portal.organisation.models import User
from tests.factories import DepartmentFactory, ItemFactory, StaffFactory

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


# --- Joint approval: a city bureau leads; the city's health commission and district A's market
# regulator take part (the latter sees the city case only as a participant). ---


@pytest.fixture
def health_city(city):
    return DepartmentFactory(code="C-WJW", name="江州市卫生健康委员会", region=city, contact_phone="0791-86000001")


@pytest.fixture
def police_city(city):
    return DepartmentFactory(code="C-GAJ", name="江州市公安局", region=city)


@pytest.fixture
def joint_item(bureau_city, health_city, market_a):
    """TIME_RULES example 7: a joint case of 45 working days; sub-cases of 10 and 20."""
    item = ItemFactory(name="工程建设项目竣工联合验收", department=bureau_city, handling_class="joint",
                       procedure_chain="two_step", statutory_limit=45, promised_limit=45)
    catalogue.replace_participations(item, [
        {"department": health_city, "promised_limit": 10, "duty": "卫生学评价"},
        {"department": market_a, "promised_limit": 20, "duty": "特种设备核查"},
    ], actor=None)
    catalogue.publish_item(item, actor=None)
    return item


@pytest.fixture
def clerk_city(bureau_city):
    return StaffFactory(username="clerk_city", department=bureau_city, roles=[Role.WINDOW_CLERK])


@pytest.fixture
def approver_city(bureau_city):
    return StaffFactory(username="approver_city", full_name="陈军", department=bureau_city, roles=[Role.APPROVER])


@pytest.fixture
def health_handler(health_city):
    return StaffFactory(username="health_handler", full_name="卫健承办人", department=health_city,
                        roles=[Role.HANDLER])


@pytest.fixture
def second_health_handler(health_city):
    return StaffFactory(username="health_handler2", department=health_city, roles=[Role.HANDLER])


@pytest.fixture
def health_approver(health_city):
    return StaffFactory(username="health_approver", department=health_city, roles=[Role.APPROVER])


@pytest.fixture
def market_handler_a(market_a):
    return StaffFactory(username="market_handler_a", full_name="市场监管承办人", department=market_a,
                        roles=[Role.HANDLER])


@pytest.fixture
def police_handler(police_city):
    """Same region as the lead, but not a participant."""
    return StaffFactory(username="police_handler", department=police_city, roles=[Role.HANDLER])


@pytest.fixture
def handler_district_b(bureau_b):
    return StaffFactory(username="handler_b", department=bureau_b, roles=[Role.HANDLER])


def accepted_joint_case(item, applicant, clerk):
    """Filed online and accepted at the lead's window (call inside ``at(...)``)."""
    return services.accept_application(file_online(item, applicant, materials=(1,)), actor=clerk)
