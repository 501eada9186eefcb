"""Filters of the dashboards and the on-demand scoring request: bad input is a form error."""

import re
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.services import today
from portal.organisation.models import Department, Region
from portal.scoping import VIEW
from supervision.efficiency.models import ScoringRule

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
# A dashboard spans at most three years of months (the trend chart stays readable).
LONGEST_DASHBOARD_MONTHS = 36


def parse_month(value: str) -> date | None:
    match = MONTH_PATTERN.match(value or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2004 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


class MonthField(forms.Field):
    """A month written ``YYYY-MM`` (the first day of that month once cleaned)."""

    default_error_messages = {"invalid": _("请按“年-月”格式填写，例如 2026-01。")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        month = parse_month(str(value).strip())
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month


class DashboardFilterForm(forms.Form):
    """Region, department and months, limited to what the viewer may see (others are not choices)."""

    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none(), required=False,
                                    to_field_name="code", empty_label=_("全部（本人辖区）"))
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.none(), required=False,
                                        to_field_name="code", empty_label=_("全部部门"))
    start = MonthField(label=_("起始月份"), required=False)
    end = MonthField(label=_("截止月份"), required=False)

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user, VIEW).order_by("path")
        self.fields["department"].queryset = (Department.objects.restrict(user, VIEW).select_related("region")
                                              .order_by("region__path", "code"))

    def clean(self):
        cleaned = super().clean()
        current = today().replace(day=1)
        end = cleaned.get("end") or current
        start = cleaned.get("start") or add_months(end, -11)
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        if start > end:
            self.add_error("start", _("起始月份不能晚于截止月份。"))
        elif (end.year - start.year) * 12 + end.month - start.month >= LONGEST_DASHBOARD_MONTHS:
            self.add_error("start", _("一次最多查看 36 个月。"))
        region, department = cleaned.get("region"), cleaned.get("department")
        if region is not None and department is not None and not department.region.path.startswith(region.path):
            self.add_error("department", _("该部门不在所选区划内。"))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned


class ScoringRequestForm(forms.Form):
    """An on-demand scoring: which rule, which region (in the requester's scope), which days."""

    rule = forms.ModelChoiceField(label=_("评估规则"), queryset=ScoringRule.objects.none(), to_field_name="code")
    region = forms.ModelChoiceField(label=_("评估范围"), queryset=Region.objects.none(), to_field_name="code")
    period_start = forms.DateField(label=_("评估期起"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("评估期止"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        # Rules are published: anyone who may score may score by any of them.
        self.fields["rule"].queryset = ScoringRule.objects.order_by("code")
        self.fields["region"].queryset = Region.objects.restrict(user, VIEW).order_by("path")
        rules = list(self.fields["rule"].queryset[:2])
        if len(rules) == 1:
            self.fields["rule"].initial = rules[0].code
        scope = user.scope_region if user.scope_region_id else getattr(user.department, "region", None)
        if scope is not None:
            self.fields["region"].initial = scope.code
        this_month = today().replace(day=1)
        self.fields["period_start"].initial = (this_month - timedelta(days=1)).replace(day=1)
        self.fields["period_end"].initial = this_month - timedelta(days=1)
