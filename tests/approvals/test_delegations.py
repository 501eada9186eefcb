"""委托代办: a colleague acts on an absent person's cases — the service's rules, the screen and its
permission matrix, the queue, and acting on the case only while the delegation is in force."""

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from approvals import services
from approvals.clock import BEIJING
from approvals.models import Delegation
from approvals.transitions import TransitionRefused
from portal.audit.models import AuditEntry
from portal.organisation.choices import Role
from tests.approvals.conftest import at, file_online
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def third_handler_a(bureau_a):
    return StaffFactory(username="handler_a3", full_name="赵敏", department=bureau_a, roles=[Role.HANDLER])


@pytest.fixture
def handler_market_a(market_a):
    return StaffFactory(username="handler_market", department=market_a, roles=[Role.HANDLER])


@pytest.fixture
def approver_b(bureau_b):
    return StaffFactory(username="approver_b", department=bureau_b, roles=[Role.APPROVER])


@pytest.fixture
def claimed_case(food_item, applicant_citizen, clerk_district_a, handler_a):
    """A case at the 承办 step, claimed by handler_a on Monday 22 September 2025."""
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        return services.claim_application(application, actor=handler_a)


def delegate(from_user, to_user, starts_on=date(2025, 9, 22), ends_on=date(2025, 9, 26), *, actor=None,
             reason="年休假"):
    return services.create_delegation(from_user=from_user, to_user=to_user, starts_on=starts_on, ends_on=ends_on,
                                      reason=reason, actor=actor or from_user)


# --- The service ---------------------------------------------------------------------------------


def test_the_delegate_acts_on_the_absent_handlers_case(claimed_case, handler_a, second_handler_a):
    with at(2025, 9, 22, 9):
        delegation = delegate(handler_a, second_handler_a)
    with at(2025, 9, 23):
        services.complete_step(claimed_case, actor=second_handler_a, opinion="代为办理：材料齐全。")

    claimed_case.refresh_from_db()
    assert claimed_case.current_step == "review"
    assert claimed_case.steps.get(kind="handle").actor == second_handler_a
    assert (delegation.starts_at, delegation.ends_at) == (datetime(2025, 9, 22, tzinfo=BEIJING),
                                                          datetime(2025, 9, 27, tzinfo=BEIJING))
    entry = AuditEntry.objects.get(event_type="approvals.delegation.created")
    assert (entry.actor_username, entry.data) == ("handler_a", {
        "from": "handler_a", "to": "handler_a2", "starts_on": "2025-09-22", "ends_on": "2025-09-26",
        "reason": "年休假"})


def test_the_delegation_ends_with_its_last_day(claimed_case, handler_a, second_handler_a):
    with at(2025, 9, 22):
        delegate(handler_a, second_handler_a)

    with at(2025, 9, 26, 23, 59):
        assert services.acts_for(second_handler_a, handler_a.pk)
    with at(2025, 9, 27, 0, 0), pytest.raises(PermissionDenied, match="该办件已由他人认领。"):
        services.complete_step(claimed_case, actor=second_handler_a, opinion="同意")


def test_a_revoked_delegation_stops_at_once(claimed_case, handler_a, second_handler_a):
    with at(2025, 9, 22):
        delegation = delegate(handler_a, second_handler_a)
    with at(2025, 9, 23, 10):
        ended = services.revoke_delegation(delegation, actor=handler_a)

    with at(2025, 9, 23, 10, 5), pytest.raises(PermissionDenied, match="该办件已由他人认领。"):
        services.complete_step(claimed_case, actor=second_handler_a, opinion="同意")
    assert ended.ends_at == datetime(2025, 9, 23, 10, tzinfo=BEIJING)
    entry = AuditEntry.objects.get(event_type="approvals.delegation.revoked")
    assert entry.data["begun"] is True
    assert list(entry.changes) == ["ends_at"]


def test_a_delegation_not_yet_begun_is_withdrawn_and_its_terms_kept_in_the_audit_trail(handler_a,
                                                                                       second_handler_a):
    with at(2025, 9, 22):
        delegation = delegate(handler_a, second_handler_a, date(2025, 9, 29), date(2025, 10, 3))
        assert services.revoke_delegation(delegation, actor=handler_a) is None

    assert Delegation.objects.count() == 0
    entry = AuditEntry.objects.get(event_type="approvals.delegation.revoked")
    assert entry.data == {"from": "handler_a", "to": "handler_a2", "starts_on": "2025-09-29",
                          "ends_on": "2025-10-03", "reason": "年休假", "begun": False}


def test_an_ended_delegation_cannot_be_revoked(handler_a, second_handler_a):
    with at(2025, 9, 22):
        delegation = delegate(handler_a, second_handler_a)

    with at(2025, 9, 29), pytest.raises(TransitionRefused, match="该委托已结束，无需撤销。"):
        services.revoke_delegation(delegation, actor=handler_a)


@pytest.mark.parametrize(("to", "starts_on", "ends_on", "reason", "field", "message"), [
    ("self", date(2025, 9, 22), date(2025, 9, 26), "年休假", "to_user", "不能委托给本人。"),
    ("handler_a2", date(2025, 9, 26), date(2025, 9, 25), "年休假", "ends_on", "结束日期不能早于开始日期。"),
    ("handler_a2", date(2025, 9, 19), date(2025, 9, 26), "年休假", "starts_on", "开始日期不能早于今天（委托不能补登）。"),
    ("handler_a2", date(2025, 9, 22), date(2025, 9, 26), "  ", "reason", "请写明委托原因（如休假、出差）。"),
    ("handler_market", date(2025, 9, 22), date(2025, 9, 26), "年休假", "to_user",
     "受托人须为委托人所在部门的在岗工作人员。"),
    ("reviewer_a", date(2025, 9, 22), date(2025, 9, 26), "年休假", "to_user",
     "受托人须同样担任承办人岗位，才能接办委托人的办件。"),
])
def test_a_delegation_is_refused_with_a_clear_reason(handler_a, second_handler_a, handler_market_a, reviewer_a,
                                                     to, starts_on, ends_on, reason, field, message):
    people = {"self": handler_a, "handler_a2": second_handler_a, "handler_market": handler_market_a,
              "reviewer_a": reviewer_a}

    with at(2025, 9, 22), pytest.raises(ValidationError) as error:
        delegate(handler_a, people[to], starts_on, ends_on, reason=reason)

    assert error.value.message_dict[field] == [message]
    assert Delegation.objects.count() == 0


def test_one_delegate_at_a_time(handler_a, second_handler_a, third_handler_a):
    with at(2025, 9, 22):
        first = delegate(handler_a, second_handler_a)
        with pytest.raises(ValidationError) as overlapping:
            delegate(handler_a, third_handler_a, date(2025, 9, 24), date(2025, 9, 30))
        delegate(handler_a, third_handler_a, date(2025, 9, 27), date(2025, 9, 30))  # after the first ends
    with at(2025, 9, 23, 15):
        services.revoke_delegation(first, actor=handler_a)
        delegate(handler_a, third_handler_a, date(2025, 9, 23), date(2025, 9, 26))  # the same day, once ended

    assert overlapping.value.message_dict["starts_on"] == [
        f"该期间已委托{second_handler_a}办理（2025-09-22 至 2025-09-26），请先撤销原委托或调整日期。"]
    assert Delegation.objects.filter(to_user=third_handler_a).count() == 2


def test_a_delegate_who_is_away_themself_cannot_take_a_delegation(handler_a, second_handler_a, third_handler_a):
    with at(2025, 9, 22):
        delegate(second_handler_a, third_handler_a)
        with pytest.raises(ValidationError) as error:
            delegate(handler_a, second_handler_a, date(2025, 9, 24), date(2025, 9, 30))

    assert error.value.message_dict["to_user"] == ["受托人在该期间本人也已委托他人，不能接受委托。"]


def test_who_may_set_up_a_delegation_for_someone(handler_a, second_handler_a, reviewer_a, approver_a, approver_b,
                                                 admin_district_a, admin_city):
    with at(2025, 9, 22):
        for colleague in (reviewer_a, approver_b):
            with pytest.raises(PermissionDenied, match="只有本人、本部门批准人或管理员可以为其设置委托。"):
                delegate(handler_a, second_handler_a, actor=colleague)
        by_head = delegate(handler_a, second_handler_a, actor=approver_a)
        services.revoke_delegation(by_head, actor=admin_district_a)
        delegate(handler_a, second_handler_a, date(2025, 9, 23), date(2025, 9, 23), actor=admin_city)

    assert [entry.actor_username for entry in AuditEntry.objects.filter(
        event_type__startswith="approvals.delegation.").order_by("pk")] == ["approver_a", "admin_a", "admin_city"]


def test_a_colleague_cannot_revoke_someone_elses_delegation(handler_a, second_handler_a, reviewer_a):
    with at(2025, 9, 22):
        delegation = delegate(handler_a, second_handler_a)
        with pytest.raises(PermissionDenied):
            services.revoke_delegation(delegation, actor=reviewer_a)
        with pytest.raises(PermissionDenied):
            services.revoke_delegation(delegation, actor=second_handler_a)  # the delegate asks the head instead

    delegation.refresh_from_db()
    assert delegation.ends_at == datetime(2025, 9, 27, tzinfo=BEIJING)


def test_someone_without_a_case_post_has_nothing_to_delegate(supervisor_district_a, second_handler_a):
    with at(2025, 9, 22), pytest.raises(ValidationError) as error:
        delegate(supervisor_district_a, second_handler_a)

    assert error.value.message_dict["from_user"] == ["该人员不承担办件岗位，无需委托。"]


# --- The screen ----------------------------------------------------------------------------------


def form_data(from_user, to_user, **overrides):
    data = {"from_user": from_user.pk, "to_user": to_user.pk, "starts_on": "2025-09-22", "ends_on": "2025-09-26",
            "reason": "年休假"}
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_sign_in(client, handler_a, second_handler_a):
    page = client.get(reverse("approvals:delegations"))
    posted = client.post(reverse("approvals:delegations"), form_data(handler_a, second_handler_a))

    assert page.status_code == posted.status_code == 302
    assert page["Location"].startswith(reverse("login"))
    assert Delegation.objects.count() == 0


def test_applicants_are_refused(client, applicant_citizen, handler_a, second_handler_a):
    client.force_login(applicant_citizen)

    assert client.get(reverse("approvals:delegations")).status_code == 403
    assert client.post(reverse("approvals:delegations"), form_data(handler_a, second_handler_a)).status_code == 403
    assert Delegation.objects.count() == 0


def test_a_handler_delegates_from_the_screen(client, handler_a, second_handler_a):
    client.force_login(handler_a)

    with at(2025, 9, 22):
        page = client.get(reverse("approvals:delegations"))
        response = client.post(reverse("approvals:delegations"), form_data(handler_a, second_handler_a), follow=True)

    assert [user.username for user in page.context["form"].fields["from_user"].queryset] == ["handler_a"]
    assert response.redirect_chain == [(reverse("approvals:delegations"), 302)]
    body = response.content.decode()
    assert f"已委托{second_handler_a}在 2025-09-22 至 2025-09-26 代{handler_a}办理办件。" in body
    assert "生效中" in body
    delegation = Delegation.objects.get()
    assert (delegation.from_user, delegation.to_user) == (handler_a, second_handler_a)


def test_no_delegating_to_another_department(client, handler_a, handler_market_a):
    client.force_login(handler_a)

    with at(2025, 9, 22):
        response = client.post(reverse("approvals:delegations"), form_data(handler_a, handler_market_a))

    body = response.content.decode()
    assert response.status_code == 200
    assert "存在以下问题" in body and '<a href="#id_to_user">受托人：' in body
    assert Delegation.objects.count() == 0


def test_an_approver_of_another_district_cannot_delegate_for_our_handler(client, approver_b, handler_a,
                                                                          second_handler_a):
    client.force_login(approver_b)

    with at(2025, 9, 22):
        response = client.post(reverse("approvals:delegations"), form_data(handler_a, second_handler_a))

    assert response.status_code == 200
    assert '<a href="#id_from_user">委托人（离岗人员）：' in response.content.decode()
    assert Delegation.objects.count() == 0


def test_the_head_sets_up_a_delegation_for_a_handler_who_fell_ill(client, approver_a, handler_a, second_handler_a,
                                                                  reviewer_a):
    client.force_login(approver_a)

    with at(2025, 9, 22):
        page = client.get(reverse("approvals:delegations"))
        client.post(reverse("approvals:delegations"), form_data(handler_a, second_handler_a, reason="病假"))

    assert {user.username for user in page.context["form"].fields["from_user"].queryset} == {
        "approver_a", "handler_a", "handler_a2", "reviewer_a"}
    assert Delegation.objects.get().reason == "病假"


def test_revoking_from_the_screen(client, handler_a, second_handler_a, reviewer_a):
    with at(2025, 9, 22):
        delegation = delegate(handler_a, second_handler_a)
    url = reverse("approvals:revoke_delegation", args=[delegation.pk])

    with at(2025, 9, 23, 10):
        client.force_login(reviewer_a)
        stranger = client.post(url)
        client.force_login(second_handler_a)
        as_delegate = client.get(reverse("approvals:delegations"))
        refused = client.post(url, follow=True)
        client.force_login(handler_a)
        revoked = client.post(url, follow=True)

    assert stranger.status_code == 404
    assert as_delegate.context["rows"][0]["can_revoke"] is False
    assert "只有本人、本部门批准人或管理员可以撤销该委托。" in refused.content.decode()
    assert "委托已撤销，即时生效。" in revoked.content.decode()
    delegation.refresh_from_db()
    assert delegation.ends_at == datetime(2025, 9, 23, 10, tzinfo=BEIJING)


def test_the_delegates_queue_shows_the_absent_colleagues_cases_until_revoked(client, claimed_case, handler_a,
                                                                             second_handler_a):
    with at(2025, 9, 22):
        delegation = delegate(handler_a, second_handler_a)
    client.force_login(second_handler_a)

    with at(2025, 9, 23, 9):
        during = client.get(reverse("approvals:queue"))
        case_page = client.get(reverse("approvals:staff_case", args=[claimed_case.pk]))
    with at(2025, 9, 23, 10):
        services.revoke_delegation(delegation, actor=handler_a)
        after = client.get(reverse("approvals:queue"))
        case_page_after = client.get(reverse("approvals:staff_case", args=[claimed_case.pk]))

    assert [a.pk for a in during.context["mine"]] == [claimed_case.pk]
    assert f"受托代办：{handler_a}" in during.content.decode()
    assert (case_page.context["can_act"], case_page.context["acting_for"]) == (True, True)
    assert f"{handler_a}离岗期间已委托您代为办理该办件。" in case_page.content.decode()
    assert list(after.context["mine"]) == []
    assert case_page_after.context["can_act"] is False


def test_the_delegate_completes_the_step_from_the_case_page(client, claimed_case, handler_a, second_handler_a):
    with at(2025, 9, 22):
        delegate(handler_a, second_handler_a)
    client.force_login(second_handler_a)

    with at(2025, 9, 23):
        response = client.post(reverse("approvals:act", args=[claimed_case.pk, "complete"]),
                               {"opinion": "代为办理：材料齐全。"}, follow=True)

    assert "已办理。" in response.content.decode()
    claimed_case.refresh_from_db()
    assert claimed_case.current_step == "review"


def test_the_form_starts_today_in_the_format_a_date_field_reads(client, handler_a):
    client.force_login(handler_a)

    with at(2025, 9, 22):
        body = client.get(reverse("approvals:delegations")).content.decode()

    assert 'type="date" name="starts_on" value="2025-09-22"' in body
