"""What each lifecycle event sends out: the applicant's notification and the documents it makes.

Called by the services inside the transaction that made the change, so the outbox messages
commit (or roll back) with it and are delivered at least once; keys make repeats harmless.
"""

from django.urls import reverse

from approvals.choices import DecisionOutcome
from approvals.documents import enqueue_document, public_url
from approvals.models import Application

# event -> (subject, body template, documents)
EFFECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "submit": ("已收到您的申请", "您申请的“{item}”已收到，办件编号 {receipt}。窗口将在 5 个工作日内完成预审。",
               ("receipt",)),
    "accept": ("您的申请已受理", "“{item}”（{receipt}）已受理，承诺于 {due} 前办结。", ("acceptance_notice",)),
    "deem_accepted": ("您的申请已依法视为受理",
                      "“{item}”（{receipt}）收件后五个工作日内未获一次性告知，依法自收件之日起视为受理，"
                      "承诺于 {due} 前办结。", ("acceptance_notice",)),
    "issue_one_time_notice": ("请补正申请材料", "“{item}”（{receipt}）需要补正材料，详见补正材料通知书。",
                              ("correction_notice",)),
    "refuse_acceptance": ("您的申请不予受理", "“{item}”（{receipt}）不予受理，理由见不予受理通知书。",
                          ("non_acceptance_notice",)),
    "extend": ("办理期限已延长", "“{item}”（{receipt}）的办理期限延长至 {due}，理由：{reason}", ()),
    "decide": ("审批决定已作出", "“{item}”（{receipt}）已作出决定，请留意送达。", ()),
    "conclude": ("您的办件已办结", "“{item}”（{receipt}）已办结，文书可在进度查询页面查看。", ()),
    "withdraw": ("申请已撤回", "“{item}”（{receipt}）已按您的要求撤回。", ()),
    "terminate": ("办件已终止", "“{item}”（{receipt}）已终止办理，理由：{reason}", ()),
}


def announce(application: Application, event: str, *, reason: str = "", documents: tuple[str, ...] = ()) -> None:
    """Enqueue the notification and documents of ``event`` (inside the caller's transaction)."""
    from portal.notifications.services import notify

    subject, body, default_documents = EFFECTS[event]
    for kind in (*default_documents, *documents):
        enqueue_document(application, kind)
    text = body.format(item=application.item_version.name, receipt=application.receipt_number or "",
                       due=f"{application.promised_due:%Y-%m-%d}" if application.promised_due else "", reason=reason)
    applicant = application.applicant
    email = application.contact_email or (applicant.email if applicant else "")
    if applicant is None and not (email or application.contact_phone):
        return
    notify(
        recipient=applicant, email=email, phone=application.contact_phone, subject=subject, body=text,
        link=public_url(reverse("approvals:progress")),
        key=f"application:{application.pk}:{event}:{application.deadline_epoch}",
    )


def conclusion_documents(application: Application) -> tuple[str, ...]:
    """Served at conclusion: the decision, and for an approval the licence itself."""
    if application.decision.outcome == DecisionOutcome.APPROVE:
        return ("approval_decision", "licence")
    return ("refusal_decision",)
