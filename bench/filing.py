"""The online filing (网上申报) journey, as a signed-in applicant's browser goes through it.

From "在线申报" (which starts a draft) to the confirmation with a receipt number, reading each page
and following its links, redirects and forms: the task list; 申请人信息; the form's questions, one
a page, answered by the field each page asks for; every required material not yet provided,
uploaded one by one as a small real PDF (multipart/form-data); back to the task list; 核对您的申请;
submit; the confirmation. A page other than the one a user expects fails the filing. An open
draft left by an interrupted run is resumed, and its missing parts filled in, as a user would.
"""

import re

from bench.browser import Browser, Failure, Response
from bench.load import closed_loop, latency_summary
from tests.uploads.samples import pdf_bytes

TASK_LIST = re.compile(r"/my/applications/\d+/tasks/")
QUESTION = re.compile(r"/my/applications/\d+/form/[\w-]+/")
MATERIALS = re.compile(r"/my/applications/\d+/materials/")
CHECK = re.compile(r"/my/applications/\d+/check/")
CONFIRMATION = re.compile(r"/my/applications/\d+/submitted/")
QUESTION_FORM = re.compile(r'<form method="post" novalidate>(.*?)</form>', re.S)
FORM_FIELD = re.compile(r'<(?:input|textarea|select)[^>]*name="(\w+)"')
MATERIAL_ROW = re.compile(r'<tr id="material-\d+">(.*?)</tr>', re.S)
UPLOAD_LINK = re.compile(r'<a href="([^"]+)">上传<')
RECEIPT_NUMBER = re.compile(r'<strong id="receipt-number">(\w+)</strong>')

CONTACT = {"contact_name": "王芳", "contact_phone": "0591-87654321", "contact_email": "wangfang@example.com",
           "identity_confirmed": "on"}
ANSWERS = {"business_address": "江州市江城区滨江路 88 号 1 层", "business_scope": "热食类食品制售", "staff_count": "6"}
MAX_PAGES = 20  # questions or materials: more means the journey is going round in circles
UPLOAD = ("材料扫描件.pdf", "application/pdf", pdf_bytes())


def _expect(response: Response, where: re.Pattern, step: str) -> Response:
    if response.status != 200 or not where.fullmatch(response.path):
        raise Failure(step, response)
    return response


def _section_link(task_list: Response, number: int) -> str:
    match = re.search(rf'id="section-{number}">\s*<h3 class="item-title">\s*<a href="([^"]+)"',
                      task_list.body.decode())
    if match is None:
        raise Failure(f"task list without a link to section {number}", task_list)
    return match.group(1)


def _question_field(page: Response) -> str:
    form = QUESTION_FORM.search(page.body.decode())
    names = [name for name in FORM_FIELD.findall(form.group(1) if form else "") if name != "csrfmiddlewaretoken"]
    if len(names) != 1 or names[0] not in ANSWERS:
        raise Failure(f"a question the bench cannot answer ({names})", page)
    return names[0]


def _pending_uploads(materials: Response) -> list[str]:
    """Upload links of the required materials not provided yet (the optional ones say （可选）)."""
    links = []
    for row in MATERIAL_ROW.findall(materials.body.decode()):
        link = UPLOAD_LINK.search(row)
        if link and "（可选）" not in row:
            links.append(link.group(1))
    return links


async def file_one(browser: Browser, item_code: str) -> str:
    """One whole filing; returns its receipt number."""
    task_list = _expect(await browser.get(f"/apply/{item_code}/"), TASK_LIST, "在线申报")

    await browser.get(_section_link(task_list, 1))
    task_list = _expect(await browser.submit(CONTACT), TASK_LIST, "申请人信息")

    page = await browser.get(_section_link(task_list, 2))
    for _ in range(MAX_PAGES):
        if not QUESTION.fullmatch(page.path):
            break
        field = _question_field(page)
        page = await browser.submit({field: ANSWERS[field]})
    task_list = _expect(page, TASK_LIST, "申请表")

    materials = _expect(await browser.get(_section_link(task_list, 3)), MATERIALS, "申请材料")
    for _ in range(MAX_PAGES):
        pending = _pending_uploads(materials)
        if not pending:
            break
        await browser.get(pending[0])
        materials = _expect(await browser.submit({}, files={"file": UPLOAD}), MATERIALS, "上传材料")
    else:
        raise Failure("uploads that do not count", materials)

    task_list = _expect(await browser.get(task_list.path), TASK_LIST, "返回申报步骤")
    _expect(await browser.get(_section_link(task_list, 4)), CHECK, "核对您的申请")
    confirmation = _expect(await browser.submit({}), CONFIRMATION, "提交申请")
    receipt = RECEIPT_NUMBER.search(confirmation.body.decode())
    if receipt is None:
        raise Failure("confirmation without a receipt number", confirmation)
    return receipt.group(1)


async def drive_filing(applicants: list[Browser], item_code: str, concurrency: int, seconds: float) -> dict:
    """Filings by ``concurrency`` applicants, each in its own account and browser, for ``seconds``."""
    browsers = applicants[:concurrency]
    for browser in browsers:
        browser.timings.clear()
    run = await closed_loop(concurrency, seconds, lambda index: file_one(browsers[index], item_code))
    requests = [elapsed for browser in browsers for elapsed in browser.timings]
    return {"concurrency": concurrency, "completed": run.completed, "failed": run.failed,
            "filings_per_s": run.per_second(), **latency_summary(run.durations, prefix="filing_"),
            "requests": len(requests), "requests_per_s": round(len(requests) / run.wall, 1),
            **latency_summary(requests), **run.failure_fields()}
