"""SQL and Python agree (TIME_RULES.md §2): the sweep classifies in SQL, the screens and the case page
in Python (``approvals.clock``), and a case must not be yellow on one and green on the other.

For each window a generated set of cases is built through the services — accepted on working days
around holidays and adjusted weekends, 即办件 among them, some paused and resumed, some still
paused, some extended (before, after or during a pause), one item with its own threshold — and
then, every day for six weeks, the SQL classification is compared with ``clock_of`` case by case,
and the real sweep runs: the warnings it leaves are exactly those the Python rule raises.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.db import connection

from approvals import services as approvals
from approvals.models import Application
from portal.organisation.choices import Role
from portal.workdays import add_working_days, is_working_day
from portal.workdays import services as calendar
from portal.workdays.choices import DayKind
from supervision import querysets, services
from supervision.models import TimeLimitWarning
from supervision.thresholds import DEFAULT_THRESHOLD, Threshold, colours_holding, colours_to_raise
from tests.approvals.conftest import at
from tests.factories import ItemFactory, StaffFactory
from tests.supervision.conftest import accepted

pytestmark = pytest.mark.django_db
D = date

# (promised, statutory) limits: 即办件, very short, short, the common ones and a long one.
LIMITS = [(0, 20), (1, 5), (3, 10), (10, 20), (12, 20), (20, 20), (20, 30)]
CASES_PER_WINDOW = 28


@dataclass
class Window:
    name: str
    accept_from: date
    accept_to: date
    cutoff: date  # every event of every case happens before it; evaluation starts on it
    seed: int
    days: int = 45
    cases: list[int] = field(default_factory=list)


WINDOWS = [
    Window("national-day-2025", D(2025, 9, 12), D(2025, 9, 30), D(2025, 10, 10), 20251001),
    Window("spring-festival-2026", D(2026, 1, 26), D(2026, 2, 13), D(2026, 2, 26), 20260217),
    Window("provisional-2027", D(2026, 12, 1), D(2026, 12, 24), D(2026, 12, 28), 20270101),
]
# 2027 as admins might publish it: New Year's Day, a Spring Festival week and a Saturday worked.
SCHEDULE_2027 = {
    D(2027, 1, 1): (DayKind.HOLIDAY, "元旦"),
    **{D(2027, 2, day): (DayKind.HOLIDAY, "春节") for day in range(8, 13)},
    D(2027, 2, 20): (DayKind.ADJUSTED_WORKDAY, "春节"),
}


@pytest.fixture
def people(bureau_a, clerk_district_a, applicant_citizen):
    return {
        "clerk": clerk_district_a,
        "applicant": applicant_citizen,
        "handler": StaffFactory(username="handler_gen", department=bureau_a, roles=[Role.HANDLER]),
        "approver": StaffFactory(username="approver_gen", department=bureau_a, roles=[Role.APPROVER]),
    }


@pytest.fixture
def items(bureau_a, admin_district_a):
    """One item per limit pair; the 12-day item has its own threshold (30 %, or 1 day)."""
    made = []
    for promised, statutory in LIMITS:
        made.append(ItemFactory(department=bureau_a, level="district", promised_limit=promised,
                                statutory_limit=statutory, handling_class="immediate" if promised == 0 else "commitment",
                                publish=True))
    own = next(item for item in made if item.promised_limit == 12)
    services.save_warning_threshold(own, yellow_percent=30, yellow_days=1, actor=admin_district_a)
    return made


def working_days_between_dates(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)
            if is_working_day(start + timedelta(days=n))]


def before_cutoff(day: date, window: Window) -> bool:
    return day < window.cutoff


def build_window(window: Window, items, people) -> list[Application]:
    """Cases of one window, through the services, each event on a working day before the cutoff."""
    generator = random.Random(window.seed)
    accept_days = working_days_between_dates(window.accept_from, window.accept_to)
    built = []
    for number in range(CASES_PER_WINDOW):
        item = items[number % len(items)]
        day = generator.choice(accept_days)
        application = accepted(item, people["applicant"], people["clerk"], day)
        scenario = generator.choice(["plain", "plain", "paused", "still paused", "extended", "paused then extended",
                                     "extended while paused"])
        if item.promised_limit == 0 and scenario != "plain":
            scenario = generator.choice(["plain", "paused"])  # a 即办件 is rarely paused, never extended
        application = play(application, scenario, generator, window, people)
        built.append(application)
    return built


def play(application, scenario: str, generator: random.Random, window: Window, people):
    handler, approver = people["handler"], people["approver"]
    day = application.accepted_on
    events = {
        "paused": ["pause", "resume"], "still paused": ["pause"], "extended": ["extend"],
        "paused then extended": ["pause", "resume", "extend"], "extended while paused": ["pause", "extend", "resume"],
    }.get(scenario, [])
    for event in events:
        day = add_working_days(day, generator.randint(0 if event == "pause" else 1, 3))
        if not before_cutoff(day, window):
            break
        with at(day.year, day.month, day.day, 11):
            if event == "pause":
                approvals.claim_application(application, actor=handler)
                approvals.pause_clock(application, actor=handler, reason="supplement", note="补正材料")
            elif event == "resume":
                approvals.resume_clock(application, actor=handler)
            else:
                approvals.extend_deadline(application, actor=approver, days=generator.randint(1, 10),
                                          reason="需要现场核查")
    application.refresh_from_db()
    return application


def thresholds_by_item() -> dict[int, Threshold]:
    from supervision.models import WarningThreshold

    return {threshold.item_id: threshold.threshold for threshold in WarningThreshold.objects.all()}


def sql_lights(on: date) -> dict[int, tuple]:
    sql, params = querysets.lights_sql(querysets.application_source(), on=on)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    lights = {}
    for application_id, remaining, yellow, red, statutory, yellow_raised in rows:
        holding = {colour for colour, flag in (("yellow", yellow), ("red", red), ("statutory", statutory)) if flag}
        raised = (holding - {"yellow"}) | ({"yellow"} if yellow_raised else set())
        lights[application_id] = (remaining, frozenset(holding), frozenset(raised))
    return lights


def python_lights(cases: list[Application], on: date, thresholds: dict[int, Threshold]) -> dict[int, tuple]:
    lights = {}
    for application in cases:
        clock = approvals.clock_of(application, on=on)
        if clock.is_paused:
            continue  # not on the clock: the sweep leaves it alone
        threshold = thresholds.get(application.item_version.item_id, DEFAULT_THRESHOLD)
        lights[application.pk] = (clock.remaining, frozenset(colours_holding(clock, threshold)),
                                  frozenset(colours_to_raise(clock, threshold)))
    return lights


def fresh(cases: list[Application]) -> list[Application]:
    return list(Application.objects.filter(pk__in=[case.pk for case in cases])
                .select_related("item_version").prefetch_related("pauses").order_by("pk"))


def compare_every_day(cases, first: date, days: int, *, sweep: bool) -> tuple[list, dict, int]:
    """Compare SQL with Python on each day; sweep each day too if asked. Returns the disagreements,
    the warnings Python expects the daily sweeps to have raised, and how many comparisons ran."""
    thresholds = thresholds_by_item()
    disagreements, expected, compared = [], {}, 0
    for offset in range(days):
        on = first + timedelta(days=offset)
        in_sql, in_python = sql_lights(on), python_lights(cases, on, thresholds)
        if in_sql != in_python:
            disagreements += [(on, pk, in_sql.get(pk), in_python.get(pk)) for pk in set(in_sql) | set(in_python)
                              if in_sql.get(pk) != in_python.get(pk)]
        compared += len(in_python)
        for pk, (remaining, _holding, raised) in in_python.items():
            for colour in raised:
                expected.setdefault((pk, colour), remaining)  # remaining on the first day raised
        if sweep:
            with at(on.year, on.month, on.day, 0, 5):
                services.sweep_time_limits()
    return disagreements, expected, compared


@pytest.mark.parametrize("window", WINDOWS[:2], ids=lambda window: window.name)
def test_sql_and_python_agree_every_day_and_the_sweep_raises_exactly_what_python_expects(window, items, people):
    cases = fresh(build_window(window, items, people))

    disagreements, expected, compared = compare_every_day(cases, window.cutoff, window.days, sweep=True)

    raised = {(pk, colour): remaining for pk, colour, remaining in
              TimeLimitWarning.objects.values_list("application_id", "colour", "remaining_working_days")}
    epochs = dict(Application.objects.values_list("pk", "deadline_epoch"))
    assert disagreements == []
    assert compared > CASES_PER_WINDOW * window.days * 0.6  # most cases are on the clock most days
    assert raised == expected
    assert all(warning.epoch == epochs[warning.application_id] for warning in TimeLimitWarning.objects.all())
    assert {colour for _pk, colour in raised} == {"yellow", "red", "statutory"}
    assert {case.item_version.promised_limit for case in cases if (case.pk, "red") in raised} >= {0}


def test_provisional_deadlines_agree_before_and_after_the_year_is_published(items, people, admin_city,
                                                                             django_capture_on_commit_callbacks,
                                                                             eager_celery):
    window = WINDOWS[2]
    cases = fresh(build_window(window, items, people))
    provisional = [case for case in cases if case.due_is_provisional]

    before, _expected, _compared = compare_every_day(cases, window.cutoff, window.days, sweep=False)
    # Published on 4 January; after commit its hooks run through the task (in-process here).
    with at(2027, 1, 4, 9), django_capture_on_commit_callbacks(execute=True):
        calendar.publish_year(2027, days=SCHEDULE_2027, actor=admin_city)
    stale_disagreements = [(pk, on) for on, pk, _sql, _python in before]
    after, _expected, compared = compare_every_day(fresh(cases), D(2027, 1, 4), window.days, sweep=False)

    assert len(provisional) > CASES_PER_WINDOW // 2  # most deadlines reach into unpublished 2027
    assert stale_disagreements == []  # weekends-only, in both
    assert after == []
    assert compared > 0
    recomputed = Application.objects.filter(pk__in=[case.pk for case in provisional])
    assert not recomputed.filter(due_is_provisional=True).exists()
    moved = [case for case in provisional if recomputed.get(pk=case.pk).promised_due != case.promised_due]
    assert moved  # New Year's Day and the Spring Festival week pushed deadlines back


def test_the_publication_hook_resweeps_and_clears_a_yellow_the_holidays_pushed_back(
        item_20, applicant_citizen, clerk_district_a, admin_city):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2026, 12, 28))  # TIME_RULES example 8
    assert (application.promised_due, application.due_is_provisional) == (D(2027, 1, 25), True)
    with at(2027, 1, 19, 9):
        services.sweep_time_limits()  # 4 left on the weekends-only calendar: yellow
    assert TimeLimitWarning.objects.current().get().colour == "yellow"

    with at(2027, 1, 19, 10):
        calendar.publish_year(2027, days={D(2027, 1, 1): (DayKind.HOLIDAY, "元旦"),
                                          D(2027, 1, 18): (DayKind.HOLIDAY, "测试假日"),
                                          D(2027, 1, 19): (DayKind.HOLIDAY, "测试假日")}, actor=admin_city)
        services.resweep_after_publication(2027)
        services.resweep_after_publication(2027)  # at least once: a second run changes nothing

    application.refresh_from_db()
    assert (application.promised_due, application.due_is_provisional) == (D(2027, 1, 28), False)
    assert not TimeLimitWarning.objects.current().exists()
    assert TimeLimitWarning.objects.get().cleared_at is not None
    assert [entry for entry in application.time_limit_warnings.all()] == list(TimeLimitWarning.objects.all())
