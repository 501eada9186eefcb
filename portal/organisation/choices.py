"""Kinds and statuses of the organisation, with Chinese labels (DOMAIN.md §1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区/县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")


class DepartmentKind(models.TextChoices):
    APPROVAL_BUREAU = "approval_bureau", _("行政审批局")
    FUNCTIONAL = "functional", _("职能（监管）部门")
    SUPERVISION_OFFICE = "supervision_office", _("电子监察室")
    ENFORCEMENT_SUPERVISION = "enforcement_supervision", _("执法监督局")
    LEGAL_AFFAIRS = "legal_affairs", _("法制办")
    SERVICE_CENTRE = "service_centre", _("政务服务中心")


class UserKind(models.TextChoices):
    STAFF = "staff", _("工作人员")
    APPLICANT = "applicant", _("申请人")


class SubjectType(models.TextChoices):
    CITIZEN = "citizen", _("自然人")
    ENTERPRISE = "enterprise", _("法人及其他组织")


class Role(models.TextChoices):
    """Staff roles. Each is a Django group of the same name, which carries its model permissions."""

    WINDOW_CLERK = "window_clerk", _("窗口人员")
    HANDLER = "handler", _("承办人")
    REVIEWER = "reviewer", _("审核人")
    APPROVER = "approver", _("批准人")
    REGULATOR = "regulator", _("监管人员")
    ENFORCEMENT_OFFICER = "enforcement_officer", _("执法人员")
    SUPERVISION_OFFICER = "supervision_officer", _("执法监督人员")
    LEGAL_REVIEWER = "legal_reviewer", _("法制审核人员")
    SUPERVISOR = "supervisor", _("监察人员")
    ADMIN = "admin", _("系统管理员")
