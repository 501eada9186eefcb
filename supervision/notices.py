"""Telling people about new warnings: who is told and what (DOMAIN.md §5).

- **Yellow** goes to the department's fixed contact person (固定联系人: ``Department.contact_*``)
  by SMS and email. A department with no contact on record falls back to its approvers (批准人),
  who answer for its cases, in their inbox, by email and SMS.
- A joint case's **sub-case** warning goes to its participating department in the same way (its
  contact, else its approvers): the department answers for its own promise (TIME_RULES §10).
- **Red** and **statutory** go to the same people and to the supervisors (监察人员) whose region
  covers the department: the monitoring centre, which follows up with a supervision notice.

The sweep enqueues one outbox message per department and run, in the transaction that inserted
the warnings; the outbox delivers it at least once to ``deliver_warning_notices``. Each
notification has a key naming the run, department, colour and recipient, so a redelivery creates
nothing twice. Messages carry receipt numbers and item names, never applicants' personal data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.notifications.choices import Channel
from portal.notifications.services import ALL_CHANNELS, notify
from portal.organisation.choices import Role, UserKind
from portal.organisation.models import Department, User
from supervision.choices import WarningColour
from supervision.models import TimeLimitWarning

logger = logging.getLogger(__name__)

# Cases named in one SMS; the rest are counted ("等 12 件") and listed on the linked page.
MAX_LISTED = 5

SUBJECTS = {
    WarningColour.YELLOW: "黄牌预警：{count} 件办件临近承诺时限",
    WarningColour.RED: "红牌警示：{count} 件办件已超过承诺时限",
    WarningColour.STATUTORY: "超法定时限：{count} 件办件已超过法定办理期限",
}
LINES = {
    WarningColour.YELLOW: "{receipt}「{item}」剩余 {remaining} 个工作日（承诺办结日 {due}）",
    WarningColour.RED: "{receipt}「{item}」承诺办结日 {due}",
    WarningColour.STATUTORY: "{receipt}「{item}」法定期限 {statutory_due}",
}
# A sub-case's warning: the participating department's part of a joint case (协办件).
SUBCASE_LINE = "{line}（并联审批协办件）"
CLOSINGS = {
    WarningColour.YELLOW: "请抓紧办理，确保在承诺时限内办结。",
    WarningColour.RED: "请立即办理，并就超期原因书面说明理由。",
    WarningColour.STATUTORY: "已超过法定办理期限，请立即办理并书面说明理由。",
}


@dataclass(frozen=True)
class Recipient:
    key: str  # part of the notification's idempotency key
    user: User | None = None
    phone: str = ""
    email: str = ""
    channels: tuple[str, ...] = ALL_CHANNELS
    is_supervisor: bool = False


def department_contacts(department: Department) -> list[Recipient]:
    """The fixed contact person, else the department's active approvers."""
    if department.contact_phone or department.contact_email:
        return [Recipient("contact", phone=department.contact_phone, email=department.contact_email,
                          channels=(Channel.SMS, Channel.EMAIL))]
    approvers = User.objects.filter(department=department, is_active=True, kind=UserKind.STAFF,
                                    groups__name=Role.APPROVER).order_by("pk")
    return [Recipient(f"user:{user.pk}", user=user) for user in approvers]


def supervisors_over(department: Department) -> list[Recipient]:
    """Active supervisors whose scope region contains the department's region."""
    path = department.region.path
    supervisors = (User.objects.filter(is_active=True, kind=UserKind.STAFF, groups__name=Role.SUPERVISOR)
                   .select_related("scope_region", "department__region").order_by("pk"))
    return [Recipient(f"user:{user.pk}", user=user, is_supervisor=True) for user in supervisors
            if user.scope_path and path.startswith(user.scope_path)]


def recipients_for(department: Department, colour: str) -> list[Recipient]:
    recipients = department_contacts(department)
    if colour != WarningColour.YELLOW:
        recipients += supervisors_over(department)
    unique: dict[str, Recipient] = {}
    for recipient in recipients:
        unique.setdefault(recipient.key, recipient)
    return list(unique.values())


def message_for(colour: str, department: Department, warnings: list[TimeLimitWarning]) -> tuple[str, str]:
    colour = WarningColour(colour)
    lines = []
    for warning in warnings[:MAX_LISTED]:
        application = warning.application
        # A sub-case's line: the department's own promise on the joint case (TIME_RULES §10).
        promised_due = warning.sub_case.promised_due if warning.sub_case_id else application.promised_due
        line = LINES[colour].format(
            receipt=application.receipt_number, item=application.item_version.name,
            remaining=warning.remaining_working_days,
            due=f"{promised_due:%Y-%m-%d}" if promised_due else "—",
            statutory_due=f"{application.statutory_due:%Y-%m-%d}" if application.statutory_due else "—",
        )
        lines.append(SUBCASE_LINE.format(line=line) if warning.sub_case_id else line)
    more = f"等 {len(warnings)} 件" if len(warnings) > MAX_LISTED else ""
    body = f"{department.name}：{'；'.join(lines)}{more}。{CLOSINGS[colour]}"
    return SUBJECTS[colour].format(count=len(warnings)), body


def deliver_warning_notices(payload: dict, key: str) -> None:
    """Outbox handler: notify the people of one department about one run's new warnings.

    Idempotent on the notification keys; marks the warnings notified with a conditional update.
    A department nobody can be told about is logged and left unnotified (the health page counts
    unnotified warnings), rather than retried for hours: adding a contact is an admin's task.
    """
    run_id, department_id = payload["sweep_run"], payload["department"]
    with transaction.atomic():
        warnings = list(
            TimeLimitWarning.objects.filter(sweep_run_id=run_id, department_id=department_id)
            .select_related("application__item_version", "sub_case")
            .order_by("remaining_working_days", "pk")
        )
        if not warnings:
            return
        department = Department.objects.select_related("region").get(pk=department_id)
        queue_link, monitoring_link = reverse("approvals:queue"), reverse("supervision:warnings")
        notified = []
        for colour in WarningColour:
            of_colour = [warning for warning in warnings if warning.colour == colour]
            if not of_colour:
                continue
            recipients = recipients_for(department, colour)
            if not recipients:
                logger.warning("no contact person, approver or supervisor to tell about %d %s warnings of %s",
                               len(of_colour), colour.value, department)
                continue
            subject, body = message_for(colour, department, of_colour)
            for recipient in recipients:
                notify(recipient=recipient.user, phone=recipient.phone, email=recipient.email, subject=subject,
                       body=body, link=monitoring_link if recipient.is_supervisor else queue_link,
                       key=f"supervision.warnings:{run_id}:{department_id}:{colour.value}:{recipient.key}",
                       channels=recipient.channels)
            notified += [warning.pk for warning in of_colour]
        TimeLimitWarning.objects.filter(pk__in=notified, notified_at__isnull=True).update(notified_at=timezone.now())
