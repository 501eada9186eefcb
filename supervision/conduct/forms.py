"""Filters of the supervisors' lists, the rule tuning form and the flag review form.

Values are checked by the services (``rules.clean_parameters``, ``review_flag``), whose Chinese
messages the views put on the fields; the forms only shape the input.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.organisation.models import Department
from portal.scoping import VIEW
from supervision.conduct.choices import KeyEventKind, ReviewVerdict, RuleCode
from supervision.conduct.rules import RuleDefinition

DATE_ERRORS = {"invalid": _("请输入有效的日期，例如 2025-10-01。")}


class PeriodFilterForm(forms.Form):
    """Department and period, within the user's scope."""

    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.none(), required=False,
                                        empty_label=_("全部部门"),
                                        error_messages={"invalid_choice": _("请选择您管辖范围内的部门。")})
    date_from = forms.DateField(label=_("起始日期"), required=False, error_messages=DATE_ERRORS,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, error_messages=DATE_ERRORS,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (Department.objects.restrict(user, VIEW).select_related("region")
                                              .order_by("region__path", "code"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return cleaned

    def filter_period(self, queryset):
        data = self.cleaned_data
        if data.get("department"):
            queryset = queryset.filter(department=data["department"])
        if data.get("date_from"):
            queryset = queryset.filter(occurred_on__gte=data["date_from"])
        if data.get("date_to"):
            queryset = queryset.filter(occurred_on__lte=data["date_to"])
        return queryset


class KeyEventFilterForm(PeriodFilterForm):
    kind = forms.ChoiceField(label=_("事件类型"), required=False,
                             choices=[("", _("全部类型")), *KeyEventKind.choices],
                             error_messages={"invalid_choice": _("请选择列出的事件类型。")})
    field_order = ["kind", "department", "date_from", "date_to"]


class FlagFilterForm(PeriodFilterForm):
    REVIEW_STATES = [("open", _("待复核")), ("justified", _("有正当理由")), ("not_justified", _("无正当理由")),
                     ("all", _("全部"))]

    rule = forms.ChoiceField(label=_("规则"), required=False, choices=[("", _("全部规则")), *RuleCode.choices],
                             error_messages={"invalid_choice": _("请选择列出的规则。")})
    state = forms.ChoiceField(label=_("复核状态"), required=False, choices=REVIEW_STATES,
                              error_messages={"invalid_choice": _("请选择列出的复核状态。")})
    earlier_parameters = forms.BooleanField(label=_("包括按规则以前参数发现的线索"), required=False)
    field_order = ["rule", "state", "department", "date_from", "date_to", "earlier_parameters"]


class RuleTuningForm(forms.Form):
    """Switch a rule on or off and set its parameters, one number field per declared parameter."""

    enabled = forms.BooleanField(label=_("启用"), required=False)
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500,
                             error_messages={"required": _("请写明调整理由。"),
                                             "max_length": _("调整理由不超过 500 字。")})

    def __init__(self, *args, definition: RuleDefinition, **kwargs):
        super().__init__(*args, **kwargs)
        self.parameter_names = []
        for parameter in definition.parameters:
            # Text in, so that the service's Chinese message explains a bad value (one source).
            self.fields[parameter.name] = forms.CharField(
                label=f"{parameter.label}（{parameter.unit}，{parameter.minimum}–{parameter.maximum}）",
                required=False,
                widget=forms.NumberInput(attrs={"min": parameter.minimum, "max": parameter.maximum, "step": 1}),
            )
            self.parameter_names.append(parameter.name)
        self.order_fields(["enabled", *self.parameter_names, "reason"])

    def parameters(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.parameter_names}


class FlagReviewForm(forms.Form):
    verdict = forms.ChoiceField(label=_("复核结论"), choices=ReviewVerdict.choices, widget=forms.RadioSelect,
                                error_messages={"required": _("请选择复核结论：有正当理由或无正当理由。"),
                                                "invalid_choice": _("请选择复核结论：有正当理由或无正当理由。")})
    note = forms.CharField(label=_("复核说明"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
                           error_messages={"required": _("请填写复核说明。"),
                                           "max_length": _("复核说明不超过 2000 字。")})
