"""The supervisors' pages: who may see and do what, region scoping, filters, counts, tuning and
review with Chinese errors, and the audit entries the changes leave."""

import pytest
from django.urls import reverse

from approvals import services
from portal.audit.models import AuditEntry
from portal.organisation.choices import Role
from supervision.conduct import services as conduct
from supervision.conduct.choices import KeyEventKind, ReviewVerdict, RuleCode
from supervision.conduct.models import ConductFlag, ConductRule, KeyEvent
from tests.conduct.conftest import accepted_case, at, file_online, handle
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PAGES = ["conduct:key_events", "conduct:rule_list", "conduct:flag_list"]


@pytest.fixture
def two_districts(food_item, food_item_b, applicant_citizen, clerk_district_a, clerk_district_b, handler_a,
                  handler_b, approver_a):
    """A's case handled in 0 seconds and extended; B's case handled in 0 seconds; swept."""
    case_a = accepted_case(food_item, applicant_citizen, clerk_district_a, day=(2025, 9, 22))
    handle(case_a, handler_a, claimed=(2025, 9, 23, 10, 0), completed=(2025, 9, 23, 10, 0))
    with at(2025, 9, 24, 9):
        services.extend_deadline(case_a, actor=approver_a, days=5, reason="需要现场核查")
    case_b = accepted_case(food_item_b, applicant_citizen, clerk_district_b, day=(2025, 9, 22))
    handle(case_b, handler_b, claimed=(2025, 9, 23, 10, 0), completed=(2025, 9, 23, 10, 0))
    with at(2025, 9, 24, 9):
        refused_b = services.refuse_acceptance(file_online(food_item_b, applicant_citizen), actor=clerk_district_b,
                                               reason="材料虚假")
    conduct.sweep_key_events()
    conduct.sweep_conduct_rules()
    return {"a": case_a, "b": case_b, "b_refused": refused_b}


def flag_in(application):
    return ConductFlag.objects.get(application=application, rule__code=RuleCode.SHORT_STEP)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_applicants_and_staff_without_the_supervisor_role_are_refused(
        client, name, applicant_citizen, handler_a, outsider):
    for person in (applicant_citizen, handler_a, outsider):
        client.force_login(person)
        assert client.get(reverse(name)).status_code == 403


def test_district_supervisor_sees_only_their_district(client, two_districts, supervisor_district_a):
    client.force_login(supervisor_district_a)

    events = client.get(reverse("conduct:key_events"))
    assert [event.application_id for event in events.context["page"]] == [two_districts["a"].pk]
    assert {row["kind"]: row["count"] for row in events.context["counts"]}[KeyEventKind.NOT_ACCEPTED] == 0
    flags = client.get(reverse("conduct:flag_list"))
    assert {flag.application_id for flag in flags.context["page"]} == {two_districts["a"].pk}
    assert client.get(reverse("conduct:flag_detail", args=[flag_in(two_districts["b"]).pk])).status_code == 404
    assert client.get(reverse("conduct:flag_detail", args=[flag_in(two_districts["a"]).pk])).status_code == 200


def test_city_supervisor_filters_key_events_and_sees_counts_per_kind(client, two_districts, supervisor_city,
                                                                      bureau_b):
    client.force_login(supervisor_city)

    response = client.get(reverse("conduct:key_events"), {"kind": KeyEventKind.NOT_ACCEPTED})
    assert [event.application_id for event in response.context["page"]] == [two_districts["b_refused"].pk]
    counts = {row["kind"]: row["count"] for row in response.context["counts"]}
    assert counts[KeyEventKind.NOT_ACCEPTED] == 1 and counts[KeyEventKind.EXTENDED] == 1
    assert "材料虚假" in response.content.decode()

    by_department = client.get(reverse("conduct:key_events"), {"department": bureau_b.pk})
    assert {event.kind for event in by_department.context["page"]} == {KeyEventKind.NOT_ACCEPTED}
    outside_period = client.get(reverse("conduct:key_events"), {"date_from": "2025-10-01"})
    assert list(outside_period.context["page"]) == []


def test_bad_filters_answer_in_chinese_not_500(client, two_districts, supervisor_district_a, bureau_b):
    client.force_login(supervisor_district_a)

    response = client.get(reverse("conduct:key_events"), {"date_from": "2025-13-40", "kind": "nonsense",
                                                          "department": bureau_b.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert "请输入有效的日期" in body and "请选择列出的事件类型" in body and "请选择您管辖范围内的部门" in body
    assert list(response.context["page"]) == []
    reversed_period = client.get(reverse("conduct:flag_list"), {"date_from": "2025-10-02", "date_to": "2025-10-01"})
    assert "截止日期不能早于起始日期" in reversed_period.content.decode()


def test_key_event_list_runs_a_fixed_number_of_queries(client, two_districts, supervisor_city,
                                                       django_assert_max_num_queries):
    client.force_login(supervisor_city)
    with django_assert_max_num_queries(12):
        client.get(reverse("conduct:key_events"))
    with django_assert_max_num_queries(12):
        client.get(reverse("conduct:flag_list"), {"state": "all"})


def test_city_supervisor_tunes_a_rule_with_reason_and_audit(client, supervisor_city):
    rule = ConductRule.objects.get(code=RuleCode.STEP_BURST)
    client.force_login(supervisor_city)

    response = client.post(reverse("conduct:rule_detail", args=[rule.code]),
                           {"enabled": "on", "steps": "4", "minutes": "15", "reason": "窗口集中录入较多"})

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.parameters == {"steps": 4, "minutes": 15} and rule.version == 2
    entry = AuditEntry.objects.get(event_type="conduct.rule.tuned")
    assert entry.actor_username == supervisor_city.username
    assert entry.changes["parameters"] == [{"steps": 5, "minutes": 10}, {"steps": 4, "minutes": 15}]
    assert entry.data["reason"] == "窗口集中录入较多"
    page = client.get(reverse("conduct:rule_detail", args=[rule.code])).content.decode()
    assert "窗口集中录入较多" in page and "集中补录" in page


def test_rule_tuning_refuses_bad_values_in_chinese(client, supervisor_city):
    rule = ConductRule.objects.get(code=RuleCode.STEP_BURST)
    client.force_login(supervisor_city)

    response = client.post(reverse("conduct:rule_detail", args=[rule.code]),
                           {"enabled": "on", "steps": "1", "minutes": "abc", "reason": ""})

    assert response.status_code == 400
    body = response.content.decode()
    assert "请写明调整理由" in body
    response = client.post(reverse("conduct:rule_detail", args=[rule.code]),
                           {"enabled": "on", "steps": "1", "minutes": "abc", "reason": "试调"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "“办件数阈值”应为 2 至 100 之间的整数" in body and "“时间窗口”应为 1 至 600 之间的整数" in body
    unchanged = client.post(reverse("conduct:rule_detail", args=[rule.code]),
                            {"enabled": "on", "steps": "5", "minutes": "10", "reason": "试调"})
    assert "参数和启用状态均未改变" in unchanged.content.decode()
    rule.refresh_from_db()
    assert rule.version == 1 and not AuditEntry.objects.filter(event_type="conduct.rule.tuned").exists()


def test_only_city_supervisors_and_admins_tune_rules(client, supervisor_district_a, admin_city, handler_a):
    rule = ConductRule.objects.get(code=RuleCode.SHORT_STEP)
    url = reverse("conduct:rule_detail", args=[rule.code])
    data = {"enabled": "on", "seconds": "30", "reason": "调低"}

    client.force_login(supervisor_district_a)
    assert client.get(url).status_code == 200  # reads the rule
    assert "保存调整" not in client.get(url).content.decode()
    assert client.post(url, data).status_code == 403
    client.force_login(handler_a)
    assert client.post(url, data).status_code == 403
    rule.refresh_from_db()
    assert rule.version == 1

    client.force_login(admin_city)
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.parameters == {"seconds": 30}


def test_supervisor_reviews_a_flag_once_with_a_note(client, two_districts, supervisor_district_a):
    flag = flag_in(two_districts["a"])
    url = reverse("conduct:flag_detail", args=[flag.pk])
    client.force_login(supervisor_district_a)

    missing = client.post(url, {"verdict": ReviewVerdict.NOT_JUSTIFIED, "note": ""})
    assert missing.status_code == 400 and "请填写复核说明" in missing.content.decode()
    response = client.post(url, {"verdict": ReviewVerdict.NOT_JUSTIFIED, "note": "经核实为线下办理后补录。"})

    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.review_verdict == ReviewVerdict.NOT_JUSTIFIED and flag.reviewed_by == supervisor_district_a
    entry = AuditEntry.objects.get(event_type="conduct.flag.reviewed")
    assert entry.changes["review_verdict"] == ["", ReviewVerdict.NOT_JUSTIFIED]
    again = client.post(url, {"verdict": ReviewVerdict.JUSTIFIED, "note": "改判"})
    assert again.status_code == 400 and "不能重复复核" in again.content.decode()
    # Reviewed flags leave the default (to-review) list.
    assert flag not in client.get(reverse("conduct:flag_list")).context["page"]


def test_review_refused_to_admins_and_out_of_scope(client, two_districts, admin_city, supervisor_district_b):
    flag = flag_in(two_districts["a"])
    url = reverse("conduct:flag_detail", args=[flag.pk])
    data = {"verdict": ReviewVerdict.JUSTIFIED, "note": "系统接口批量同步"}

    client.force_login(admin_city)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    client.force_login(supervisor_district_b)
    assert client.post(url, data).status_code == 404
    flag.refresh_from_db()
    assert not flag.is_reviewed


def test_flags_of_earlier_parameters_are_hidden_unless_asked(client, two_districts, supervisor_city):
    client.force_login(supervisor_city)
    rule = ConductRule.objects.get(code=RuleCode.SHORT_STEP)
    conduct.tune_rule(rule, actor=supervisor_city, enabled=True, parameters={"seconds": 1}, reason="只看 1 秒内")
    conduct.sweep_conduct_rules()  # 0 seconds < 1: the same two steps, under the new parameters

    current = client.get(reverse("conduct:flag_list"), {"rule": RuleCode.SHORT_STEP})
    every = client.get(reverse("conduct:flag_list"), {"rule": RuleCode.SHORT_STEP, "earlier_parameters": "on"})
    assert len(current.context["page"]) == 2
    assert len(every.context["page"]) == 4
    assert {flag.figures["threshold"] for flag in current.context["page"]} == {1}


def test_staff_with_role_supervisor_in_another_department_still_sees_their_region(
        client, two_districts, market_a):
    supervisor = StaffFactory(username="supervisor_market_a", department=market_a, roles=[Role.SUPERVISOR])
    client.force_login(supervisor)
    response = client.get(reverse("conduct:key_events"))
    assert {event.application_id for event in response.context["page"]} == {two_districts["a"].pk}
    assert KeyEvent.objects.count() == 2
