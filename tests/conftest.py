"""Personas that read like people (STYLE.md), in a small city with two districts."""

import pytest

from portal.organisation import services as organisation
from portal.organisation.choices import DepartmentKind, RegionLevel, Role, SubjectType, UserKind
from portal.organisation.models import User
from portal.workdays import reset_cache
from tests.factories import DepartmentFactory, ItemFactory, StaffFactory


@pytest.fixture(autouse=True)
def default_language():
    """A request with another language leaves it active in the thread; start each test in Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_process_caches():
    """What a process keeps for a few seconds (items in force, signed-in users) is not kept
    across tests, whose rolled-back rows may come back under the same keys."""
    from portal.catalogue.lookups import forget_in_force
    from portal.organisation.backends import forget_users

    forget_in_force()
    forget_users()
    yield
    forget_in_force()
    forget_users()


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    """Each process caches the calendar; a test's rolled-back edits must not leak into the next."""
    reset_cache()
    yield
    reset_cache()


@pytest.fixture
def city(db):
    return organisation.create_region(code="C", name="江州市", level=RegionLevel.CITY, parent=None, actor=None)


@pytest.fixture
def district_a(city):
    return organisation.create_region(code="A", name="江城区", level=RegionLevel.DISTRICT, parent=city, actor=None)


@pytest.fixture
def district_b(city):
    return organisation.create_region(code="B", name="临湖区", level=RegionLevel.DISTRICT, parent=city, actor=None)


@pytest.fixture
def street_a(district_a):
    return organisation.create_region(code="A1", name="滨江街道", level=RegionLevel.STREET, parent=district_a, actor=None)


@pytest.fixture
def bureau_city(city):
    return DepartmentFactory(code="C-SPJ", name="江州市行政审批局", kind=DepartmentKind.APPROVAL_BUREAU, region=city)


@pytest.fixture
def bureau_a(district_a):
    return DepartmentFactory(code="A-SPJ", name="江城区行政审批局", kind=DepartmentKind.APPROVAL_BUREAU, region=district_a)


@pytest.fixture
def market_a(district_a):
    return DepartmentFactory(code="A-SCJ", name="江城区市场监督管理局", region=district_a)


@pytest.fixture
def bureau_b(district_b):
    return DepartmentFactory(code="B-SPJ", name="临湖区行政审批局", kind=DepartmentKind.APPROVAL_BUREAU, region=district_b)


@pytest.fixture
def admin_city(bureau_city):
    return StaffFactory(username="admin_city", department=bureau_city, roles=[Role.ADMIN])


@pytest.fixture
def admin_district_a(bureau_a):
    return StaffFactory(username="admin_a", department=bureau_a, roles=[Role.ADMIN])


@pytest.fixture
def clerk_district_a(bureau_a):
    return StaffFactory(username="clerk_a", department=bureau_a, roles=[Role.WINDOW_CLERK])


@pytest.fixture
def clerk_district_b(bureau_b):
    return StaffFactory(username="clerk_b", department=bureau_b, roles=[Role.WINDOW_CLERK])


@pytest.fixture
def supervisor_city(bureau_city):
    return StaffFactory(username="supervisor_city", department=bureau_city, roles=[Role.SUPERVISOR])


@pytest.fixture
def supervisor_district_a(bureau_a):
    return StaffFactory(username="supervisor_a", department=bureau_a, roles=[Role.SUPERVISOR])


@pytest.fixture
def applicant_enterprise(db):
    user = User(username="hongxin", full_name="江州宏信餐饮管理有限公司", kind=UserKind.APPLICANT,
                subject_type=SubjectType.ENTERPRISE, identity_code="91350100M000100Y43")
    return organisation.save_user(user, actor=None, password="pass-for-tests-2026")


@pytest.fixture
def outsider(db):
    """A signed-in staff account with no department, scope or role."""
    return organisation.save_user(User(username="outsider", kind=UserKind.STAFF), actor=None,
                                  password="pass-for-tests-2026")


@pytest.fixture
def item_city(bureau_city):
    return ItemFactory(name="食品经营许可", department=bureau_city, publish=True)


@pytest.fixture
def item_a(bureau_a):
    return ItemFactory(name="公共场所卫生许可", department=bureau_a, level="district", publish=True)


@pytest.fixture
def item_b(bureau_b):
    return ItemFactory(name="城市道路挖掘审批", department=bureau_b, level="district", publish=True)


@pytest.fixture
def drain_nudges(monkeypatch):
    """The after-commit nudges that would have gone to the broker, recorded instead; every commit
    nudges (no spacing between nudges), so a test sees one nudge per committing transaction."""
    from portal.outbox import services as outbox_services
    from portal.outbox.tasks import drain_outbox

    sent: list[dict] = []
    monkeypatch.setattr(drain_outbox, "apply_async", lambda *args, **kwargs: sent.append(kwargs))
    monkeypatch.setattr(outbox_services, "NUDGE_INTERVAL_SECONDS", 0.0)
    monkeypatch.setattr(outbox_services, "_nudges_paused_until", 0.0)
    return sent
