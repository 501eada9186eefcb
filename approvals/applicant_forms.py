"""Forms of the applicant's online filing: sign-up, the application's sections, one question a page.

Every form can list its errors for the error summary at the top of the page ("存在以下问题"),
each linked to the field it is about, and marks the invalid fields for screen readers. The forms
check what the applicant typed; the services do the real checks again (identity codes, states).
"""

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from portal.organisation.choices import SubjectType, UserKind
from portal.organisation.identity import validate_id_number, validate_uscc
from portal.organisation.models import User
from portal.uploads.forms import UploadField

MOBILE_PATTERN = r"^1[3-9]\d{9}$"
# A mobile number, or a landline with its area code ("0591-87654321"), optionally an extension.
CONTACT_PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$"

mobile_validator = RegexValidator(MOBILE_PATTERN, _("请输入 11 位手机号码，如 13900001111。"))
contact_phone_validator = RegexValidator(
    CONTACT_PHONE_PATTERN, _("请输入 11 位手机号码，或带区号的固定电话，如 0591-87654321。"))


class ErrorSummaryMixin:
    """The GOV.UK error pattern: a summary linking to each field, and fields that say they failed.

    ``error_summary`` lists ``{"href", "label", "message"}``; an invalid field gets
    ``aria-describedby`` pointing at its own message (``<auto_id>-error``), which the templates
    print above the input.
    """

    # Server-side validation only: the browser's own bubbles would hide the summary.
    use_required_attribute = False

    def error_summary(self) -> list[dict[str, str]]:
        entries = [{"href": "", "label": "", "message": message} for message in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                entries.append({"href": f"#{self.anchor_for(name)}", "label": str(field.label), "message": message})
        return entries

    def anchor_for(self, name: str) -> str:
        """The id of the element the summary's link moves focus to (the first radio of a group)."""
        bound = self[name]
        if isinstance(self.fields[name].widget, forms.RadioSelect):
            return f"{bound.auto_id}_0"
        return bound.auto_id

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            described_by = [f"{bound.auto_id}-error"]
            if self.fields[name].help_text:
                described_by.append(f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(described_by)


# --- Sign-up -----------------------------------------------------------------------------------


class SignUpForm(ErrorSummaryMixin, forms.Form):
    """An applicant's account: who they are (checked by GB 11643 / GB 32100) and how to sign in."""

    subject_type = forms.ChoiceField(
        label=_("申请人类型"), widget=forms.RadioSelect,
        choices=[(SubjectType.CITIZEN, _("个人（使用居民身份证号码）")),
                 (SubjectType.ENTERPRISE, _("企业或其他组织（使用统一社会信用代码）"))],
        error_messages={"required": _("请选择申请人类型：个人，或企业及其他组织"),
                        "invalid_choice": _("请选择申请人类型：个人，或企业及其他组织")},
    )
    full_name = forms.CharField(
        label=_("姓名或单位全称"), max_length=100,
        help_text=_("个人填写身份证上的姓名；企业填写营业执照上的名称"),
        error_messages={"required": _("请填写姓名或单位全称"),
                        "max_length": _("姓名或单位全称不能超过 100 个字")},
    )
    identity_code = forms.CharField(
        label=_("身份证号码或统一社会信用代码"), max_length=18,
        help_text=_("18 位，字母不区分大小写"),
        error_messages={"required": _("请填写身份证号码或统一社会信用代码"),
                        "max_length": _("证件号码应为 18 位")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("手机号码"), max_length=11, validators=[mobile_validator],
        help_text=_("用于接收办件进度短信"),
        error_messages={"required": _("请填写手机号码"), "max_length": _("请输入 11 位手机号码，如 13900001111。")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "numeric"}),
    )
    username = forms.CharField(
        label=_("用户名"), max_length=30, min_length=4,
        help_text=_("4 到 30 位，可用字母、数字和 @ . + - _"),
        validators=[User.username_validator],
        error_messages={"required": _("请设置用户名"), "min_length": _("用户名至少 4 位"),
                        "max_length": _("用户名不能超过 30 位")},
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("密码"), strip=False,
        help_text=_("至少 8 位，不能全是数字，不要与用户名或姓名相近，也不要使用常见密码"),
        error_messages={"required": _("请设置密码")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), strip=False,
        error_messages={"required": _("请再次输入密码")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("该用户名已被使用，请换一个"), code="duplicate")
        return username

    def clean(self):
        cleaned = super().clean()
        subject_type = cleaned.get("subject_type")
        code = cleaned.get("identity_code")
        if subject_type and code is not None:
            validator = validate_id_number if subject_type == SubjectType.CITIZEN else validate_uscc
            try:
                cleaned["identity_code"] = validator(code)
            except ValidationError as error:
                self.add_error("identity_code", error)
            else:
                if User.objects.filter(kind=UserKind.APPLICANT, identity_code=cleaned["identity_code"]).exists():
                    self.add_error("identity_code", ValidationError(
                        _("该证件号码已注册账号，请直接登录"), code="duplicate"))
        password = cleaned.get("password1")
        if password:
            candidate = User(username=cleaned.get("username") or "", full_name=cleaned.get("full_name") or "")
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        if password and cleaned.get("password2") and password != cleaned["password2"]:
            self.add_error("password2", ValidationError(_("两次输入的密码不一致"), code="password_mismatch"))
        return cleaned

    def build_user(self) -> User:
        data = self.cleaned_data
        return User(username=data["username"], full_name=data["full_name"].strip(), kind=UserKind.APPLICANT,
                    subject_type=data["subject_type"], identity_code=data["identity_code"], phone=data["phone"])


# --- Starting and the applicant section ---------------------------------------------------------


class ContactPhoneForm(ErrorSummaryMixin, forms.Form):
    """Asked before the draft is created, only when the account has no phone number."""

    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=20, validators=[contact_phone_validator],
        help_text=_("窗口预审和补正通知会打这个电话"),
        error_messages={"required": _("请填写联系电话")},
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )


class ApplicantDetailsForm(ErrorSummaryMixin, forms.Form):
    """Section 1: who to contact about this application, and the applicant confirming the identity."""

    contact_name = forms.CharField(
        label=_("联系人姓名"), max_length=50,
        error_messages={"required": _("请填写联系人姓名"), "max_length": _("联系人姓名不能超过 50 个字")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=20, validators=[contact_phone_validator],
        help_text=_("手机号码，或带区号的固定电话"),
        error_messages={"required": _("请填写联系电话")},
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    contact_email = forms.EmailField(
        label=_("电子邮箱（选填）"), required=False, max_length=254,
        help_text=_("填写后，受理通知等文书也会发到这个邮箱"),
        error_messages={"invalid": _("请输入正确的电子邮箱地址，如 name@example.com")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    identity_confirmed = forms.BooleanField(
        label=_("我确认以上申请人名称和证件号码正确"),
        error_messages={"required": _("请确认申请人名称和证件号码正确")},
    )


# --- Section 2: the application form, one question a page ---------------------------------------


class AddressQuestion(ErrorSummaryMixin, forms.Form):
    slug = "address"
    business_address = forms.CharField(
        label=_("经营场所地址是什么？"), max_length=200,
        help_text=_("写到门牌号和楼层，如：江州市江城区滨江路 88 号 1 层"),
        error_messages={"required": _("请填写经营场所地址"), "max_length": _("经营场所地址不能超过 200 个字")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )


class ScopeQuestion(ErrorSummaryMixin, forms.Form):
    slug = "scope"
    business_scope = forms.CharField(
        label=_("经营项目或申请内容是什么？"), max_length=1000,
        help_text=_("按营业执照或许可类别填写，如：预包装食品销售、热食类食品制售"),
        error_messages={"required": _("请填写经营项目或申请内容"),
                        "max_length": _("经营项目或申请内容不能超过 1000 个字")},
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class StaffCountQuestion(ErrorSummaryMixin, forms.Form):
    slug = "staff"
    staff_count = forms.IntegerField(
        label=_("有多少从业人员？"), min_value=1, max_value=100000,
        help_text=_("填写人数，包括经营者本人"),
        error_messages={"required": _("请填写从业人员数量"), "invalid": _("从业人员数量应为整数，如 5"),
                        "min_value": _("从业人员数量至少为 1 人"), "max_value": _("从业人员数量不能超过 100000 人")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


# The order the questions are asked in; each form has one field, named by its key in form_data.
QUESTIONS: tuple[type[forms.Form], ...] = (AddressQuestion, ScopeQuestion, StaffCountQuestion)
QUESTION_SUMMARY_LABELS = {
    "business_address": _("经营场所地址"),
    "business_scope": _("经营项目/申请内容"),
    "staff_count": _("从业人员数量"),
}


def question_key(question: type[forms.Form]) -> str:
    return next(iter(question.base_fields))


def question_by_slug(slug: str) -> type[forms.Form] | None:
    return next((question for question in QUESTIONS if question.slug == slug), None)


# --- Section 3: materials ---------------------------------------------------------------------


class MaterialUploadForm(ErrorSummaryMixin, forms.Form):
    """One material's file; ``UploadField`` refuses wrong types and sizes in Chinese."""

    file = UploadField(label=_("选择文件"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        megabytes = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("支持 PDF、JPG、PNG、OFD、DOCX、XLSX 格式，单个文件不超过 %(size)s MB") % {
            "size": megabytes}


# --- After submission ---------------------------------------------------------------------------


class WithdrawForm(ErrorSummaryMixin, forms.Form):
    reason = forms.CharField(
        label=_("撤回原因（选填）"), required=False, max_length=500,
        error_messages={"max_length": _("撤回原因不能超过 500 个字")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
