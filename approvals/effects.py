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


# Joint approval: what the participating departments and the lead hear about sub-cases.
SUBCASE_EFFECTS: dict[str, tuple[str, str]] = {
    "opened": ("新的并联审批协办件",
               "“{item}”（{receipt}）已由{lead}受理，请贵部门于 {due} 前出具协办意见"
               "（协办承诺时限 {limit} 个工作日）。"),
    "concluded": ("协办意见已出具", "{department}对“{item}”（{receipt}）出具了协办意见：{opinion}。"),
}


def announce_subcase(subcase, event: str) -> None:
    """Tell the participating department of its new sub-case (its staff who can take it, in their
    inbox; its fixed contact by email and SMS through the outbox), or the lead of an opinion given.
    Inside the caller's transaction; keys make repeats harmless."""
    from approvals.transitions import SUBCASE_ROLES
    from portal.notifications.choices import Channel as NotificationChannel
    from portal.notifications.services import notify
    from portal.organisation.choices import UserKind
    from portal.organisation.models import User

    application = subcase.application
    subject, body = SUBCASE_EFFECTS[event]
    text = body.format(
        item=application.item_version.name, receipt=application.receipt_number or "", lead=application.department,
        due=f"{subcase.promised_due:%Y-%m-%d}", limit=subcase.promised_limit, department=subcase.department,
        opinion=subcase.get_opinion_display(),
    )
    link = reverse("approvals:staff_case", args=[application.pk])
    key = f"subcase:{subcase.pk}:{event}"
    if event == "opened":
        department = subcase.department
        staff = (User.objects.filter(department=department, kind=UserKind.STAFF, is_active=True)
                 .filter(groups__name__in=SUBCASE_ROLES).distinct().order_by("pk"))
        people = list(staff)
    else:
        department = application.department
        people = [application.assignee] if application.assignee_id else []
    for person in people:
        notify(recipient=person, subject=subject, body=text, link=link, key=f"{key}:{person.pk}",
               channels=(NotificationChannel.INBOX,))
    if department.contact_email or department.contact_phone:
        notify(email=department.contact_email, phone=department.contact_phone, subject=subject, body=text,
               link=public_url(link), key=f"{key}:contact",
               channels=(NotificationChannel.EMAIL, NotificationChannel.SMS))
