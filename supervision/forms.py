"""Forms of the supervision-notice screens: the department's explanation and appeal, the
supervisor's outcome and appeal decision. Validation of substance is the services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.uploads.forms import UploadField
from supervision.choices import AppealDecision
from supervision.notice_services import EXPLANATION_FILE_TYPES


class ExplainForm(forms.Form):
    text = forms.CharField(label=_("说明理由"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    attachment = UploadField(label=_("证明材料（可选）"), required=False, allowed=EXPLANATION_FILE_TYPES)


class AcceptForm(forms.Form):
    note = forms.CharField(label=_("审查意见（可选）"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class FaultForm(forms.Form):
    reason = forms.CharField(label=_("认定理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AppealForm(forms.Form):
    reasons = forms.CharField(label=_("申诉理由"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class DecideAppealForm(forms.Form):
    decision = forms.ChoiceField(label=_("复核结论"), choices=AppealDecision.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("复核理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
