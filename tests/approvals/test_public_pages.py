"""Progress lookup without sign-in, and public licence verification (each one logged)."""

from datetime import date

import pytest
from django.urls import reverse

from approvals import services, tasks
from approvals.models import LicenceVerification
from tests.approvals.conftest import at, file_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def concluded(food_item, applicant_citizen, clerk_district_a, handler_a, reviewer_a, approver_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
        for actor in (handler_a, reviewer_a):
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="同意")
        services.claim_application(application, actor=approver_a)
        services.decide(application, actor=approver_a, outcome="approve")
        return services.conclude_application(application, actor=clerk_district_a, served_method="in_person")


def test_progress_lookup_with_receipt_number_and_id(client, concluded):
    response = client.post(reverse("approvals:progress"), {"receipt_number": concluded.receipt_number,
                                                           "identity_code": "11010519491231002x"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "已办结" in body and "食品经营许可" in body
    assert "受理：通过" in body


def test_progress_lookup_with_the_wrong_id_reveals_nothing(client, concluded):
    response = client.post(reverse("approvals:progress"), {"receipt_number": concluded.receipt_number,
                                                           "identity_code": "110101199003070019"})

    body = response.content.decode()
    assert "没有找到与该办件编号和证件号码相符的办件" in body
    assert "食品经营许可" not in body


def test_progress_shows_the_clock_explanation(client, food_item, applicant_citizen, clerk_district_a):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=clerk_district_a)
    with at(2025, 9, 24):
        response = client.post(reverse("approvals:progress"), {"receipt_number": application.receipt_number,
                                                               "identity_code": "11010519491231002X"})

    assert "已用 2 / 20 个工作日；承诺办结日 2025-10-24，法定期限 2025-10-24。" in response.content.decode()


def test_licence_verification_by_qr_token_is_logged(client, concluded):
    licence = concluded.licence

    response = client.get(reverse("approvals:licence_verify_token", args=[licence.verification_token]))

    body = response.content.decode()
    assert response.status_code == 200
    assert licence.number in body and "有效" in body
    assert "张*" in body and "张伟" not in body  # a citizen holder is masked for the public
    assert list(LicenceVerification.objects.values_list("method", "status_shown")) == [("qr", "valid")]


def test_licence_verification_by_number(client, concluded):
    response = client.get(reverse("approvals:licence_verify"), {"number": concluded.licence.number})

    assert concluded.licence.number in response.content.decode()
    assert LicenceVerification.objects.get().method == "number"


def test_unknown_token_is_404(client, db):
    assert client.get(reverse("approvals:licence_verify_token", args=["guess"])).status_code == 404


def test_the_deemed_acceptance_task_runs_the_sweep(food_item, applicant_citizen):
    with at(2025, 9, 26):
        application = file_online(food_item, applicant_citizen)

    with at(2025, 10, 13):
        accepted = tasks.deem_overdue_filings_accepted.apply().get()
        again = tasks.deem_overdue_filings_accepted.apply().get()

    application.refresh_from_db()
    assert (accepted, again) == (1, 0)
    assert application.accepted_on == date(2025, 9, 26)
