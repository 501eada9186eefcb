"""Forms of the staff screens; every one ends in a service call, which does the real checks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.choices import DecisionOutcome, PauseReason, ServiceMethod, SubCaseOpinion
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


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("办理意见"), widget=forms.Textarea(attrs={"rows": 3}))


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("暂停原因"), choices=PauseReason.choices)
    note = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(forms.Form):
    days = forms.IntegerField(label=_("延长工作日"), min_value=1, max_value=15)
    reason = forms.CharField(label=_("延期理由（将告知申请人）"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("决定"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConclusionForm(forms.Form):
    served_method = forms.ChoiceField(label=_("送达方式"), choices=ServiceMethod.choices)


class PreReviewForm(forms.Form):
    """Pre-review of an online filing: the written reason or what to supplement, when not accepting."""

    reason = forms.CharField(label=_("不予受理理由 / 补正要求"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class TransferForm(forms.Form):
    to_username = forms.CharField(label=_("转给（用户名）"), max_length=150)
    reason = forms.CharField(label=_("转办理由"), widget=forms.Textarea(attrs={"rows": 2}))


class SubCaseOpinionForm(forms.Form):
    """A participating department's opinion on its sub-case of a joint case (协办意见)."""

    opinion = forms.ChoiceField(label=_("协办意见"), choices=SubCaseOpinion.choices, widget=forms.RadioSelect)
    # Checked by the service, whose message says what a disagreement needs.
    opinion_text = forms.CharField(label=_("意见说明（不同意的须写明理由和依据）"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))
