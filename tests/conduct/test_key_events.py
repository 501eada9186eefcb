"""The key-event sweep finds each kind once, dated in Beijing, and a second run adds nothing."""

from datetime import date

import pytest

from approvals import services
from portal.audit.models import AuditEntry
from supervision.conduct import services as conduct
from supervision.conduct import tasks
from supervision.conduct.choices import KeyEventKind
from supervision.conduct.models import KeyEvent
from tests.conduct.conftest import accepted_case, at, file_online, handle

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a, approver_a):
    """Six cases, one per source: not accepted, refused, one-time notice, paused for
    supplementary materials, deemed accepted, extended."""
    with at(2025, 9, 22, 9):
        not_accepted = file_online(food_item, applicant_citizen)
    with at(2025, 9, 22, 16):
        services.refuse_acceptance(not_accepted, actor=clerk_district_a, reason="不属于本机关职权范围")

    refused = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22))
    handle(refused, handler_a, claimed=(2025, 9, 23, 9, 0), completed=(2025, 9, 23, 11, 0))
    with at(2025, 9, 24, 9):
        services.claim_application(refused, actor=reviewer_a)
    with at(2025, 9, 24, 11):
        services.complete_step(refused, actor=reviewer_a, opinion="同意。")
    with at(2025, 9, 25, 9):
        services.claim_application(refused, actor=approver_a)
    # 23:30 Beijing on 09-25 is still 09-25 in Beijing (15:30 UTC).
    with at(2025, 9, 25, 23, 30):
        services.decide(refused, actor=approver_a, outcome="refuse", reasons="经营场所不符合卫生要求")

    with at(2025, 9, 22, 9):
        noticed = file_online(food_item, applicant_citizen, materials=(1,))
    with at(2025, 9, 23, 10):
        services.issue_one_time_notice(noticed, actor=clerk_district_a,
                                       items=[{"material": "营业执照", "requirement": "请提交复印件"}])

    paused = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22))
    with at(2025, 9, 23, 9):
        services.claim_application(paused, actor=handler_a)
    with at(2025, 9, 24, 9):
        services.pause_clock(paused, actor=handler_a, reason="supplement", note="补充现场照片")

    with at(2025, 9, 26, 10):
        deemed = file_online(food_item, applicant_citizen)
    with at(2025, 10, 11, 8):
        services.deem_accepted(deemed, as_of=services.today())

    extended = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22))
    with at(2025, 10, 20, 15):
        services.extend_deadline(extended, actor=approver_a, days=10, reason="需要现场核查")
    return {"not_accepted": not_accepted, "refused": refused, "noticed": noticed, "paused": paused,
            "deemed": deemed, "extended": extended}


def test_sweep_finds_each_kind_of_key_event(one_of_each):
    added = conduct.sweep_key_events()

    assert added == {"not_accepted": 1, "refused": 1, "supplement_notice": 1, "supplement_pause": 1,
                     "deemed_accepted": 1, "extended": 1}
    rows = {(event.application_id, event.kind, event.occurred_on) for event in KeyEvent.objects.all()}
    assert rows == {
        (one_of_each["not_accepted"].pk, KeyEventKind.NOT_ACCEPTED, date(2025, 9, 22)),
        (one_of_each["refused"].pk, KeyEventKind.REFUSED, date(2025, 9, 25)),
        (one_of_each["noticed"].pk, KeyEventKind.SUPPLEMENT_REQUESTED, date(2025, 9, 23)),
        (one_of_each["paused"].pk, KeyEventKind.SUPPLEMENT_REQUESTED, date(2025, 9, 24)),
        (one_of_each["deemed"].pk, KeyEventKind.DEEMED_ACCEPTED, date(2025, 10, 11)),
        (one_of_each["extended"].pk, KeyEventKind.EXTENDED, date(2025, 10, 20)),
    }
    not_accepted = KeyEvent.objects.get(kind=KeyEventKind.NOT_ACCEPTED)
    assert not_accepted.detail == {"reason": "不属于本机关职权范围", "channel": "online"}
    assert not_accepted.department_id == one_of_each["not_accepted"].department_id
    assert not_accepted.region_path == one_of_each["not_accepted"].region_path
    refused = KeyEvent.objects.get(kind=KeyEventKind.REFUSED)
    assert refused.detail["reasons"] == "经营场所不符合卫生要求"
    assert refused.detail["document_number"] == one_of_each["refused"].decision.document_number
    assert KeyEvent.objects.get(kind=KeyEventKind.EXTENDED).detail["days"] == 10
    assert KeyEvent.objects.get(kind=KeyEventKind.DEEMED_ACCEPTED).detail["accepted_on"] == "2025-09-26"
    keys = set(KeyEvent.objects.filter(kind=KeyEventKind.SUPPLEMENT_REQUESTED)
               .values_list("occurrence_key", flat=True))
    assert {key.split(":")[0] for key in keys} == {"notice", "pause"}


def test_sweep_twice_adds_nothing_and_audits_only_the_run_that_added(one_of_each):
    conduct.sweep_key_events()
    audited = AuditEntry.objects.filter(event_type="conduct.key_events.swept").count()

    assert set(tasks.sweep_key_events().values()) == {0}  # the beat task's body, run in place
    assert KeyEvent.objects.count() == 6
    assert AuditEntry.objects.filter(event_type="conduct.key_events.swept").count() == audited == 1


def test_a_new_event_is_added_on_the_next_run(one_of_each, approver_a, handler_a):
    conduct.sweep_key_events()
    with at(2025, 10, 21, 9):
        services.extend_deadline(one_of_each["paused"], actor=approver_a, days=5, reason="等待检测报告")

    assert conduct.sweep_key_events()["extended"] == 1
    assert KeyEvent.objects.filter(kind=KeyEventKind.EXTENDED).count() == 2
