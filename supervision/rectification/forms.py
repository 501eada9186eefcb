"""Forms of the rectification screens; each ends in a service call, which does the real checks.

Every form on the case page has its own prefix (its action's name), so that field ids stay unique
on the page and a posted form is read back with the prefix it was drawn with.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.choices import RatingLevel
from portal.uploads.forms import UploadField
from supervision.rectification.choices import CallbackMethod, InvalidityGround, RectificationStatus
from supervision.rectification.services import TEXT_MAX_LENGTH


def _text_area(rows: int = 4):
    return forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_MAX_LENGTH})


class RectificationForm(forms.Form):
    measures = forms.CharField(label=_("整改情况（采取的措施、结果）"), max_length=TEXT_MAX_LENGTH, widget=_text_area())
    attachment = UploadField(label=_("整改佐证材料（可选）"), required=False)


class InvalidityForm(forms.Form):
    ground = forms.ChoiceField(label=_("理由类别"), choices=InvalidityGround.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("申请理由及事实"), max_length=TEXT_MAX_LENGTH, widget=_text_area())
    attachment = UploadField(label=_("证明材料（可选）"), required=False)


class ImpossibilityForm(forms.Form):
    reasons = forms.CharField(label=_("无法整改的理由"), max_length=TEXT_MAX_LENGTH, widget=_text_area())
    attachment = UploadField(label=_("证明材料（可选）"), required=False)


class CallbackForm(forms.Form):
    called_on = forms.DateField(label=_("回访日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                error_messages={"invalid": _("请按“年-月-日”填写回访日期。")})
    method = forms.ChoiceField(label=_("回访方式"), choices=CallbackMethod.choices)
    satisfaction = forms.TypedChoiceField(label=_("申请人整改后满意度"), coerce=int,
                                          choices=[("", "—")] + list(RatingLevel.choices))
    note = forms.CharField(label=_("回访情况"), required=False, max_length=TEXT_MAX_LENGTH, widget=_text_area(3))


class OpinionForm(forms.Form):
    opinion = forms.CharField(label=_("审核意见（可选）"), required=False, max_length=TEXT_MAX_LENGTH,
                              widget=_text_area(2))


class ReasonsForm(forms.Form):
    reasons = forms.CharField(label=_("理由"), max_length=TEXT_MAX_LENGTH, widget=_text_area(2))


class SupervisionFilterForm(forms.Form):
    """The supervisor's list filters (GET): status and overdue."""

    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("open", _("未办结")), *RectificationStatus.choices])
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)
