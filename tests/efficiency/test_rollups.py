"""Rollups equal a direct count of the cases, built whole or kept up incrementally.

The direct count below restates, in Python over the ORM, what each rollup column means
(``supervision.efficiency.querysets``); the rollups are SQL. Random cases are made through the
approvals services at travelled times, so that the audit trail the incremental refresh reads is
the one production writes.
"""

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
from django.db.models import Sum

from approvals import services
from approvals.choices import ApplicationStatus, MaterialState
from approvals.clock import BEIJING, beijing_date
from approvals.models import Application, Licence
from supervision.efficiency import rollups
from supervision.efficiency.models import MEASURES, DailyRollup, MonthlyRollup, RollupState, Score
from tests.approvals.conftest import at
from tests.efficiency.conftest import AS_OF, score_october

pytestmark = pytest.mark.django_db

ACCEPTED = {ApplicationStatus.IN_PROGRESS, ApplicationStatus.APPROVED, ApplicationStatus.REFUSED,
            ApplicationStatus.CONCLUDED}


def direct_daily(as_of: date) -> dict[tuple, Counter]:
    """(day, department, item, channel) → measures, counted case by case."""
    rows: dict[tuple, Counter] = defaultdict(Counter)
    cases = Application.objects.select_related("item_version").prefetch_related("notices", "pauses", "materials")
    for case in cases:
        item, department, channel = case.item_version.item_id, case.department_id, case.channel

        def add(day, department=department, item=item, channel=channel, **measures):
            rows[(day, department, item, channel)].update(measures)

        if case.received_on:
            add(case.received_on, received=1,
                materials_reused=sum(1 for m in case.materials.all() if m.state == MaterialState.REUSED))
        if case.accepted_on:
            add(case.accepted_on, accepted=1, online=int(case.channel == "online"),
                accepted_after_notice=int(bool(case.notices.all())), promised_days=case.promised_limit,
                statutory_days=case.statutory_limit)
        concluded = beijing_date(case.concluded_at) if case.status == ApplicationStatus.CONCLUDED else None
        if concluded:
            add(concluded, concluded=1, concluded_early=int(concluded < case.promised_due),
                concluded_on_time=int(concluded <= case.promised_due))
        if case.status in ACCEPTED and case.promised_due and case.promised_due < as_of:
            in_time = concluded is not None and concluded <= case.promised_due
            stopped = any(p.ended_on is None and p.started_on <= case.promised_due for p in case.pauses.all())
            if not in_time and not stopped:
                add(case.promised_due, overdue=1)
        for notice in case.notices.all():
            add(beijing_date(notice.issued_at), supplement_requests=1)
        rating = getattr(case, "rating", None)
        if rating is not None:
            add(beijing_date(rating.rated_at), **{f"rated_level_{rating.level}": 1})
    for licence in Licence.objects.select_related("item_version", "application"):
        channel = licence.application.channel if licence.application else ""
        rows[(licence.issued_on, licence.department_id, licence.item_version.item_id, channel)].update(
            licences_issued=1)
    return {key: Counter({k: v for k, v in counter.items() if v}) for key, counter in rows.items()
            if any(counter.values())}


def stored_daily() -> dict[tuple, Counter]:
    stored = {}
    for row in DailyRollup.objects.all():
        counter = Counter({name: getattr(row, name) for name in MEASURES if getattr(row, name)})
        if counter:
            stored[(row.day, row.department_id, row.item_id, row.channel)] = counter
    return stored


def assert_months_are_the_sums_of_their_days():
    days = defaultdict(Counter)
    for row in DailyRollup.objects.all():
        days[(row.day.replace(day=1), row.department_id, row.item_id, row.channel)].update(
            {name: getattr(row, name) for name in MEASURES})
    months = {(row.month, row.department_id, row.item_id, row.channel): Counter(
        {name: getattr(row, name) for name in MEASURES}) for row in MonthlyRollup.objects.all()}
    assert months == dict(days)


def test_the_hand_built_month_rolls_up_to_the_direct_count(october):
    with at(*AS_OF):
        rollups.refresh_rollups()

    assert stored_daily() == direct_daily(date(*AS_OF))
    assert_months_are_the_sums_of_their_days()
    october_rows = MonthlyRollup.objects.filter(month=date(2025, 10, 1))
    totals = october_rows.aggregate(**{name: Sum(name) for name in ("accepted", "concluded", "overdue",
                                                                       "licences_issued", "supplement_requests")})
    assert totals == {"accepted": 5, "concluded": 5, "overdue": 2, "licences_issued": 5, "supplement_requests": 1}


def test_scores_agree_with_the_rollups(rule, october, city, supervisor_city, bureau_a):
    run = score_october(rule, city, supervisor_city)
    with at(*AS_OF):
        rollups.refresh_rollups()

    score = Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}")
    summed = MonthlyRollup.objects.filter(month=date(2025, 10, 1), department=bureau_a).aggregate(
        **{name: Sum(name) for name in ("accepted", "online", "accepted_after_notice", "promised_days",
                                        "statutory_days", "concluded", "concluded_early", "concluded_on_time",
                                        "overdue")})
    assert summed == {name: getattr(score, name) for name in summed}


def test_a_second_refresh_changes_nothing(october):
    with at(*AS_OF):
        rollups.refresh_rollups()
        first = stored_daily()
        rollups.refresh_rollups()

    assert stored_daily() == first
    assert RollupState.objects.get().last_days == 3  # only the recent days: nothing touched since


def test_the_refresh_finds_old_days_through_the_audit_trail(october, item_y, applicant_citizen, clerk_district_a,
                                                              approver_a):
    from tests.efficiency.conftest import accept_online

    late = accept_online(item_y, applicant_citizen, clerk_district_a, (2025, 10, 14))  # due 10-21
    with at(*AS_OF):
        rollups.refresh_rollups()
    assert DailyRollup.objects.get(day=date(2025, 10, 21), item=item_y).overdue == 1

    with at(2025, 11, 20, 9):  # weeks later: D is withdrawn, the late case gets its extension
        services.withdraw_application(october["D"], actor=applicant_citizen, reason="不再需要")
        services.extend_deadline(late, actor=approver_a, days=5, reason="需现场核查")
    with at(2025, 11, 20, 12):
        rollups.refresh_rollups()

    late.refresh_from_db()
    assert late.promised_due == date(2025, 10, 28)
    # 10-20 (D's due date) and 10-21 (the late case's former due date, read from the audit trail's
    # before-values) lie before the refresh window of recent days: only the trail names them.
    assert stored_daily() == direct_daily(date(2025, 11, 20))
    assert not DailyRollup.objects.filter(day__in=[date(2025, 10, 20), date(2025, 10, 21)], overdue__gt=0).exists()
    assert DailyRollup.objects.get(day=date(2025, 10, 28)).overdue == 1


# --- Random cases, through the services -------------------------------------------------------------


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


class CasePlan:
    """One random case's life as a list of (moment, step) in order; steps call the services."""

    def __init__(self, rng: random.Random, people: dict, index: int):
        self.rng, self.people, self.index = rng, people, index
        self.application = None
        self.claimed = self.paused = self.concluded = False
        self.steps: list[tuple[datetime, str]] = []
        lane = rng.choice(["a_x", "a_y", "b_z"])
        self.item, self.clerk, self.approver = people[lane]
        self.online = rng.random() < 0.7
        filed = date(2025, 9, 1) + timedelta(days=rng.randrange(0, 75))
        moment = _moment(filed, rng.choice([9, 11, 15, 18]))  # 18:00: received the next working day
        if not self.online:
            self.steps.append((moment, "window"))
            accepted_at = moment
        else:
            notice = rng.random() < 0.2
            self.steps.append((moment, "file_without" if notice else "file"))
            if notice:
                self.steps.append((moment + timedelta(days=1, hours=1), "notice"))
                moment += timedelta(days=2, hours=2)
                self.steps.append((moment, "resubmit"))
            roll = rng.random()
            if roll < 0.1:
                self.steps.append((moment + timedelta(days=1), "refuse"))
                return
            if roll < 0.15:
                return  # left in pre-review
            accepted_at = moment + timedelta(days=rng.randrange(0, 3), hours=1)
            self.steps.append((accepted_at, "accept"))
        moment = accepted_at
        if rng.random() < 0.25:
            moment += timedelta(days=1)
            self.steps += [(moment, "claim"), (moment + timedelta(hours=1), "pause")]
            if rng.random() < 0.7:
                moment += timedelta(days=rng.randrange(3, 12))
                self.steps.append((moment, "resume"))
            else:
                return
        if rng.random() < 0.2:
            moment += timedelta(days=rng.randrange(1, 12))
            self.steps.append((moment, "extend"))
        if rng.random() < 0.65:
            moment += timedelta(days=rng.randrange(0, 25), hours=1)
            self.steps.append((moment, "conclude"))
            if self.online and rng.random() < 0.6:
                self.steps.append((moment + timedelta(days=rng.randrange(0, 4), hours=1), "rate"))
        elif self.online and rng.random() < 0.2:
            self.steps.append((moment + timedelta(days=rng.randrange(1, 20)), "withdraw"))

    def run(self, step: str) -> None:
        applicant = self.people["applicant"]
        version = self.item.published_version
        if step == "window":
            self.application = services.intake_at_window(
                version, actor=self.clerk, subject_type="enterprise", applicant_name=f"江州测试企业{self.index}",
                identity_code="91350100M000100Y43", contact_phone="13900001111", provided=[1], outcome="accept")
        elif step in ("file", "file_without"):
            application = services.start_application(
                version, actor=applicant, subject_type=applicant.subject_type, applicant_name=applicant.full_name,
                identity_code=applicant.identity_code, contact_phone="13900001111")
            if step == "file":
                services.record_material(application, 1, actor=applicant, state="provided")
            self.application = services.submit_application(application, actor=applicant)
        elif step == "notice":
            services.issue_one_time_notice(self.application, actor=self.clerk,
                                           items=[{"material": "申请书", "requirement": "补交"}])
        elif step == "resubmit":
            services.record_material(self.application, 1, actor=applicant, state="provided")
            services.resubmit_application(self.application, actor=applicant)
        elif step == "refuse":
            services.refuse_acceptance(self.application, actor=self.clerk, reason="不属于本机关职权范围。")
        elif step == "accept":
            services.accept_application(self.application, actor=self.clerk)
        elif step == "claim":
            services.claim_application(self.application, actor=self.approver)
            self.claimed = True
        elif step == "pause":
            services.pause_clock(self.application, actor=self.approver, reason="supplement", note="补正材料")
        elif step == "resume":
            services.resume_clock(self.application, actor=self.approver)
        elif step == "extend":
            services.extend_deadline(self.application, actor=self.approver, days=5, reason="需现场核查")
        elif step == "conclude":
            if not self.claimed:
                services.claim_application(self.application, actor=self.approver)
            services.decide(self.application, actor=self.approver, outcome="approve")
            services.conclude_application(self.application, actor=self.approver, served_method="electronic")
        elif step == "rate":
            services.rate_application(self.application, actor=applicant, level=self.rng.randint(1, 5))
        elif step == "withdraw":
            services.withdraw_application(self.application, actor=applicant, reason="不再需要")


def play(plans: list[CasePlan], after: datetime | None, until: datetime) -> None:
    """Run every planned step in (after, until], in time order across cases."""
    steps = sorted(((moment, index, step) for index, plan in enumerate(plans) for moment, step in plan.steps
                    if (after is None or moment > after) and moment <= until), key=lambda s: (s[0], s[1]))
    for moment, index, step in steps:
        with at(moment.year, moment.month, moment.day, moment.hour, moment.minute):
            plans[index].run(step)


@pytest.mark.parametrize("seed", [7, 2026])
def test_random_cases_roll_up_to_the_direct_count_whole_and_incrementally(
        seed, item_x, item_y, item_z, applicant_citizen, clerk_district_a, clerk_district_b, approver_a, approver_b):
    rng = random.Random(seed)
    people = {"applicant": applicant_citizen, "a_x": (item_x, clerk_district_a, approver_a),
              "a_y": (item_y, clerk_district_a, approver_a), "b_z": (item_z, clerk_district_b, approver_b)}
    plans = [CasePlan(rng, people, index) for index in range(36)]
    first_refresh, second_refresh = _moment(date(2025, 10, 20), 12), _moment(date(2025, 11, 24), 12)

    play(plans, None, first_refresh)
    with at(2025, 10, 20, 12):
        rollups.refresh_rollups()  # the first refresh builds every day
    assert stored_daily() == direct_daily(date(2025, 10, 20))

    play(plans, first_refresh, second_refresh)
    with at(2025, 11, 24, 12):
        rollups.refresh_rollups()  # incremental: the days the audit trail touched, and the days since
    incremental = stored_daily()
    expected = direct_daily(date(2025, 11, 24))
    assert incremental == expected
    totals = sum(expected.values(), Counter())
    exercised = [name for name in MEASURES if not name.startswith("rated_level_")]
    assert all(totals[name] for name in exercised), totals  # the random months exercise every measure
    assert sum(totals[f"rated_level_{level}"] for level in range(1, 6)) > 0
    assert_months_are_the_sums_of_their_days()
    assert RollupState.objects.get().last_days < (date(2025, 11, 24) - date(2025, 9, 1)).days

    with at(2025, 11, 24, 12):
        DailyRollup.objects.all().delete()
        MonthlyRollup.objects.all().delete()
        rollups.rebuild_rollups()
    assert stored_daily() == incremental
