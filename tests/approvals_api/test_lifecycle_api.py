"""The whole lifecycle driven by a department's system with tokens, through /api/applications/."""

import pytest

from approvals.models import Application, Decision, Licence
from portal.audit.models import AuditEntry
from tests.approvals.conftest import at
from tests.approvals_api.conftest import APPLICATIONS, action_url, filing, token_client

pytestmark = pytest.mark.django_db


def test_five_step_lifecycle_from_filing_to_licence(food_item, clerk_district_a, handler_a, reviewer_a,
                                                   approver_a):
    clerk, approver = token_client(clerk_district_a), token_client(approver_a)
    with at(2025, 9, 22):
        created = clerk.post(APPLICATIONS, filing(food_item), format="json")
        application_id = created.json()["id"]
        accepted = clerk.post(action_url(application_id, "accept"), {}, format="json")

    assert created.status_code == 201
    assert (created.json()["status"], created.json()["channel"], created.json()["receipt_number"]) == (
        "submitted", "api", "JZ2025092200001")
    assert [m["state"] for m in created.json()["materials"]] == ["provided", "provided", "missing"]
    assert created.json()["clock"] is None
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["current_step"]) == ("in_progress", "handle")
    assert accepted.json()["clock"] == {
        "used": 0, "limit": 20, "remaining": 20, "promised_due": "2025-10-24", "statutory_due": "2025-10-24",
        "provisional": False, "is_paused": False, "overdue": False,
        "explanation": "已用 0 / 20 个工作日；承诺办结日 2025-10-24，法定期限 2025-10-24。",
    }

    with at(2025, 9, 23):
        for person, opinion in ((handler_a, "材料齐全，符合条件，建议准予许可。"), (reviewer_a, "同意承办意见。")):
            system = token_client(person)
            assert system.post(action_url(application_id, "claim"), format="json").status_code == 200
            completed = system.post(action_url(application_id, "complete-step"), {"opinion": opinion},
                                    format="json")
            assert completed.status_code == 200
        assert approver.post(action_url(application_id, "claim"), format="json").status_code == 200
        decided = approver.post(action_url(application_id, "decide"), {"outcome": "approve"}, format="json")
        concluded = clerk.post(action_url(application_id, "conclude"), {"served_method": "in_person"},
                               format="json")

    assert decided.status_code == 200
    assert decided.json()["decision"]["licence_due"] == "2025-10-13"
    assert concluded.status_code == 200
    body = concluded.json()
    assert (body["status"], body["current_step"]) == ("concluded", "")
    assert [step["kind"] for step in body["steps"]] == ["accept", "handle", "review", "approve", "conclude"]
    assert [step["actor_name"] for step in body["steps"][1:4]] == [str(handler_a), str(reviewer_a), "陈军"]
    assert all(step["signature"] and step["claimed_acted_at"] is None for step in body["steps"])
    assert body["decision"]["served_method"] == "in_person"
    licence = Licence.objects.get(application_id=application_id)
    assert body["licence"] == {"number": licence.number, "licence_name": "食品经营许可", "status": "valid",
                               "issued_on": "2025-09-23", "valid_from": "2025-09-23", "valid_until": "2030-09-22"}
    events = list(AuditEntry.objects.filter(event_type__startswith="approvals.application.")
                  .order_by("id").values_list("event_type", flat=True))
    assert events == [
        "approvals.application.created", "approvals.application.submit", "approvals.application.accept",
        "approvals.application.claim", "approvals.application.complete_step", "approvals.application.claim",
        "approvals.application.complete_step", "approvals.application.claim", "approvals.application.approve",
        "approvals.application.conclude",
    ]
    assert set(AuditEntry.objects.filter(event_type__startswith="approvals.application.")
               .values_list("channel", flat=True)) == {"api"}


def test_incomplete_filing_gets_a_one_time_notice_then_is_supplemented_and_accepted(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item, materials=[{"position": 1}]),
                                    format="json").json()["id"]
        refused = clerk.post(action_url(application_id, "accept"), format="json")
        noticed = clerk.post(action_url(application_id, "one-time-notice"),
                             {"items": [{"material": "营业执照", "requirement": "提交营业执照复印件并加盖公章"}]},
                             format="json")
        supplemented = clerk.post(action_url(application_id, "materials"),
                                  {"materials": [{"position": 2, "state": "provided"}]}, format="json")
        resubmitted = clerk.post(action_url(application_id, "resubmit"), format="json")
        accepted = clerk.post(action_url(application_id, "accept"), format="json")

    assert refused.status_code == 409
    assert "营业执照" in refused.json()["error"]["message"]
    assert noticed.status_code == 200
    assert noticed.json()["status"] == "correction"
    assert noticed.json()["notices"][0]["items"] == [
        {"material": "营业执照", "requirement": "提交营业执照复印件并加盖公章"}]
    assert supplemented.json()["materials"][1]["state"] == "provided"
    assert resubmitted.json()["status"] == "submitted"
    assert resubmitted.json()["notices"][0]["answered_at"] == "2025-09-22T10:00:00+08:00"
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "in_progress"


def test_a_notice_names_the_material_found_wanting(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item), format="json").json()["id"]
        noticed = clerk.post(action_url(application_id, "one-time-notice"), {"items": [
            {"material": "营业执照", "position": 2, "requirement": "复印件不清晰，请重新提交"}]}, format="json")
        refused = clerk.post(action_url(application_id, "resubmit"), format="json")

    assert noticed.status_code == 200
    assert noticed.json()["notices"][0]["items"] == [
        {"material": "营业执照", "position": 2, "problem": "不符合要求", "requirement": "复印件不清晰，请重新提交"}]
    assert noticed.json()["materials"][1]["state"] == "deficient"
    assert refused.status_code == 409
    assert refused.json()["error"]["message"] == "以下必要材料尚未提交，请补齐后再提交：营业执照。"
    assert Application.objects.get(pk=application_id).status == "correction"


def test_refusal_to_accept_with_a_reason(food_item, clerk_district_a):
    clerk = token_client(clerk_district_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item), format="json").json()["id"]
        refused = clerk.post(action_url(application_id, "refuse-acceptance"), {"reason": "不属于本机关职权范围。"},
                             format="json")

    assert refused.status_code == 200
    assert (refused.json()["status"], refused.json()["closing_reason"]) == ("not_accepted", "不属于本机关职权范围。")


def test_pause_resume_and_extension_move_the_deadlines(food_item, clerk_district_a, handler_a, approver_a):
    clerk, handler, approver = token_client(clerk_district_a), token_client(handler_a), token_client(approver_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item), format="json").json()["id"]
        clerk.post(action_url(application_id, "accept"), format="json")
        handler.post(action_url(application_id, "claim"), format="json")
    with at(2025, 9, 25):
        paused = handler.post(action_url(application_id, "pause"), {"reason": "supplement", "note": "补正场所平面图"},
                              format="json")
    with at(2025, 10, 13):
        resumed = handler.post(action_url(application_id, "resume"), format="json")
    with at(2025, 10, 14):
        extended = approver.post(action_url(application_id, "extend"), {"days": 10, "reason": "需组织现场核查"},
                                 format="json")
        again = approver.post(action_url(application_id, "extend"), {"days": 2, "reason": "再次延期"}, format="json")

    assert paused.status_code == 200
    assert (paused.json()["is_paused"], paused.json()["clock"]["is_paused"]) == (True, True)
    assert resumed.json()["pauses"] == [{
        "reason": "supplement", "note": "补正场所平面图", "started_on": "2025-09-25", "ended_on": "2025-10-13",
        "started_by_name": str(handler_a), "ended_by_name": str(handler_a)}]
    assert resumed.json()["promised_due"] == "2025-11-05"
    assert extended.status_code == 200
    assert extended.json()["extension"]["days"] == 10
    assert (extended.json()["promised_due"], extended.json()["statutory_due"]) == ("2025-11-19", "2025-11-19")
    assert extended.json()["clock"]["limit"] == 30
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "invalid_transition",
                                     "message": "每个办件只能延期一次（《行政许可法》第四十二条）。"}


def test_transfer_and_return_step(food_item, clerk_district_a, handler_a, second_handler_a, reviewer_a):
    clerk, handler, reviewer = token_client(clerk_district_a), token_client(handler_a), token_client(reviewer_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item), format="json").json()["id"]
        clerk.post(action_url(application_id, "accept"), format="json")
        handler.post(action_url(application_id, "claim"), format="json")
        transferred = handler.post(action_url(application_id, "transfer"),
                                   {"to_username": "handler_a2", "reason": "休假"}, format="json")
        token_client(second_handler_a).post(action_url(application_id, "complete-step"), {"opinion": "同意"},
                                            format="json")
        reviewer.post(action_url(application_id, "claim"), format="json")
        returned = reviewer.post(action_url(application_id, "return-step"), {"opinion": "请补充现场核查记录"},
                                 format="json")

    assert transferred.status_code == 200
    assert transferred.json()["assignee"] == "handler_a2"
    assert returned.status_code == 200
    assert (returned.json()["current_step"], returned.json()["assignee"]) == ("handle", None)
    assert [(step["kind"], step["outcome"]) for step in returned.json()["steps"]] == [
        ("accept", "passed"), ("handle", "passed"), ("review", "returned")]


def test_transfer_to_someone_outside_the_department_is_refused(food_item, clerk_district_a, handler_a,
                                                                clerk_district_b):
    clerk, handler = token_client(clerk_district_a), token_client(handler_a)
    with at(2025, 9, 22):
        application_id = clerk.post(APPLICATIONS, filing(food_item), format="json").json()["id"]
        clerk.post(action_url(application_id, "accept"), format="json")
        handler.post(action_url(application_id, "claim"), format="json")
        response = handler.post(action_url(application_id, "transfer"), {"to_username": "clerk_b", "reason": "x"},
                                format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"to_username": ["办理部门中没有该工作人员。"]}
    assert Application.objects.get(pk=application_id).assignee == handler_a


def test_applicant_withdraws_and_approver_terminates(food_item, applicant_citizen, clerk_district_a, approver_a):
    applicant, clerk = token_client(applicant_citizen), token_client(clerk_district_a)
    with at(2025, 9, 22):
        own = applicant.post(APPLICATIONS, filing(food_item), format="json")
        withdrawn = applicant.post(action_url(own.json()["id"], "withdraw"), {"reason": "不再经营"}, format="json")
        other_id = clerk.post(APPLICATIONS, filing(food_item), format="json").json()["id"]
        terminated = token_client(approver_a).post(action_url(other_id, "terminate"), {"reason": "申请人已注销"},
                                                   format="json")

    assert own.status_code == 201
    assert Application.objects.get(pk=own.json()["id"]).applicant == applicant_citizen
    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "withdrawn")
    assert (terminated.status_code, terminated.json()["status"]) == (200, "terminated")
    assert terminated.json()["closing_reason"] == "申请人已注销"
    assert not Decision.objects.exists()
