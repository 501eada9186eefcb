"""The window workstation, the queue and the case page, with their permission matrix."""

import pytest
from django.urls import reverse

from approvals.choices import ApplicationStatus
from approvals.models import Application
from tests.approvals.conftest import at

pytestmark = pytest.mark.django_db


def intake_post(client, item, **overrides):
    data = {"subject_type": "enterprise", "identity_code": "91350100M000100Y43", "applicant_name": "江州宏信餐饮管理有限公司",
            "contact_phone": "13900001111", "outcome": "accept", "reason": "", "material_1": "on", "material_2": "on"}
    data.update(overrides)
    return client.post(reverse("approvals:intake_item", args=[item.implementation_code]), data)


def test_walk_in_accepted_at_the_window(client, clerk_district_a, food_item):
    client.force_login(clerk_district_a)

    with at(2025, 9, 22):
        response = intake_post(client, food_item)

    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:staff_case", args=[application.pk])
    assert (application.status, application.channel, application.filed_by) == (
        ApplicationStatus.IN_PROGRESS, "window", clerk_district_a)


def test_window_intake_is_one_short_unit_of_work(client, clerk_district_a, food_item):
    # The intake is the hall's hot path (issue 3: 150 walk-ins a second): one transaction with one
    # savepoint at most, no per-material updates, the chain lock taken once per case, the new
    # case's audit entries and outbox messages each written in one statement.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)  # warms the caches (calendar, content types)
        with CaptureQueriesContext(connection) as queries:
            response = intake_post(client, food_item)
    assert response.status_code == 302
    assert Application.objects.filter(status=ApplicationStatus.IN_PROGRESS).count() == 2
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    listing = "\n".join(query["sql"][:120] for query in queries.captured_queries)
    assert statements.count("SAVEPOINT") <= 1, statements
    inserts = [query["sql"].split()[2].strip('"') for query in queries.captured_queries
               if query["sql"].startswith("INSERT INTO")]
    assert inserts.count("audit_auditentry") == 1, listing
    assert inserts.count("outbox_outboxmessage") == 1, listing
    assert len(statements) <= 18, listing


def test_window_refuses_to_accept_with_missing_materials_and_keeps_nothing(client, clerk_district_a, food_item):
    client.force_login(clerk_district_a)

    with at(2025, 9, 22):
        response = intake_post(client, food_item, material_2="")

    body = response.content.decode()
    assert response.status_code == 200
    assert "存在以下问题" in body and "营业执照" in body
    assert Application.objects.count() == 0  # nothing half-written


def test_invalid_code_at_the_window_is_shown_on_the_field(client, clerk_district_a, food_item):
    client.force_login(clerk_district_a)

    response = intake_post(client, food_item, identity_code="91350100M000100Y44")

    assert "统一社会信用代码校验位不正确" in response.content.decode()
    assert Application.objects.count() == 0


def test_one_time_notice_at_the_window(client, clerk_district_a, food_item):
    client.force_login(clerk_district_a)

    with at(2025, 9, 22):
        intake_post(client, food_item, material_2="", outcome="notice", reason="请补交营业执照复印件（加盖公章）")

    application = Application.objects.get()
    assert application.status == ApplicationStatus.CORRECTION
    assert application.notices.get().items == [{"material": "营业执照", "requirement": "请补交营业执照复印件（加盖公章）"}]


def test_intake_is_for_window_clerks_only(client, handler_a, food_item, applicant_citizen):
    client.force_login(handler_a)
    assert intake_post(client, food_item).status_code == 403
    client.force_login(applicant_citizen)
    assert intake_post(client, food_item).status_code == 403
    assert Application.objects.count() == 0


def test_clerk_of_another_district_cannot_see_the_item(client, clerk_district_b, food_item):
    client.force_login(clerk_district_b)

    assert intake_post(client, food_item).status_code == 404


def test_the_chain_through_the_case_page(client, clerk_district_a, handler_a, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    application = Application.objects.get()
    client.force_login(handler_a)

    with at(2025, 9, 23):
        client.post(reverse("approvals:act", args=[application.pk, "claim"]))
        response = client.post(reverse("approvals:act", args=[application.pk, "complete"]),
                                {"opinion": "符合条件"}, follow=True)

    application.refresh_from_db()
    assert application.current_step == "review"
    assert "已办理" in response.content.decode()


def test_a_refused_action_shows_a_message_not_an_error_page(client, clerk_district_a, handler_a, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    application = Application.objects.get()
    client.force_login(handler_a)

    response = client.post(reverse("approvals:act", args=[application.pk, "complete"]), {"opinion": "x"},
                           follow=True)

    assert response.status_code == 200
    assert "请先认领该办件" in response.content.decode()


def test_case_page_of_another_district_is_404(client, clerk_district_a, clerk_district_b, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    application = Application.objects.get()
    client.force_login(clerk_district_b)

    assert client.get(reverse("approvals:staff_case", args=[application.pk])).status_code == 404
    assert client.post(reverse("approvals:act", args=[application.pk, "claim"])).status_code == 404


def test_queue_lists_waiting_cases(client, clerk_district_a, handler_a, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    client.force_login(handler_a)

    response = client.get(reverse("approvals:queue"))

    assert [a.receipt_number for a in response.context["waiting"]] == [Application.objects.get().receipt_number]


def test_queue_refreshes_its_lists_in_place(client, clerk_district_a, handler_a, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    client.force_login(handler_a)

    page = client.get(reverse("approvals:queue")).content.decode()
    refreshed = client.get(reverse("approvals:queue"), HTTP_HX_REQUEST="true")

    # the page asks htmx to fetch it again every minute and swap in the lists part
    assert 'id="queue-lists"' in page and 'hx-trigger="every 60s"' in page and 'hx-select="#queue-lists"' in page
    # and what htmx fetches carries that part with the case in it
    assert refreshed.status_code == 200
    assert Application.objects.get().receipt_number in refreshed.content.decode().split('id="queue-lists"')[1]


def test_transfer_to_a_colleague_of_the_department(client, clerk_district_a, handler_a, second_handler_a, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    application = Application.objects.get()
    client.force_login(handler_a)
    client.post(reverse("approvals:act", args=[application.pk, "claim"]))

    client.post(reverse("approvals:act", args=[application.pk, "transfer"]),
                {"to_username": "handler_a2", "reason": "休假，转同事办理"})
    unknown = client.post(reverse("approvals:act", args=[application.pk, "transfer"]),
                          {"to_username": "clerk_b", "reason": "x"}, follow=True)

    application.refresh_from_db()
    assert application.assignee == second_handler_a
    assert "办理部门中没有该用户" in unknown.content.decode()


def test_claim_is_offered_only_to_whoever_can_take_the_step(client, clerk_district_a, handler_a, food_item):
    client.force_login(clerk_district_a)
    with at(2025, 9, 22):
        intake_post(client, food_item)
    application = Application.objects.get()

    as_clerk = client.get(reverse("approvals:staff_case", args=[application.pk]))
    client.force_login(handler_a)
    as_handler = client.get(reverse("approvals:staff_case", args=[application.pk]))

    assert (as_clerk.context["can_claim"], as_handler.context["can_claim"]) == (False, True)


def test_pre_review_names_the_material_that_is_not_good_enough(client, clerk_district_a, food_item,
                                                               applicant_citizen):
    from approvals.choices import MaterialState
    from tests.approvals.conftest import file_online

    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)  # both required materials uploaded
    client.force_login(clerk_district_a)

    with at(2025, 9, 23):
        page = client.get(reverse("approvals:staff_case", args=[application.pk]))
        client.post(reverse("approvals:act", args=[application.pk, "notice"]),
                    {"deficient_2": "on", "requirement_2": "营业执照扫描件不清晰，请上传加盖公章的清晰副本", "reason": ""})

    assert 'name="deficient_2"' in page.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION
    assert application.notices.get().items == [{"material": "营业执照", "position": 2, "problem": "不符合要求",
                                                "requirement": "营业执照扫描件不清晰，请上传加盖公章的清晰副本"}]
    material = application.materials.get(position=2)
    assert (material.state, material.note) == (MaterialState.DEFICIENT, "营业执照扫描件不清晰，请上传加盖公章的清晰副本")
    assert application.materials.get(position=1).state == MaterialState.PROVIDED


def test_a_ticked_material_without_any_requirement_is_refused(client, clerk_district_a, food_item,
                                                              applicant_citizen):
    from tests.approvals.conftest import file_online

    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen)
    client.force_login(clerk_district_a)

    with at(2025, 9, 23):
        response = client.post(reverse("approvals:act", args=[application.pk, "notice"]),
                               {"deficient_1": "on", "reason": ""}, follow=True)

    assert "请逐项写明需要补正的材料及补正要求。" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_staff_of_the_case_read_an_uploaded_material(client, settings, tmp_path, clerk_district_a, clerk_district_b,
                                                     food_item, applicant_citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from approvals import services
    from portal.uploads.services import store_upload
    from tests.approvals.conftest import file_online
    from tests.uploads import samples

    settings.MEDIA_ROOT = tmp_path / "media"
    with at(2025, 9, 22):
        application = file_online(food_item, applicant_citizen, materials=(1,))
        stored = store_upload(SimpleUploadedFile("营业执照.pdf", samples.pdf_bytes(), content_type="application/pdf"),
                              actor=applicant_citizen, purpose="material")
        services.record_material(application, 2, actor=applicant_citizen, state="provided", stored_file=stored)
    url = reverse("approvals:material_file", args=[application.pk, 2])

    client.force_login(clerk_district_a)
    page = client.get(reverse("approvals:staff_case", args=[application.pk])).content.decode()
    response = client.get(url)
    without_file = client.get(reverse("approvals:material_file", args=[application.pk, 1]))
    client.force_login(clerk_district_b)
    elsewhere = client.get(url)
    client.force_login(applicant_citizen)
    as_applicant = client.get(url)

    assert f'href="{url}"' in page
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == samples.pdf_bytes()
    assert response["Content-Disposition"].startswith("attachment")
    assert (without_file.status_code, elsewhere.status_code, as_applicant.status_code) == (404, 404, 403)
