"""Who may see and act on an application online: its applicant only; anyone else gets 404."""

import pytest
from django.urls import reverse

from approvals import services
from approvals.choices import ApplicationStatus
from tests.approvals.conftest import at, file_online
from tests.approvals_apply.conftest import pdf_upload

pytestmark = pytest.mark.django_db

PAGES = [
    ("apply:detail", ()), ("apply:task_list", ()), ("apply:applicant", ()), ("apply:question", ("address",)),
    ("apply:materials", ()), ("apply:material_upload", (1,)), ("apply:check", ()), ("apply:confirmation", ()),
    ("apply:withdraw", ()),
]


@pytest.fixture
def draft(food_item, applicant_enterprise):
    with at(2025, 9, 22):
        return services.start_application(
            food_item.published_version, actor=applicant_enterprise, subject_type="enterprise",
            applicant_name=applicant_enterprise.full_name, identity_code=applicant_enterprise.identity_code,
            contact_phone="13900001111")


@pytest.mark.parametrize(("name", "extra"), PAGES)
def test_another_applicant_gets_404_on_every_page(client, draft, applicant_citizen, name, extra):
    client.force_login(applicant_citizen)

    assert client.get(reverse(name, args=[draft.pk, *extra])).status_code == 404


def test_another_applicant_cannot_change_withdraw_or_upload(client, draft, applicant_citizen):
    client.force_login(applicant_citizen)

    responses = [
        client.post(reverse("apply:applicant", args=[draft.pk]), {"contact_name": "张伟", "contact_phone": "13900009999",
                                                                   "identity_confirmed": "on"}),
        client.post(reverse("apply:question", args=[draft.pk, "address"]), {"business_address": "别处"}),
        client.post(reverse("apply:material_upload", args=[draft.pk, 1]), {"file": pdf_upload()}),
        client.post(reverse("apply:check", args=[draft.pk])),
        client.post(reverse("apply:withdraw", args=[draft.pk]), {"reason": ""}),
        client.post(reverse("apply:resubmit", args=[draft.pk])),
    ]

    assert [response.status_code for response in responses] == [404] * 6
    draft.refresh_from_db()
    assert (draft.status, draft.contact_name, draft.form_data) == (ApplicationStatus.DRAFT, "", {})
    assert draft.materials.filter(state="provided").count() == 0


def test_my_applications_lists_only_my_own(client, draft, food_item, applicant_citizen, applicant_enterprise,
                                           django_assert_max_num_queries):
    with at(2025, 9, 22):
        mine = file_online(food_item, applicant_citizen)
        file_online(food_item, applicant_citizen)
    client.force_login(applicant_citizen)

    with django_assert_max_num_queries(8):
        body = client.get(reverse("apply:my_applications")).content.decode()

    assert mine.receipt_number in body
    assert reverse("apply:task_list", args=[draft.pk]) not in body
    assert body.count(reverse("apply:detail", args=[mine.pk])) == 1


def test_staff_do_not_file_online(client, food_item, clerk_district_a, draft):
    client.force_login(clerk_district_a)

    assert client.get(reverse("apply:start", args=[food_item.implementation_code])).status_code == 403
    assert client.get(reverse("apply:my_applications")).status_code == 403
    assert client.get(reverse("apply:detail", args=[draft.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    for name, extra in PAGES:
        url = reverse(name, args=[draft.pk, *extra])
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"{reverse('login')}?next={url}")


def test_a_submitted_application_can_no_longer_be_edited(client, food_item, applicant_citizen):
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
    client.force_login(applicant_citizen)

    response = client.post(reverse("apply:question", args=[application.pk, "address"]), {"business_address": "别处"})

    assert response["Location"] == reverse("apply:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.form_data == {}
