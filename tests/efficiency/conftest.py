"""A district's bureau with two items, another district's bureau, and October 2025's cases.

Cases are built through the approvals services at travelled times (``at``), as production makes
them; the known answers of the scoring tests are worked out in ``test_scoring.py``.
"""

from datetime import date

import pytest

from approvals import services
from portal.organisation import services as organisation
from portal.organisation.choices import Role, SubjectType, UserKind
from portal.organisation.models import User
from supervision.efficiency import services as efficiency
from tests.approvals.conftest import at, file_online
from tests.browser.conftest import browser, page  # noqa: F401  (the browser tests' fixtures)
from tests.factories import ItemFactory, StaffFactory

OCTOBER = (date(2025, 10, 1), date(2025, 10, 31))
AS_OF = (2025, 11, 3)  # a Monday: every October due date has passed


@pytest.fixture
def item_x(bureau_a):
    """承诺 10 / 法定 20 working days, the two-step chain."""
    return ItemFactory(name="食品经营许可", department=bureau_a, level="district", procedure_chain="two_step",
                       statutory_limit=20, promised_limit=10, publish=True)


@pytest.fixture
def item_y(bureau_a):
    """承诺 5 / 法定 20 working days; the applicant's 食品经营许可 is fetched from the licence
    library for its second material when the applicant holds one (证照复用)."""
    return ItemFactory(name="公共场所卫生许可", department=bureau_a, level="district", procedure_chain="two_step",
                       statutory_limit=20, promised_limit=5, publish=True, materials=[
                           {"name": "申请书", "form": "original", "copies": 1, "required": True},
                           {"name": "食品经营许可证", "form": "copy", "copies": 1, "required": False,
                            "licence_reuse": "食品经营许可"},
                       ])


@pytest.fixture
def item_z(bureau_b):
    return ItemFactory(name="城市道路挖掘审批", department=bureau_b, level="district", procedure_chain="two_step",
                       statutory_limit=20, promised_limit=5, publish=True)


@pytest.fixture
def approver_a(bureau_a):
    return StaffFactory(username="approver_a", full_name="陈军", department=bureau_a, roles=[Role.APPROVER])


@pytest.fixture
def approver_b(bureau_b):
    return StaffFactory(username="approver_b", full_name="李强", department=bureau_b, roles=[Role.APPROVER])


@pytest.fixture
def supervisor_district_b(bureau_b):
    return StaffFactory(username="supervisor_b", department=bureau_b, roles=[Role.SUPERVISOR])


@pytest.fixture
def applicant_citizen(db):
    user = User(username="zhangwei", full_name="张伟", kind=UserKind.APPLICANT, subject_type=SubjectType.CITIZEN,
                identity_code="11010519491231002X")
    return organisation.save_user(user, actor=None, password="pass-for-tests-2026")


@pytest.fixture
def rule(city):
    """The city's rule at the default weights, version 1 published."""
    created = efficiency.create_rule(code="efficiency", name="江州市政务服务效能评估办法", region=city, actor=None)
    efficiency.publish_rule_version(created.versions.get(), actor=None)
    return created


def accept_online(item, applicant, clerk, when, *, notice: bool = False):
    """Filed online and accepted on ``when``; with ``notice`` the filing lacked its material, the
    clerk issued the one-time notice and the applicant supplemented it the same day."""
    with at(*when):
        if not notice:
            return services.accept_application(file_online(item, applicant, materials=(1,)), actor=clerk)
        application = file_online(item, applicant, materials=())
        services.issue_one_time_notice(application, actor=clerk,
                                       items=[{"material": "申请书", "requirement": "补交申请书原件"}])
        services.record_material(application, 1, actor=applicant, state="provided")
        application = services.resubmit_application(application, actor=applicant)
        return services.accept_application(application, actor=clerk)


def accept_at_window(item, clerk, when):
    with at(*when):
        return services.intake_at_window(
            item.published_version, actor=clerk, subject_type="enterprise", applicant_name="江州宏信餐饮管理有限公司",
            identity_code="91350100M000100Y43", contact_phone="13900001111", provided=[1], outcome="accept",
        )


def conclude(application, approver, when):
    with at(*when):
        services.claim_application(application, actor=approver)
        services.decide(application, actor=approver, outcome="approve")
        return services.conclude_application(application, actor=approver, served_method="electronic")


def rate(application, applicant, when, level):
    with at(*when):
        return services.rate_application(application, actor=applicant, level=level)


def ymd(day: date) -> tuple[int, int, int]:
    return day.year, day.month, day.day


@pytest.fixture
def october(item_x, item_y, item_z, applicant_citizen, clerk_district_a, clerk_district_b, approver_a,
            approver_b):
    """The hand-built month (the answers are in test_scoring.py):

    A  online, item X, accepted 10-09, concluded 10-10 (early), rated 非常满意
    B  online, item X, accepted 10-09, concluded on its due date 10-22 (on time), rated 不满意
    C  window, item X, accepted 10-09, concluded 10-27 after its due date 10-22 (late: overdue)
    D  online after a one-time notice, item Y, accepted 10-13, due 10-20, still open (overdue)
    E  online, item X, accepted 09-22 (September), concluded 10-09 before its due date 10-11 (early)
    G  another district: online, item Z, accepted 10-09, concluded 10-10 (early)
    """
    cases = {}
    cases["E"] = accept_online(item_x, applicant_citizen, clerk_district_a, (2025, 9, 22))
    cases["A"] = accept_online(item_x, applicant_citizen, clerk_district_a, (2025, 10, 9))
    cases["B"] = accept_online(item_x, applicant_citizen, clerk_district_a, (2025, 10, 9))
    cases["C"] = accept_at_window(item_x, clerk_district_a, (2025, 10, 9))
    cases["D"] = accept_online(item_y, applicant_citizen, clerk_district_a, (2025, 10, 13), notice=True)
    cases["G"] = accept_online(item_z, applicant_citizen, clerk_district_b, (2025, 10, 9))
    conclude(cases["E"], approver_a, (2025, 10, 9))
    conclude(cases["A"], approver_a, (2025, 10, 10))
    conclude(cases["G"], approver_b, (2025, 10, 10))
    conclude(cases["B"], approver_a, ymd(cases["B"].promised_due))
    conclude(cases["C"], approver_a, (2025, 10, 27))
    rate(cases["A"], applicant_citizen, (2025, 10, 15), 5)
    rate(cases["B"], applicant_citizen, (2025, 10, 23), 2)
    for application in cases.values():
        application.refresh_from_db()
    return cases


def score_october(rule, region, actor, *, as_of=AS_OF):
    """An on-demand scoring of October over ``region``, computed as the task does."""
    with at(*as_of):
        run = efficiency.request_scoring_run(rule=rule, region=region, period_start=OCTOBER[0],
                                             period_end=OCTOBER[1], actor=actor)
        return efficiency.compute_scoring_run(run.pk)
