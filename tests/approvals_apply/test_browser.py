"""In a real browser: the whole online filing, with axe-core on every page and screenshots to look at."""

import pytest

from approvals.models import Application
from tests.browser.conftest import format_violations, screenshot, serious_axe_violations
from tests.uploads import samples

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Inspector:
    """Screenshots every page it is shown and keeps axe's serious findings, to assert once at the end."""

    def __init__(self, page, prefix: str = "apply"):
        self.page = page
        self.prefix = prefix
        self.violations: dict[str, list] = {}

    def look(self, name: str) -> None:
        self.page.wait_for_load_state()
        screenshot(self.page, f"{self.prefix}-{name}")
        found = serious_axe_violations(self.page)
        if found:
            self.violations[name] = found


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": samples.pdf_bytes()}


def follow(page, selector: str) -> None:
    """Click and wait for the next page, so that nothing runs on the page being left."""
    with page.expect_navigation():
        page.click(selector)


def submit(page) -> None:
    follow(page, "main button[type=submit]")  # the header's language switch is a submit button too


def test_online_filing_pages_have_no_serious_accessibility_violations(page, live_server, food_item):
    inspector = Inspector(page)
    code = food_item.implementation_code

    page.goto(f"{live_server.url}/accounts/signup/?next=/apply/{code}/")
    inspector.look("signup")
    page.check("#id_subject_type_1")
    page.fill("#id_full_name", "江州宏信餐饮管理有限公司")
    page.fill("#id_identity_code", "91350100M000100Y44")
    page.fill("#id_phone", "13900001111")
    page.fill("#id_username", "hongxin")
    page.fill("#id_password1", "Jiangzhou-2026!")
    page.fill("#id_password2", "Jiangzhou-2026!")
    submit(page)
    assert page.locator(".error-summary a[href='#id_identity_code']").inner_text() == (
        "统一社会信用代码校验位不正确，请核对后重新输入。")
    inspector.look("signup-errors")
    page.click(".error-summary a[href='#id_identity_code']")
    assert page.evaluate("location.hash") == "#id_identity_code"

    page.fill("#id_identity_code", "91350100M000100Y43")
    page.fill("#id_password1", "Jiangzhou-2026!")
    page.fill("#id_password2", "Jiangzhou-2026!")
    submit(page)
    page.wait_for_selector("text=申报步骤")
    inspector.look("task-list")

    follow(page, "#section-1 a")
    submit(page)
    inspector.look("applicant-errors")
    page.fill("#id_contact_name", "王芳")
    page.check("#id_identity_confirmed")
    submit(page)

    follow(page, "#section-2 a")
    inspector.look("question-address")
    page.fill("#id_business_address", "江州市江城区滨江路 88 号 1 层")
    submit(page)
    page.fill("#id_business_scope", "热食类食品制售")
    submit(page)
    page.fill("#id_staff_count", "零")
    submit(page)
    inspector.look("question-staff-errors")
    page.fill("#id_staff_count", "6")
    submit(page)

    follow(page, "#section-3 a")
    follow(page, "a[href$='/materials/1/']")
    inspector.look("material-upload")
    page.set_input_files("#id_file", pdf("食品经营许可申请书.pdf"))
    submit(page)
    follow(page, "a[href$='/materials/2/']")
    page.set_input_files("#id_file", pdf("营业执照.pdf"))
    submit(page)
    inspector.look("materials")
    follow(page, "main a.button")
    inspector.look("task-list-ready")

    follow(page, "#section-4 a")
    inspector.look("check")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: most filings come from one
    inspector.look("check-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    submit(page)
    page.wait_for_selector("#receipt-number")
    application = Application.objects.get()
    assert page.inner_text("#receipt-number") == application.receipt_number
    inspector.look("confirmation")

    page.goto(f"{live_server.url}/my/applications/")
    inspector.look("my-applications")
    follow(page, f"a[href='/my/applications/{application.pk}/']")
    inspector.look("detail")
    follow(page, "main a.button[href$='/withdraw/']")
    inspector.look("withdraw")
    submit(page)
    inspector.look("withdrawn")

    assert inspector.violations == {}, format_violations(list(inspector.violations.items()))
    application.refresh_from_db()
    assert application.status == "withdrawn"
