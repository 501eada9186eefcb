"""Shapes of the lifecycle API: what a department's system sends, and what it gets back.

Input serializers check only the shape (types, lengths that the columns impose, known choices);
the rules — identity check digits, reasons required, one notice only — stay in the services, so
an interface is checked exactly as strictly as the screens and answers with the same Chinese
messages.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals import claimed_time, services
from approvals.choices import (
    DecisionOutcome,
    MaterialState,
    PauseReason,
    ServiceMethod,
    SubCaseOpinion,
)
from approvals.models import (
    Application,
    Decision,
    Extension,
    Licence,
    MaterialSubmission,
    OneTimeNotice,
    Pause,
    Step,
    SubCase,
)
from portal.audit import masking
from portal.audit.services import PERSONAL_DATA_ROLES
from portal.organisation.choices import SubjectType

# A system may tick a material as provided, missing or deficient; "reused" is the library's own.
MATERIAL_INPUT_STATES = [(state.value, state.label) for state in
                         (MaterialState.PROVIDED, MaterialState.MISSING, MaterialState.DEFICIENT)]


# --- Input ---------------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 timestamp that must name its offset: a naive time from another system could be
    any zone, and the gap between a claimed and a recorded time is what supervision reads."""

    default_error_messages = {
        "naive": _("时间须带时区，例如 2025-09-23T10:00:00+08:00。"),
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class MaterialInputSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, help_text="事项材料清单中的序号")
    state = serializers.ChoiceField(choices=MATERIAL_INPUT_STATES, default=MaterialState.PROVIDED)
    note = serializers.CharField(max_length=500, allow_blank=True, default="")


def _positions_once(materials: list[dict]) -> list[dict]:
    positions = [material["position"] for material in materials]
    if len(positions) != len(set(positions)):
        raise serializers.ValidationError("同一材料序号只能出现一次。")
    return materials


class ApplicationCreateSerializer(serializers.Serializer):
    """start_application's input, the materials received, and whether to submit at once."""

    item = serializers.CharField(max_length=64, help_text="事项实施编码（现行发布版本）")
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    applicant_name = serializers.CharField(max_length=200)
    # Only a loose bound: the GB 11643 / GB 32100 check in the service gives the precise message.
    identity_code = serializers.CharField(max_length=64)
    contact_phone = serializers.CharField(max_length=20)
    contact_name = serializers.CharField(max_length=50, allow_blank=True, default="")
    contact_email = serializers.EmailField(allow_blank=True, default="")
    form_data = serializers.DictField(default=dict, help_text="申请表内容")
    materials = MaterialInputSerializer(many=True, default=list)
    submit = serializers.BooleanField(default=False, help_text="true：建档后立即提交（取得办件编号）")

    def validate_materials(self, materials):
        return _positions_once(materials)


class MaterialsSerializer(serializers.Serializer):
    materials = MaterialInputSerializer(many=True, allow_empty=False)

    def validate_materials(self, materials):
        return _positions_once(materials)


class EmptySerializer(serializers.Serializer):
    """Actions that need nothing but the application (submit, accept, claim, resume…)."""


class AcceptSerializer(serializers.Serializer):
    opinion = serializers.CharField(allow_blank=True, default="")


class NoticeItemSerializer(serializers.Serializer):
    material = serializers.CharField(allow_blank=True, max_length=200)
    requirement = serializers.CharField(allow_blank=True, max_length=1000)
    position = serializers.IntegerField(
        required=False, min_value=1,
        help_text="材料清单序号：已提交但不符合要求的材料据此标记为“需补正”，申请人须重新提交",
    )


class OneTimeNoticeSerializer(serializers.Serializer):
    items = NoticeItemSerializer(many=True, allow_empty=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


class TransferSerializer(serializers.Serializer):
    to_username = serializers.CharField(max_length=150)
    reason = serializers.CharField(allow_blank=True, default="")


class CompleteStepSerializer(serializers.Serializer):
    opinion = serializers.CharField(allow_blank=True, default="")
    acted_at = AwareDateTimeField(
        required=False, default=None, allow_null=True,
        help_text="对方系统声称的办理时间（须带时区）；记录时间以服务器时间为准，二者相差过大将被标记",
    )

    def validate_acted_at(self, value):
        # The service applies the same rule; checked here too so the error names this field.
        try:
            claimed_time.validate_claimed_time(value, recorded_at=timezone.now())
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value


class OpinionSerializer(serializers.Serializer):
    opinion = serializers.CharField(allow_blank=True, default="")


class PauseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=PauseReason.choices)
    note = serializers.CharField(allow_blank=True, default="")


class ExtendSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True, default="")


class DecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DecisionOutcome.choices)
    reasons = serializers.CharField(allow_blank=True, default="")


class ConcludeSerializer(serializers.Serializer):
    served_method = serializers.ChoiceField(choices=ServiceMethod.choices)
    valid_years = serializers.IntegerField(min_value=1, max_value=50, default=5, allow_null=True,
                                           help_text="证照有效年限；null 表示长期有效")
    licence_scope = serializers.CharField(allow_blank=True, default="", help_text="许可内容，默认为事项名称")


class SubCaseConcludeSerializer(serializers.Serializer):
    opinion = serializers.ChoiceField(choices=SubCaseOpinion.choices, help_text="agree：同意；disagree：不同意")
    opinion_text = serializers.CharField(allow_blank=True, default="", help_text="意见说明；不同意的须写明理由和依据")


# --- Output --------------------------------------------------------------------------------------


class MaterialSerializer(serializers.ModelSerializer):
    reused_licence_number = serializers.CharField(source="reused_licence.number", default=None, read_only=True)

    class Meta:
        model = MaterialSubmission
        fields = ["position", "name", "required", "state", "note", "reused_licence_number"]


class StepSerializer(serializers.ModelSerializer):

    class Meta:
        model = Step
        fields = ["kind", "outcome", "opinion", "actor_name", "started_at", "acted_at", "claimed_acted_at",
                  "signature"]


class PauseOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pause
        fields = ["reason", "note", "started_on", "ended_on", "started_by_name", "ended_by_name"]


class NoticeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OneTimeNotice
        fields = ["issued_at", "issued_by_name", "items", "answered_at"]


class ExtensionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = ["days", "reason", "approved_by_name", "approved_at"]


class DecisionOutputSerializer(serializers.ModelSerializer):

    class Meta:
        model = Decision
        fields = ["outcome", "reasons", "document_number", "decided_by_name", "decided_at", "licence_due",
                  "served_method", "served_on"]


class LicenceOutputSerializer(serializers.ModelSerializer):

    class Meta:
        model = Licence
        fields = ["number", "licence_name", "status", "issued_on", "valid_from", "valid_until"]


class ClockSerializer(serializers.Serializer):
    """The working-day clock, as the case page shows it (approvals.clock)."""

    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    promised_due = serializers.DateField()
    statutory_due = serializers.DateField()
    provisional = serializers.BooleanField()
    is_paused = serializers.BooleanField()
    overdue = serializers.BooleanField()
    explanation = serializers.CharField(source="explain")


class SubCaseSerializer(serializers.ModelSerializer):
    """A participating department's sub-case of a joint case, with its own clock."""

    department_code = serializers.CharField(source="department.code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    clock = serializers.SerializerMethodField()

    class Meta:
        model = SubCase
        fields = ["id", "department_code", "department_name", "duty", "status", "promised_limit", "extension_days",
                  "started_on", "promised_due", "due_is_provisional", "assignee", "claimed_at", "opinion",
                  "opinion_text", "concluded_at", "concluded_by_name", "clock"]
        read_only_fields = fields

    @extend_schema_field(ClockSerializer)
    def get_clock(self, subcase: SubCase) -> dict:
        application = self.context.get("application") or subcase.application
        return ClockSerializer(services.subcase_clock_of(subcase, application=application)).data


class ApplicationListSerializer(serializers.ModelSerializer):
    """One row of the list: no nested collections, so the list costs the same for any length."""

    item_code = serializers.CharField(source="item_version.implementation_code", read_only=True)
    item_name = serializers.CharField(source="item_version.name", read_only=True)
    item_version = serializers.IntegerField(source="item_version.number", read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    identity_code = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id", "receipt_number", "status", "channel", "item_code", "item_name", "item_version",
            "department_code", "subject_type", "applicant_name", "identity_code", "contact_phone",
            "current_step", "assignee", "is_paused", "created_at", "submitted_at", "received_on", "accepted_on",
            "deemed_accepted", "promised_due", "statutory_due", "decided_on", "concluded_at", "closing_reason",
        ]
        read_only_fields = fields

    def _sees_personal_data(self, application: Application) -> bool:
        user = self.context["request"].user
        return application.applicant_id == user.pk or user.has_role(*PERSONAL_DATA_ROLES)

    def get_identity_code(self, application: Application) -> str:
        if self._sees_personal_data(application):
            return application.identity_code
        return masking.mask_identity_code(application.identity_code)

    def get_contact_phone(self, application: Application) -> str:
        if self._sees_personal_data(application):
            return application.contact_phone
        return masking.mask_phone(application.contact_phone)


class ApplicationDetailSerializer(ApplicationListSerializer):
    """The case as the case page shows it: materials, steps, pauses, notices, decision, clock."""

    materials = MaterialSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    pauses = PauseOutputSerializer(many=True, read_only=True)
    notices = NoticeOutputSerializer(many=True, read_only=True)
    extension = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    licence = serializers.SerializerMethodField()
    clock = serializers.SerializerMethodField()
    subcases = serializers.SerializerMethodField()
    filed_by = serializers.CharField(source="filed_by.username", default=None, read_only=True)

    class Meta(ApplicationListSerializer.Meta):
        fields = [
            *ApplicationListSerializer.Meta.fields, "contact_name", "contact_email", "form_data", "filed_by",
            "promised_limit", "statutory_limit", "extension_days", "materials", "steps", "pauses", "notices",
            "extension", "decision", "licence", "clock", "subcases",
        ]
        read_only_fields = fields

    @staticmethod
    def _related(application: Application, name: str):
        # Reverse one-to-ones raise when absent; select_related has already fetched them.
        return getattr(application, name, None)

    @extend_schema_field(ExtensionOutputSerializer(allow_null=True))
    def get_extension(self, application: Application) -> dict | None:
        extension = self._related(application, "extension")
        return ExtensionOutputSerializer(extension).data if extension else None

    @extend_schema_field(DecisionOutputSerializer(allow_null=True))
    def get_decision(self, application: Application) -> dict | None:
        decision = self._related(application, "decision")
        return DecisionOutputSerializer(decision).data if decision else None

    @extend_schema_field(LicenceOutputSerializer(allow_null=True))
    def get_licence(self, application: Application) -> dict | None:
        licence = self._related(application, "licence")
        return LicenceOutputSerializer(licence).data if licence else None

    @extend_schema_field(SubCaseSerializer(many=True))
    def get_subcases(self, application: Application) -> list[dict]:
        """Joint cases: each participating department's sub-case (empty for other cases)."""
        return SubCaseSerializer(application.subcases.all(), many=True,
                                 context={**self.context, "application": application}).data

    @extend_schema_field(ClockSerializer(allow_null=True))
    def get_clock(self, application: Application) -> dict | None:
        """None until accepted: the clock starts at acceptance (art. 42)."""
        if application.accepted_on is None:
            return None
        return ClockSerializer(services.clock_of(application)).data
