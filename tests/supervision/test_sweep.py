"""The time-limit sweep: which cases turn yellow, red or pass the statutory limit, and when (TIME_RULES §6–8)."""

from datetime import date, datetime

import pytest
from django.db import IntegrityError, transaction

from approvals import services as approvals
from approvals.clock import BEIJING
from portal.audit.models import AuditEntry
from portal.outbox.models import OutboxMessage
from supervision import services
from supervision.choices import SweepTrigger
from supervision.models import SweepRun, TimeLimitWarning
from tests.approvals.conftest import at
from tests.supervision.conftest import accepted, extended, paused, resumed

pytestmark = pytest.mark.django_db
D = date


def sweep(day: date, hour: int = 0, minute: int = 5) -> SweepRun:
    with at(day.year, day.month, day.day, hour, minute):
        return services.sweep_time_limits()


def lights(application) -> list[tuple[str, int, date, int]]:
    return list(TimeLimitWarning.objects.filter(application=application).order_by("epoch", "id").values_list(
        "colour", "epoch", "crossed_on", "remaining_working_days"))


def test_example_3_turns_yellow_on_the_first_day_four_days_remain(item_20, applicant_citizen, clerk_district_a):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    quiet = [sweep(D(2025, 10, 17)), sweep(D(2025, 10, 18))]  # 5 remaining on both (Sat not a working day)
    yellow = sweep(D(2025, 10, 20))

    assert application.promised_due == D(2025, 10, 24)
    assert [run.raised for run in quiet] == [0, 0]
    assert lights(application) == [("yellow", 1, D(2025, 10, 20), 4)]
    assert (yellow.cases_scanned, yellow.yellow_raised, yellow.red_raised, yellow.statutory_raised) == (1, 1, 0, 0)


def test_red_the_day_after_the_promised_due_date_and_statutory_as_a_separate_later_event(
        item_10, applicant_citizen, clerk_district_a):
    application = accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    assert (application.promised_due, application.statutory_due) == (D(2025, 10, 11), D(2025, 10, 24))

    sweep(D(2025, 10, 9))  # 2 left: yellow
    due_day = sweep(D(2025, 10, 11))  # Saturday, a working day (调休): due today, not yet red
    sweep(D(2025, 10, 12))  # Sunday: red, though no working day has passed since
    sweep(D(2025, 10, 24))
    sweep(D(2025, 10, 25))

    assert due_day.raised == 0
    assert lights(application) == [
        ("yellow", 1, D(2025, 10, 9), 2),
        ("red", 1, D(2025, 10, 12), 0),
        ("statutory", 1, D(2025, 10, 25), -10),
    ]


def test_a_case_found_already_overdue_is_raised_red_and_statutory_without_yellow(
        item_10, applicant_citizen, clerk_district_a):
    application = accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    run = sweep(D(2025, 11, 3))  # the first sweep in weeks

    assert [(colour, crossed) for colour, _epoch, crossed, _left in lights(application)] == [
        ("red", D(2025, 10, 12)), ("statutory", D(2025, 10, 25))]
    assert (run.yellow_raised, run.red_raised, run.statutory_raised) == (0, 1, 1)


def test_immediate_item_is_never_yellow_and_red_the_next_calendar_day(immediate_item, applicant_citizen,
                                                                       clerk_district_a):
    application = accepted(immediate_item, applicant_citizen, clerk_district_a, D(2025, 9, 26))  # a Friday

    same_day = sweep(D(2025, 9, 26), hour=17)
    next_day = sweep(D(2025, 9, 27))  # Saturday: not a working day, yet the promise was "today"

    assert application.promised_due == D(2025, 9, 26)
    assert same_day.raised == 0
    assert lights(application) == [("red", 1, D(2025, 9, 27), 0)]
    assert next_day.red_raised == 1


def test_sweeping_twice_raises_nothing_twice(item_20, item_10, applicant_citizen, clerk_district_a):
    first_case = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    second_case = accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    first = sweep(D(2025, 10, 20), hour=9)
    second = sweep(D(2025, 10, 20), hour=9, minute=10)

    assert (first.raised, second.raised) == (2, 0)
    assert TimeLimitWarning.objects.count() == 2
    assert lights(first_case) == [("yellow", 1, D(2025, 10, 20), 4)]
    assert lights(second_case) == [("red", 1, D(2025, 10, 12), -6)]
    assert OutboxMessage.objects.filter(kind=services.NOTICE_KIND).count() == 1  # one department, one run


def test_the_database_refuses_a_second_warning_of_a_colour_in_an_epoch(item_20, applicant_citizen,
                                                                         clerk_district_a):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    sweep(D(2025, 10, 20))
    warning = TimeLimitWarning.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        TimeLimitWarning.objects.create(application=application, colour="yellow", epoch=1,
                                        department=warning.department, raised_at=warning.raised_at,
                                        crossed_on=warning.crossed_on, remaining_working_days=4)


def test_a_paused_clock_does_not_age_and_resuming_moves_the_yellow_day(item_20, applicant_citizen,
                                                                        clerk_district_a, handler_a):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    application = paused(application, handler_a, D(2025, 9, 25))  # 3 days used

    while_paused = sweep(D(2025, 10, 27))  # past the due date it had before the pause (2025-10-24)
    application = resumed(application, handler_a, D(2025, 10, 28))  # 19 paused working days
    sweep(D(2025, 11, 13))  # 5 left
    sweep(D(2025, 11, 14))  # 4 left: yellow

    assert (while_paused.cases_scanned, while_paused.raised) == (0, 0)
    assert application.promised_due == D(2025, 11, 20)
    assert lights(application) == [("yellow", 1, D(2025, 11, 14), 4)]


def test_an_extension_starts_a_new_epoch_in_which_the_case_turns_yellow_once_more(
        item_20, applicant_citizen, clerk_district_a, approver_a):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    sweep(D(2025, 10, 20))
    application = extended(application, approver_a, D(2025, 10, 21), days=10)  # TIME_RULES example 4

    at_extension = sweep(D(2025, 10, 21), hour=12)
    sweep(D(2025, 10, 29))  # 7 left of 30: the threshold is now 20 % of 30 = 6
    sweep(D(2025, 10, 30))
    sweep(D(2025, 10, 31))

    assert application.deadline_epoch == 2 and application.promised_due == D(2025, 11, 7)
    assert at_extension.cleared == 1
    assert lights(application) == [("yellow", 1, D(2025, 10, 20), 4), ("yellow", 2, D(2025, 10, 30), 6)]
    first, second = TimeLimitWarning.objects.filter(application=application).order_by("epoch")
    assert first.cleared_at is not None and second.cleared_at is None


def test_conclusion_clears_the_lights_but_keeps_them_as_evidence(item_10, applicant_citizen, clerk_district_a,
                                                                  handler_a, approver_a, reviewer_a):
    application = accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    sweep(D(2025, 10, 9))  # yellow
    sweep(D(2025, 10, 13))  # red
    with at(2025, 10, 16):
        approvals.claim_application(application, actor=handler_a)
        approvals.complete_step(application, actor=handler_a, opinion="符合条件。")
        approvals.claim_application(application, actor=reviewer_a)
        approvals.complete_step(application, actor=reviewer_a, opinion="同意。")
        approvals.claim_application(application, actor=approver_a)
        approvals.decide(application, actor=approver_a, outcome="approve")
    decided = sweep(D(2025, 10, 16), hour=12)  # decided, not concluded: the clock still runs
    with at(2025, 10, 17):
        approvals.conclude_application(application, actor=clerk_district_a, served_method="in_person")
    concluded = sweep(D(2025, 10, 17), hour=12)

    assert decided.cleared == 0
    assert concluded.cleared == 2
    assert TimeLimitWarning.objects.filter(application=application).count() == 2
    assert not TimeLimitWarning.objects.current().exists()


def test_lag_is_measured_from_the_start_of_the_day_the_case_crossed(item_20, applicant_citizen, clerk_district_a):
    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    run = sweep(D(2025, 10, 20), hour=0, minute=7)

    warning = TimeLimitWarning.objects.get()
    assert warning.raised_at == datetime(2025, 10, 20, 0, 7, tzinfo=BEIJING)
    assert (run.lag_max_seconds, run.lag_avg_seconds) == (420.0, 420.0)


def test_a_run_is_recorded_with_its_duration_and_audited(item_20, applicant_citizen, clerk_district_a):
    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))

    quiet = sweep(D(2025, 10, 17))
    run = sweep(D(2025, 10, 20))

    run.refresh_from_db()
    assert run.is_finished and run.duration_ms is not None and run.trigger == SweepTrigger.SCHEDULE
    assert run.swept_on == D(2025, 10, 20)
    entries = AuditEntry.objects.filter(chain=services.SWEEP_AUDIT_CHAIN)
    assert [(entry.target_id, entry.data["raised"]) for entry in entries] == [
        (str(run.pk), {"yellow": 1, "red": 0, "statutory": 0})]  # the quiet run changed nothing
    assert quiet.pk != run.pk


def test_cases_not_yet_accepted_or_concluded_are_not_looked_at(item_20, applicant_citizen, clerk_district_a):
    with at(2025, 9, 22):
        approvals.start_application(item_20.published_version, actor=applicant_citizen, subject_type="citizen",
                                    applicant_name="张伟", identity_code=applicant_citizen.identity_code,
                                    contact_phone="13900001111")

    run = sweep(D(2025, 12, 1))

    assert (run.cases_scanned, run.raised) == (0, 0)
