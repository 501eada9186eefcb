"""Forms of the staff screens; every one ends in a service call, which does the real checks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.choices import DecisionOutcome, MaterialState, PauseReason, ServiceMethod, SubCaseOpinion
from portal.organisation.choices import SubjectType


class IntakeForm(forms.Form):
    """The walk-in at the window: applicant, contact, and the materials checklist."""

    subject_type = forms.ChoiceField(label=_("主体类型"), choices=SubjectType.choices, initial=SubjectType.ENTERPRISE)
    identity_code = forms.CharField(label=_("证件号码"), max_length=18,
                                    help_text=_("身份证号码或统一社会信用代码；可用读卡器录入"))
    applicant_name = forms.CharField(label=_("申请人名称"), max_length=200)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20)
    outcome = forms.ChoiceField(label=_("受理结果"), choices=[
        ("accept", _("受理")), ("notice", _("一次性告知补正")), ("refuse", _("不予受理"))], initial="accept",
        widget=forms.RadioSelect)
    reason = forms.CharField(label=_("不予受理理由 / 补正要求"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, materials=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.material_fields = []
        for material in materials:
            name = f"material_{material['position']}"
            self.fields[name] = forms.BooleanField(
                label=f"{material['position']}. {material['name']}" + ("" if material["required"] else "（可选）"),
                required=False)
            self.material_fields.append(name)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") in ("notice", "refuse") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("请写明不予受理理由或需要补正的内容。"))
        return cleaned


class CaseActionForm(forms.Form):
    """A form posted from the case page; it knows the application it acts on."""

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application


class OpinionForm(CaseActionForm):
    opinion = forms.CharField(label=_("办理意见"), widget=forms.Textarea(attrs={"rows": 3}))


class PauseForm(CaseActionForm):
    reason = forms.ChoiceField(label=_("暂停原因"), choices=PauseReason.choices)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(CaseActionForm):
    days = forms.IntegerField(label=_("延长工作日"), min_value=1, max_value=15)
    reason = forms.CharField(label=_("延期理由（将告知申请人）"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(CaseActionForm):
    outcome = forms.ChoiceField(label=_("决定"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConclusionForm(CaseActionForm):
    served_method = forms.ChoiceField(label=_("送达方式"), choices=ServiceMethod.choices)


class PreReviewForm(CaseActionForm):
    """Pre-review of an online filing: the written reason when not accepting, or the one-time
    notice — each material that came in but is not good enough ticked, with what to do about it."""

    reason = forms.CharField(label=_("不予受理理由 / 补正要求"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.materials = list(self.application.materials.all()) if self.application is not None else []
        self.material_rows = []
        for material in self.materials:
            tick, requirement = f"deficient_{material.position}", f"requirement_{material.position}"
            self.fields[tick] = forms.BooleanField(label=f"{material.position}. {material.name}", required=False)
            self.fields[requirement] = forms.CharField(
                label=_("补正要求：%(name)s") % {"name": material.name}, max_length=500, required=False)
            self.material_rows.append({"material": material, "tick": self[tick], "requirement": self[requirement]})

    def clean(self):
        cleaned = super().clean()
        cleaned["notice_items"] = self.notice_items()
        return cleaned

    def notice_items(self) -> list[dict]:
        """Everything to supplement: the ticked materials, every required one still missing, or —
        when neither — the general requirement about the materials as a whole."""
        general = self.cleaned_data.get("reason", "").strip()
        items = []
        for material in self.materials:
            ticked = self.cleaned_data.get(f"deficient_{material.position}")
            missing = material.required and material.state in (MaterialState.MISSING, MaterialState.DEFICIENT)
            if ticked or missing:
                specific = self.cleaned_data.get(f"requirement_{material.position}", "").strip()
                items.append({"material": material.name, "position": material.position,
                              "requirement": specific or general})
        # The notice is a legal document in Chinese whatever the clerk's interface language.
        return items or [{"material": "申请材料", "requirement": general}]


class TransferForm(CaseActionForm):
    to_username = forms.CharField(label=_("转给（用户名）"), max_length=150)
    reason = forms.CharField(label=_("转办理由"), widget=forms.Textarea(attrs={"rows": 2}))


class SubCaseOpinionForm(forms.Form):
    """A participating department's opinion on its sub-case of a joint case (协办意见)."""

    opinion = forms.ChoiceField(label=_("协办意见"), choices=SubCaseOpinion.choices, widget=forms.RadioSelect)
    # Checked by the service, whose message says what a disagreement needs.
    opinion_text = forms.CharField(label=_("意见说明（不同意的须写明理由和依据）"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))


class DelegationForm(forms.Form):
    """委托代办 while someone is away: whose cases, to whom, which days, why."""

    from_user = forms.ModelChoiceField(label=_("委托人（离岗人员）"), queryset=None, empty_label=None)
    to_user = forms.ModelChoiceField(label=_("受托人"), queryset=None,
                                     help_text=_("同一部门、担任相同办件岗位的同事"))
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("结束日期（含当日）"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("委托原因"), max_length=200, help_text=_("如：年休假、外出培训"))

    def __init__(self, *args, absent_people, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = absent_people
        self.fields["to_user"].queryset = colleagues
        for name in ("from_user", "to_user"):
            self.fields[name].label_from_instance = lambda user: f"{user}（{user.get_username()}）"
