"""The lifecycle's other endings, walked in a real browser with axe-core on every applicant page:
the one-time notice and its answer, a refusal (with a delegate acting for an absent handler on
the way), and a filing not accepted at the window. Screenshots land in ``test-artifacts/walks-*``."""

from datetime import timedelta

import pytest

from approvals import services
from approvals.models import Application
from portal.outbox.services import drain
from tests.approvals_apply.test_browser import Inspector, follow, pdf, submit
from tests.approvals_apply.test_lifecycle_browser import act, file_online, sign_in
from tests.browser.conftest import ARTIFACTS, format_violations
from tests.documents.conftest import trusting_nss_database  # noqa: F401 (a fixture)
from tests.documents.pdf_tools import first_page_png, pdfsig, text_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ENTERPRISE_CODE = "91350100M000100Y43"


@pytest.fixture(autouse=True)
def pki_folder(settings, tmp_path):
    settings.PKI_DIR = tmp_path / "pki"


def download(page, link_text: str, name: str) -> bytes:
    """Click the document's link; keep the PDF and a picture of its first page to look at."""
    with page.expect_download() as download_info:
        page.click(f"main a:text-is('{link_text}')")
    with open(download_info.value.path(), "rb") as file:
        document = file.read()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(document)
    first_page_png(document, ARTIFACTS / f"{name}.png")
    return document


def assert_sealed_pdf(document: bytes, nss_database) -> str:
    """A real PDF, sealed by a trusted certificate; returns its text (no whitespace)."""
    assert document.startswith(b"%PDF-")
    signature = pdfsig(document, nss_database)
    assert "Signature Validation: Signature is Valid." in signature
    assert "Certificate Validation: Certificate is Trusted." in signature
    return text_of(document)


def test_one_time_notice_answered_online_then_accepted(browser, page, live_server, food_item, clerk_district_a,
                                                       trusting_nss_database):  # noqa: F811
    applicant = Inspector(page, prefix="walks-notice")
    application = file_online(page, live_server, food_item.implementation_code, look=applicant.look)

    clerk = sign_in(browser, live_server, "clerk_a")
    staff = Inspector(clerk, prefix="walks-notice-staff")
    clerk.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    with clerk.expect_download() as uploaded:  # the clerk reads what was uploaded before deciding
        clerk.click(f"a[href$='/workspace/cases/{application.pk}/materials/2/']")
    with open(uploaded.value.path(), "rb") as file:
        assert file.read() == pdf("营业执照.pdf")["buffer"]
    clerk.check("#id_deficient_2")
    clerk.fill("#id_requirement_2", "营业执照扫描件模糊不清，请上传清晰的副本并加盖公章")
    staff.look("pre-review")
    follow(clerk, "form[action$='/notice/'] button.button")
    assert clerk.locator(".message-success").count() == 1, clerk.inner_text("main")
    assert "营业执照：不符合要求。营业执照扫描件模糊不清" in clerk.inner_text("main")
    staff.look("notice-issued")
    drain()  # the worker renders and seals the 补正材料通知书

    page.goto(f"{live_server.url}/my/applications/{application.pk}/")
    applicant.look("detail-notice")
    notice = page.inner_text("section[aria-labelledby=notice-heading]")
    assert "营业执照：营业执照扫描件模糊不清，请上传清晰的副本并加盖公章" in notice
    assert "还缺：营业执照" in notice
    notice_text = assert_sealed_pdf(download(page, "补正材料通知书", "walks-notice-correction-notice"), trusting_nss_database)
    assert "补正材料通知书" in notice_text
    # pdftotext reads the table column by column.
    assert "材料名称营业执照" in notice_text
    assert "不符合要求。营业执照扫描件模糊不清，请上传清晰的副本并加盖公章" in notice_text
    assert application.receipt_number in notice_text

    follow(page, "section[aria-labelledby=notice-heading] a[href$='/materials/']")
    applicant.look("materials-correction")
    assert page.inner_text("#material-2 .badge") == "需补正"
    follow(page, "a[href$='/materials/2/']")
    applicant.look("material-upload-correction")
    page.set_input_files("#id_file", pdf("营业执照（清晰副本）.pdf"))
    submit(page)
    follow(page, f"main a.button[href$='/my/applications/{application.pk}/']")
    follow(page, "form[action$='/resubmit/'] button")
    applicant.look("resubmitted")
    assert "补正材料已提交，窗口将重新预审。" in page.inner_text(".messages")

    act(clerk, live_server, application, button="form[action$='/accept/'] button")
    staff.look("accepted")
    drain()
    page.goto(f"{live_server.url}/my/applications/{application.pk}/")
    applicant.look("detail-accepted")
    application.refresh_from_db()
    assert application.status == "in_progress"
    assert "办理中" in page.inner_text("main dl.facts")
    assert page.locator("main a:text-is('受理通知书')").count() == 1
    assert application.notices.get().answered_at is not None

    found = {**applicant.violations, **staff.violations}
    assert found == {}, format_violations(list(found.items()))


def test_refusal_with_a_delegate_acting_for_an_absent_handler(browser, page, live_server, food_item,
                                                              clerk_district_a, handler_a, second_handler_a,
                                                              reviewer_a, approver_a,
                                                              trusting_nss_database):  # noqa: F811
    applicant = Inspector(page, prefix="walks-refusal")
    application = file_online(page, live_server, food_item.implementation_code, look=applicant.look)
    clerk = sign_in(browser, live_server, "clerk_a")
    act(clerk, live_server, application, button="form[action$='/accept/'] button")

    # The handler claims the case, then falls ill: the case goes to a colleague for the week.
    handler = sign_in(browser, live_server, "handler_a")
    staff = Inspector(handler, prefix="walks-refusal-staff")
    handler.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    follow(handler, "form[action$='/claim/'] button")
    handler.goto(f"{live_server.url}/workspace/cases/")
    follow(handler, "main a[href$='/workspace/delegations/']")
    today = services.today()
    handler.select_option("#id_to_user", str(second_handler_a.pk))
    handler.fill("#id_starts_on", f"{today:%Y-%m-%d}")
    handler.fill("#id_ends_on", f"{today + timedelta(days=4):%Y-%m-%d}")
    handler.fill("#id_reason", "病假")
    staff.look("delegation-form")
    submit(handler)
    staff.look("delegations")
    assert "生效中" in handler.inner_text("main table")

    delegate = sign_in(browser, live_server, "handler_a2")
    delegate_inspector = Inspector(delegate, prefix="walks-refusal-staff")
    delegate.goto(f"{live_server.url}/workspace/cases/")
    delegate_inspector.look("delegate-queue")
    row = delegate.locator("main table tr", has_text=application.receipt_number).first
    assert f"受托代办：{handler_a}" in row.inner_text()
    with delegate.expect_navigation():
        row.locator("a").click()
    assert f"{handler_a}离岗期间已委托您代为办理该办件。" in delegate.inner_text("main")
    delegate_inspector.look("delegate-case")
    delegate.fill("#id_opinion", "经现场核查，经营场所未设置食品处理区与非食品处理区的分隔，建议不予许可。")
    follow(delegate, "form[action$='/complete/'] button.button")
    assert delegate.locator(".message-success").count() == 1, delegate.inner_text("main")

    act(sign_in(browser, live_server, "reviewer_a"), live_server, application,
        button="form[action$='/complete/'] button.button", opinion="同意承办意见。")
    approver = sign_in(browser, live_server, "approver_a")
    approver.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    follow(approver, "form[action$='/claim/'] button")
    approver.check("input[name=outcome][value=refuse]")
    approver.fill("#id_reasons", "经营场所未设置食品处理区与非食品处理区的分隔。\n从业人员未取得健康证明。")
    follow(approver, "form[action$='/decide/'] button")
    clerk.goto(f"{live_server.url}/workspace/cases/{application.pk}/")
    clerk.select_option("#id_served_method", "electronic")
    follow(clerk, "form[action$='/conclude/'] button")
    application.refresh_from_db()
    assert application.status == "concluded"
    assert application.steps.get(kind="handle").actor == second_handler_a
    drain()

    page.goto(f"{live_server.url}/my/applications/{application.pk}/")
    applicant.look("detail-refused")
    outcome = page.inner_text("section.outcome")
    assert "不予许可" in outcome and application.decision.document_number in outcome
    assert "经营场所未设置食品处理区与非食品处理区的分隔。\n从业人员未取得健康证明。" in outcome
    assert "申请行政复议" in outcome and "提起行政诉讼" in outcome and "第三十八条" in outcome
    decision_text = assert_sealed_pdf(download(page, "不予行政许可决定书", "walks-refusal-decision"), trusting_nss_database)
    assert "不予行政许可决定书" in decision_text and "从业人员未取得健康证明" in decision_text
    assert "申请行政复议" in decision_text and "提起行政诉讼" in decision_text

    found = {**applicant.violations, **staff.violations, **delegate_inspector.violations}
    assert found == {}, format_violations(list(found.items()))


def test_not_accepted_at_the_window_with_a_written_reason(browser, page, live_server, food_item, clerk_district_a,
                                                          trusting_nss_database):  # noqa: F811
    clerk = sign_in(browser, live_server, "clerk_a")
    staff = Inspector(clerk, prefix="walks-not-accepted-staff")
    clerk.goto(f"{live_server.url}/workspace/intake/{food_item.implementation_code}/")
    clerk.fill("#id_identity_code", ENTERPRISE_CODE)
    clerk.fill("#id_applicant_name", "江州宏信餐饮管理有限公司")
    clerk.fill("#id_contact_phone", "13900001111")
    clerk.check("#id_material_1")
    clerk.check("input[name=outcome][value=refuse]")
    clerk.fill("#id_reason", "申请人拟经营的网络食品交易第三方平台不属于本机关的许可范围。")
    staff.look("intake")
    submit(clerk)
    staff.look("case")
    application = Application.objects.get()
    assert application.status == "not_accepted"
    drain()

    public = Inspector(page, prefix="walks-not-accepted")
    page.goto(f"{live_server.url}/progress/")
    page.fill("#id_receipt_number", application.receipt_number)
    page.fill("#id_identity_code", ENTERPRISE_CODE)
    submit(page)
    public.look("progress")
    result = page.inner_text("main section")
    assert "不予受理" in result
    assert "申请人拟经营的网络食品交易第三方平台不属于本机关的许可范围。" in result
    assert "申请行政复议" in result and "提起行政诉讼" in result
    notice_text = assert_sealed_pdf(download(page, "不予受理通知书", "walks-not-accepted-notice"), trusting_nss_database)
    assert "不予受理通知书" in notice_text and "不属于本机关的许可范围" in notice_text

    found = {**public.violations, **staff.violations}
    assert found == {}, format_violations(list(found.items()))


def test_submitting_too_early_lists_each_gap_linked_to_its_row(page, live_server, food_item):
    applicant = Inspector(page, prefix="walks-check")
    page.goto(f"{live_server.url}/accounts/signup/?next=/apply/{food_item.implementation_code}/")
    page.check("#id_subject_type_1")
    page.fill("#id_full_name", "江州宏信餐饮管理有限公司")
    page.fill("#id_identity_code", ENTERPRISE_CODE)
    page.fill("#id_phone", "13900001111")
    page.fill("#id_username", "hongxin")
    page.fill("#id_password1", "Jiangzhou-2026!")
    page.fill("#id_password2", "Jiangzhou-2026!")
    submit(page)
    page.wait_for_selector("text=申报步骤")
    follow(page, "#section-3 a")
    follow(page, "a[href$='/materials/1/']")
    page.set_input_files("#id_file", pdf("食品经营许可申请书.pdf"))
    submit(page)
    application = Application.objects.get()

    page.goto(f"{live_server.url}/my/applications/{application.pk}/check/")  # bookmarked before finishing
    applicant.look("incomplete")
    assert page.locator(".error-summary").count() == 0
    submit(page)
    applicant.look("errors")
    assert page.title().startswith("错误：核对您的申请")
    assert page.locator(".error-summary a").all_inner_texts() == [
        "请填写申请人信息并确认证件号码", "请回答：经营场所地址", "请回答：经营项目/申请内容", "请回答：从业人员数量",
        "请上传必要材料：营业执照"]
    page.click(".error-summary a:text-is('请上传必要材料：营业执照')")
    assert page.evaluate("location.hash") == "#material-2"
    assert page.locator("#material-2").is_visible()
    application.refresh_from_db()
    assert (application.status, application.receipt_number) == ("draft", None)
    assert applicant.violations == {}, format_violations(list(applicant.violations.items()))
