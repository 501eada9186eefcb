"""The whole lifecycle in a real browser (issue 3's proof): an applicant files online, the window
accepts, handler, reviewer and approver act, the licence is issued, the applicant downloads the
sealed PDF, and anyone verifies the licence at its QR address."""

import pytest

from approvals.models import Application, Licence
from portal.outbox.services import drain
from tests.approvals_apply.test_browser import follow, pdf, submit
from tests.browser.conftest import screenshot
from tests.documents.conftest import trusting_nss_database  # noqa: F401 (a fixture)
from tests.documents.pdf_tools import pdfsig, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STAFF_PASSWORD = "pass-for-tests-2026"


@pytest.fixture(autouse=True)
def pki_folder(settings, tmp_path):
    settings.PKI_DIR = tmp_path / "pki"


def sign_in(browser, live_server, username: str, password: str = STAFF_PASSWORD):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    submit(page)
    return page


def act(page, live_server, application, *, button: str, opinion: str | None = None) -> None:
    page.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    if page.locator("form[action$='/claim/'] button").count():
        follow(page, "form[action$='/claim/'] button")
    if opinion is not None:
        page.fill("#id_opinion", opinion)
    follow(page, button)
    assert page.locator(".message-success").count() == 1, page.inner_text("main")


def file_online(page, live_server, code: str, look=lambda name: None) -> Application:
    """Sign up and file with every required material; ``look(name)`` is shown each page."""
    page.goto(f"{live_server.url}/accounts/signup/?next=/apply/{code}/")
    look("signup")
    page.check("#id_subject_type_1")
    page.fill("#id_full_name", "江州宏信餐饮管理有限公司")
    page.fill("#id_identity_code", "91350100M000100Y43")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_username", "hongxin")
    page.fill("#id_password1", "Jiangzhou-2026!")
    page.fill("#id_password2", "Jiangzhou-2026!")
    submit(page)
    page.wait_for_selector("text=申报步骤")
    look("task-list")
    follow(page, "#section-1 a")
    look("applicant")
    page.fill("#id_contact_name", "王芳")
    page.check("#id_identity_confirmed")
    submit(page)
    follow(page, "#section-2 a")
    look("question-address")
    page.fill("#id_business_address", "江州市江城区滨江路 88 号 1 层")
    submit(page)
    look("question-scope")
    page.fill("#id_business_scope", "热食类食品制售")
    submit(page)
    look("question-staff")
    page.fill("#id_staff_count", "6")
    submit(page)
    follow(page, "#section-3 a")
    for position, name in ((1, "食品经营许可申请书.pdf"), (2, "营业执照.pdf")):
        follow(page, f"a[href$='/materials/{position}/']")
        look(f"material-upload-{position}")
        page.set_input_files("#id_file", pdf(name))
        submit(page)
    look("materials")
    follow(page, "main a.button")
    follow(page, "#section-4 a")
    look("check")
    submit(page)
    page.wait_for_selector("#receipt-number")
    look("confirmation")
    screenshot(page, "lifecycle-1-filed")
    return Application.objects.get()


def test_from_online_filing_to_a_verified_licence(browser, page, live_server, food_item, clerk_district_a,
                                                  handler_a, reviewer_a, approver_a,
                                                  trusting_nss_database):  # noqa: F811
    application = file_online(page, live_server, food_item.implementation_code)
    assert application.status == "submitted"

    clerk = sign_in(browser, live_server, "clerk_a")
    act(clerk, live_server, application, button="form[action$='/accept/'] button")
    screenshot(clerk, "lifecycle-2-accepted")
    act(sign_in(browser, live_server, "handler_a"), live_server, application,
        button="form[action$='/complete/'] button.button", opinion="材料齐全，符合法定条件，建议准予许可。")
    act(sign_in(browser, live_server, "reviewer_a"), live_server, application,
        button="form[action$='/complete/'] button.button", opinion="同意承办意见。")
    approver = sign_in(browser, live_server, "approver_a")
    approver.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    follow(approver, "form[action$='/claim/'] button")
    approver.check("input[name=outcome][value=approve]")
    follow(approver, "form[action$='/decide/'] button")
    screenshot(approver, "lifecycle-3-decided")
    clerk.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    clerk.select_option("#id_served_method", "electronic")
    follow(clerk, "form[action$='/conclude/'] button")
    screenshot(clerk, "lifecycle-4-concluded")
    application.refresh_from_db()
    assert application.status == "concluded"

    drain()  # the worker's job: render and seal the documents the lifecycle queued

    page.goto(f"{live_server.url}/progress/")
    page.fill("#id_receipt_number", application.receipt_number)
    page.fill("#id_identity_code", "91350100M000100Y43")
    submit(page)
    screenshot(page, "lifecycle-5-progress")
    with page.expect_download() as download_info:
        page.click("main a:text-is('行政许可证件')")
    licence_pdf = open(download_info.value.path(), "rb").read()
    signature = pdfsig(licence_pdf, trusting_nss_database)
    assert "Signature Validation: Signature is Valid." in signature
    assert "Certificate Validation: Certificate is Trusted." in signature

    licence = Licence.objects.get(application=application)
    verification_path = f"/licences/v/{licence.verification_token}/"
    assert verification_path in text_of(licence_pdf).replace(" ", "").replace("\n", "")
    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(live_server.url + verification_path)
    screenshot(public, "lifecycle-6-verified")
    assert licence.number in public.inner_text("main")
    assert "有效" in public.inner_text(".licence-result")
