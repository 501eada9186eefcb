"""The red → supervision notice flow in a real browser: a supervisor sees the yellow and red lists,
opens the day's draft notice, issues it; the department explains the case; the supervisor accepts
the explanation; the sealed PDF is valid for pdfsig. Pages are checked with axe-core."""

import pytest

from approvals import services as approvals
from portal.documents.models import Document
from portal.outbox.services import drain
from supervision import services
from supervision.models import NoticeItem, SupervisionNotice
from tests.approvals_apply.test_browser import follow
from tests.approvals_apply.test_lifecycle_browser import sign_in
from tests.browser.conftest import ARTIFACTS, browser, format_violations, screenshot, serious_axe_violations  # noqa: F401
from tests.documents.conftest import trusting_nss_database  # noqa: F401 (a fixture)
from tests.documents.pdf_tools import first_page_png, pdfsig, text_of
from tests.supervision.conftest import accepted, working_days_before
from tests.supervision.notice_fixtures import pki_folder, supervision_office  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/supervisor-warnings.png"


def test_a_red_case_s_notice_is_issued_explained_and_accepted_in_the_browser(
        browser, live_server, seeded_calendar, item_10, item_20, applicant_citizen, clerk_district_a,
        supervisor_district_a, handler_a, supervision_office, trusting_nss_database):  # noqa: F811
    today = approvals.today()
    red = accepted(item_10, applicant_citizen, clerk_district_a, working_days_before(today, 12))  # 2 days over
    yellow = accepted(item_20, applicant_citizen, clerk_district_a, working_days_before(today, 17))  # 3 left
    services.sweep_time_limits()
    notice = SupervisionNotice.objects.get()
    assert list(notice.items.values_list("warning__application_id", flat=True)) == [red.pk]

    supervisor = sign_in(browser, live_server, supervisor_district_a.username)
    supervisor.goto(f"{live_server.url}/monitoring/warnings/")
    supervisor.screenshot(path=SCREENSHOT, full_page=True)
    screenshot(supervisor, "notice-1-warnings")
    rows = supervisor.locator("#warning-list tbody tr")
    assert rows.count() == 2
    assert "红牌警示" in rows.nth(0).inner_text() and red.receipt_number in rows.nth(0).inner_text()
    assert "黄牌预警" in rows.nth(1).inner_text() and yellow.receipt_number in rows.nth(1).inner_text()
    assert serious_axe_violations(supervisor) == [], format_violations(serious_axe_violations(supervisor))

    assert "1 份待签发" in supervisor.inner_text("main")
    follow(supervisor, "main a[href='/supervision-notices/']")
    follow(supervisor, f"main a[href='/supervision-notices/{notice.pk}/']")
    assert red.receipt_number in supervisor.inner_text("main")
    violations = serious_axe_violations(supervisor)
    assert violations == [], format_violations(violations)
    follow(supervisor, "#issue-notice")
    assert supervisor.locator(".message-success").count() == 1, supervisor.inner_text("main")
    assert supervisor.inner_text("#notice-status") == "已签发"
    screenshot(supervisor, "notice-2-issued")

    drain()  # the worker's job: render and seal the notice
    department = sign_in(browser, live_server, handler_a.username)
    department.goto(f"{live_server.url}/supervision-notices/")
    follow(department, f"main a[href='/supervision-notices/{notice.pk}/']")
    item = NoticeItem.objects.get()
    department.fill(f"#id_text_{item.pk}", "该件需向外省发函协查申请人资质，协查回函延迟两个工作日。")
    follow(department, f"#item-{item.pk} button[type=submit]")
    assert department.locator(".message-success").count() == 1, department.inner_text("main")
    violations = serious_axe_violations(department)
    assert violations == [], format_violations(violations)
    screenshot(department, "notice-3-explained")
    with department.expect_download() as download_info:
        department.click("#notice-pdf")
    downloaded = open(download_info.value.path(), "rb").read()

    supervisor.reload()
    supervisor.fill(f"#id_note_{item.pk}", "协查函及回函属实，理由成立。")
    follow(supervisor, f"form[action$='/items/{item.pk}/accept/'] button")
    assert supervisor.locator(".message-success").count() == 1, supervisor.inner_text("main")
    screenshot(supervisor, "notice-4-accepted")

    item.refresh_from_db()
    assert (item.status, item.review_note) == ("accepted", "协查函及回函属实，理由成立。")
    document = Document.objects.get(kind="supervision_notice")
    assert document.signed and downloaded == document.file.read()
    report = pdfsig(downloaded, trusting_nss_database)
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert red.receipt_number in text_of(downloaded)
    first_page_png(downloaded, ARTIFACTS / "notice-5-pdf.png")  # for a person to look at
