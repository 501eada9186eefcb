"""People, items and cases of the monitoring tests: a district bureau whose cases cross their lines.

Cases are built through the approvals services at a travelled-to Beijing time, as production
builds them; ``accepted`` files online and accepts on a given working day.
"""

from datetime import date

import pytest

from approvals import services
from portal.organisation import services as organisation
from portal.organisation.choices import Role, SubjectType, UserKind
from portal.organisation.models import User
from tests.approvals.conftest import at
from tests.factories import ItemFactory, StaffFactory


@pytest.fixture(autouse=True)
def drain_nudges(monkeypatch):
    """The after-commit nudges to drain the outbox, recorded instead of sent to the shared broker
    (the tests drain in-process; the worker tests run their own processes and broker)."""
    from portal.outbox.tasks import drain_outbox

    sent: list[dict] = []
    monkeypatch.setattr(drain_outbox, "apply_async", lambda *args, **kwargs: sent.append(kwargs))
    return sent


@pytest.fixture
def seeded_calendar(transactional_db):
    """Transactional tests flush every table afterwards, the calendar's seed (a migration) with it;
    seed it again, through the service, when a flush before this test emptied it."""
    from portal.workdays import reset_cache
    from portal.workdays.models import CalendarDay
    from portal.workdays.services import seed_calendar

    if not CalendarDay.objects.exists():
        seed_calendar(actor=None)
    reset_cache()


def working_days_before(today: date, count: int) -> date:
    """The working day ``count`` working days before ``today`` (ordinals: TIME_RULES.md §2)."""
    from portal.workdays import ordinal_of
    from portal.workdays.models import CalendarDay

    return CalendarDay.objects.get(is_working=True, ordinal=ordinal_of(today) - count).date


@pytest.fixture
def eager_celery(settings):
    """Run tasks in-process (the calendar's publication hooks, enqueued after commit)."""
    from portal.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def item_10(bureau_a):
    """Promised 10 working days, statutory 20: yellow from 2 days left, red after day 10."""
    return ItemFactory(name="公共场所卫生许可", department=bureau_a, level="district", statutory_limit=20,
                       promised_limit=10, publish=True)


@pytest.fixture
def item_20(bureau_a):
    """TIME_RULES example 3: promised 20, statutory 20; yellow at 4 days left."""
    return ItemFactory(name="食品经营许可", department=bureau_a, level="district", statutory_limit=20,
                       promised_limit=20, publish=True)


@pytest.fixture
def immediate_item(bureau_a):
    """即办件: promised 0 (due the day of acceptance), statutory 20."""
    return ItemFactory(name="个体工商户名称变更登记", department=bureau_a, level="district", statutory_limit=20,
                       promised_limit=0, handling_class="immediate", publish=True)


@pytest.fixture
def item_b_10(bureau_b):
    return ItemFactory(name="城市道路挖掘审批", department=bureau_b, level="district", statutory_limit=20,
                       promised_limit=10, publish=True)


@pytest.fixture
def handler_a(bureau_a):
    return StaffFactory(username="handler_a", department=bureau_a, roles=[Role.HANDLER])


@pytest.fixture
def reviewer_a(bureau_a):
    return StaffFactory(username="reviewer_a", department=bureau_a, roles=[Role.REVIEWER])


@pytest.fixture
def approver_a(bureau_a):
    return StaffFactory(username="approver_a", full_name="陈军", phone="13800000001", department=bureau_a,
                        roles=[Role.APPROVER])


@pytest.fixture
def approver_b(bureau_b):
    return StaffFactory(username="approver_b", full_name="林涛", department=bureau_b, roles=[Role.APPROVER])


@pytest.fixture
def applicant_citizen(db):
    user = User(username="zhangwei", full_name="张伟", kind=UserKind.APPLICANT, subject_type=SubjectType.CITIZEN,
                identity_code="11010519491231002X")
    return organisation.save_user(user, actor=None, password="pass-for-tests-2026")


def accepted(item, applicant, clerk, day: date, hour: int = 10):
    """File online and accept on ``day`` (a working day, before office hours end)."""
    with at(day.year, day.month, day.day, hour):
        application = services.start_application(
            item.published_version, actor=applicant, subject_type=applicant.subject_type,
            applicant_name=applicant.full_name, identity_code=applicant.identity_code, contact_phone="13900001111",
        )
        for material in application.materials.all():
            services.record_material(application, material.position, actor=applicant, state="provided")
        application = services.submit_application(application, actor=applicant)
        return services.accept_application(application, actor=clerk)


def paused(application, handler, day: date):
    with at(day.year, day.month, day.day):
        if application.assignee_id != handler.pk:
            services.claim_application(application, actor=handler)
        services.pause_clock(application, actor=handler, reason="supplement", note="补正营业执照")
    application.refresh_from_db()
    return application


def resumed(application, handler, day: date):
    with at(day.year, day.month, day.day):
        application = services.resume_clock(application, actor=handler)
    application.refresh_from_db()
    return application


def extended(application, approver, day: date, days: int):
    with at(day.year, day.month, day.day):
        services.extend_deadline(application, actor=approver, days=days, reason="需组织专家评审")
    application.refresh_from_db()
    return application
