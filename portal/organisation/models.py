"""Regions, departments, halls, windows and the people who use the portal (DOMAIN.md §1).

Regions form a tree stored with a materialised path ("/JZ/JZ-JC/"), so that "this region and
everything below it" — the scope of every staff member — is one indexed prefix comparison in SQL.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from portal.organisation.choices import DepartmentKind, RegionLevel, Role, SubjectType, UserKind
from portal.scoping import ScopedQuerySet


class Region(models.Model):
    """A node of the administrative tree: city → district/county → street/town → community."""

    code = models.CharField(_("区划代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级区划"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # "/CITY/DISTRICT/…/" — written only by services.create_region, never edited in place.
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def is_within(self, other: "Region") -> bool:
        return self.path.startswith(other.path)


class Department(models.Model):
    """A government department of one region (approval bureau, regulator, supervision office…)."""

    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("部门类型"), max_length=32, choices=DepartmentKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments")
    contact_person = models.CharField(_("固定联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region__path"
    scope_department_field = "pk"

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__path", "code"]

    def __str__(self) -> str:
        return self.name


class ServiceHall(models.Model):
    """A service hall (政务服务中心): one window receives for everything."""

    name = models.CharField(_("名称"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="halls")
    address = models.CharField(_("地址"), max_length=200)
    opening_hours = models.CharField(_("办公时间"), max_length=100)
    phone = models.CharField(_("咨询电话"), max_length=32, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "region__path"

    class Meta:
        verbose_name = _("政务服务大厅")
        verbose_name_plural = _("政务服务大厅")

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """A numbered window of a hall, belonging to a department; its chief representative holds a
    published letter of authorisation to approve on the spot (首席代表, 现场审批)."""

    hall = models.ForeignKey(ServiceHall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="windows")
    number = models.PositiveIntegerField(_("窗口号"))
    name = models.CharField(_("窗口名称"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="windows"
    )
    chief_representative = models.ForeignKey(
        "organisation.User",
        verbose_name=_("首席代表"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="represented_windows",
    )
    authorisation_letter = models.TextField(_("授权委托书"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path_field = "hall__region__path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["hall", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="window_number_unique_per_hall")]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number}号窗口"


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    """Django's user manager with ``restrict`` (a named class, so migrations can refer to it)."""


class User(AbstractUser):
    """Anyone who signs in: staff (scoped by region and department, with roles) or an applicant.

    Roles are Django groups named by ``Role`` values, so admin permissions come with them.
    """

    kind = models.CharField(_("用户类型"), max_length=16, choices=UserKind.choices, default=UserKind.STAFF)
    full_name = models.CharField(_("姓名/名称"), max_length=100, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    # The region whose subtree the person may see; for most staff the department's region.
    scope_region = models.ForeignKey(
        Region, verbose_name=_("数据范围"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField(_("主体类型"), max_length=16, choices=SubjectType.choices, blank=True)
    identity_code = models.CharField(_("证件号码"), max_length=18, blank=True, db_index=True)

    objects = ScopedUserManager()
    # Staff are seen by admins of their department's region; applicants are nobody's list.
    scope_path_field = "department__region__path"
    scope_department_field = "department"

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return self._roles_among(self.groups.values_list("name", flat=True))

    def set_role_codes(self, group_names) -> None:
        """Remember the user's roles from group names loaded with the user (see ``UserBackend``)."""
        self.__dict__["role_codes"] = self._roles_among(group_names)

    @staticmethod
    def _roles_among(group_names) -> frozenset[str]:
        valid = set(Role.values)
        return frozenset(name for name in group_names if name in valid)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or any(role in self.role_codes for role in roles)

    @property
    def is_applicant(self) -> bool:
        return self.kind == UserKind.APPLICANT

    @cached_property
    def scope_path(self) -> str | None:
        """The region path this person sees below; None for applicants and unscoped staff."""
        if self.scope_region_id:
            return self.scope_region.path
        if self.department_id:
            return self.department.region.path
        return None
