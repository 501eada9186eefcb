"""The application lifecycle for machines: departments' own systems file, accept, handle, decide
and conclude cases through these endpoints (DOMAIN.md §10), exactly as staff do on the screens.

Every action calls the named service in ``approvals.services``; roles, department and state are
checked there, so the interface is held to the same rules and messages as the screens. Errors
answer ``{"error": {"code", "message", "fields"}}``: a refused rule 400, a move the state does
not allow 409 ``invalid_transition``, a role or department the actor lacks 403, anything outside
the caller's region scope 404. Creating calls honour ``Idempotency-Key`` (``portal.idempotency``).

The server's clock is the record's clock. A system may say when an act really happened
(``acted_at`` on complete-step); the service stores that claim beside the recorded time and flags
a large gap as possible off-system processing (体外循环), by the one rule in
``approvals.claimed_time``.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from approvals import services
from approvals.api import serializers as api
from approvals.choices import Channel, MaterialState
from approvals.models import Application, SubCase
from approvals.transitions import TransitionRefused
from portal.catalogue.models import ItemVersion
from portal.idempotency import HEADER as IDEMPOTENCY_HEADER
from portal.idempotency import REPLAYED_HEADER, idempotent
from portal.organisation.choices import Role, UserKind
from portal.organisation.models import User
from portal.scoping import VIEW


class InvalidTransition(exceptions.APIException):
    """The service refused the move from the application's current state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "invalid_transition"
    default_detail = "办件当前状态不允许该操作。"


# --- Schema ---------------------------------------------------------------------------------------

ERROR_BODY = inline_serializer(
    name="ApiError",
    fields={"error": inline_serializer(name="ApiErrorDetail", fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "fields": serializers.DictField(required=False, help_text="逐字段的错误说明（仅 code=invalid 时）"),
    })},
)
ERRORS = {
    400: OpenApiResponse(ERROR_BODY, description="输入有误（code=invalid，逐字段说明在 fields）"),
    401: OpenApiResponse(ERROR_BODY, description="未认证：请求头 Authorization: Token <令牌>"),
    403: OpenApiResponse(ERROR_BODY, description="角色或所属部门不能执行该操作"),
    404: OpenApiResponse(ERROR_BODY, description="办件不存在或不在调用方的管辖范围内"),
}
CREATING_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(ERROR_BODY, description="invalid_transition：当前状态不允许该操作；"
                                                 "idempotency_key_in_progress：同一幂等键的请求仍在处理中"),
    422: OpenApiResponse(ERROR_BODY, description="idempotency_key_reused：同一幂等键已用于不同的请求内容"),
}
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="调用方生成的唯一键（建议 UUID）。同一键、同一请求内容的重试将原样返回首次的响应"
                f"（响应头 {REPLAYED_HEADER}: true），不会重复办理；同一键用于不同内容返回 422。",
)


def lifecycle_action(summary: str, request=None):
    """Schema of one POST action: its input, the case back, every error, the idempotency key."""
    return extend_schema(summary=summary, request=request, parameters=[IDEMPOTENCY_KEY],
                         responses={200: api.ApplicationDetailSerializer, **CREATING_ERRORS})


# --- The viewset ---------------------------------------------------------------------------------


class ApplicationFilter(django_filters.FilterSet):
    receipt_number = django_filters.CharFilter(field_name="receipt_number", label="办件编号")

    class Meta:
        model = Application
        fields = ["status", "current_step", "receipt_number"]


@extend_schema(tags=["办件"])
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """办件（applications）in the caller's region scope, and every step of their lifecycle.

    Authenticate with "Authorization: Token <token>". Each action returns the whole case.
    """

    # Token first: an anonymous call then answers 401 with "WWW-Authenticate: Token".
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]  # systems send JSON; the idempotency hash is over those bytes
    filterset_class = ApplicationFilter
    queryset = Application.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self):
        # Objects are found in the caller's *view* scope, as on the case page: someone who can see
        # the case but may not act on it (another department, the wrong role) is told why (403) by
        # the service, while a case outside the region does not exist for them (404).
        # ScopedViewSetMixin would use the narrower change scope for POSTs and turn those 403s
        # into 404s, so this viewset scopes for itself.
        queryset = Application.objects.restrict(self.request.user, VIEW).select_related("item_version")
        if self.action == "list":
            return queryset.select_related("department", "assignee").order_by("-created_at", "-pk")
        if self.action == "retrieve":
            return self._with_everything(queryset)
        return queryset  # actions: the service locks and re-reads the row itself

    @staticmethod
    def _with_everything(queryset):
        return queryset.select_related(
            "department", "assignee", "filed_by", "extension", "decision", "licence",
        ).prefetch_related("materials__reused_licence", "steps", "pauses", "notices", "subcases__department",
                           "subcases__assignee")

    def get_serializer_class(self):
        return api.ApplicationListSerializer if self.action == "list" else api.ApplicationDetailSerializer

    def handle_exception(self, exc):
        # The services speak Django; keep their Chinese reasons and give a refused move its 409.
        if isinstance(exc, TransitionRefused):
            exc = InvalidTransition(" ".join(exc.messages))
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        return super().handle_exception(exc)

    # --- Helpers ---

    def _input(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _detail(self, pk: int) -> dict:
        queryset = self._with_everything(Application.objects.restrict(self.request.user, VIEW))
        application = get_object_or_404(queryset, pk=pk)
        return api.ApplicationDetailSerializer(application, context=self.get_serializer_context()).data

    def _perform(self, serializer_class, perform) -> Response:
        """Find the case in scope (404), check the input's shape (400), call the service."""
        application = self.get_object()
        data = self._input(serializer_class) if serializer_class is not None else {}
        with transaction.atomic():
            perform(application, self.request.user, data)
        return Response(self._detail(application.pk))

    # --- Reading ---

    @extend_schema(summary="办件列表（按状态、当前环节、办件编号筛选）",
                   responses={200: api.ApplicationListSerializer, **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="办件详情：材料、办理环节、暂停计时、计时情况",
                   responses={200: api.ApplicationDetailSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    # --- Filing ---

    @extend_schema(summary="申报办件（建档，可同时登记材料并提交）", request=api.ApplicationCreateSerializer,
                   parameters=[IDEMPOTENCY_KEY],
                   responses={201: api.ApplicationDetailSerializer, **CREATING_ERRORS})
    @idempotent
    def create(self, request):
        user = request.user
        if not user.is_applicant and not user.has_role(Role.WINDOW_CLERK):
            raise exceptions.PermissionDenied("只有窗口人员或申请人本人可以申报办件。")
        data = self._input(api.ApplicationCreateSerializer)
        # The item must be one the caller could pick at the window (region scope), as on the screen.
        version = (ItemVersion.objects.in_force().restrict(user, VIEW)
                   .filter(implementation_code=data["item"]).first())
        if version is None:
            raise exceptions.NotFound("未找到该事项，或该事项不在您的受理范围内。")
        with transaction.atomic():
            application = services.start_application(
                version, actor=user, channel=Channel.API, subject_type=data["subject_type"],
                applicant_name=data["applicant_name"], identity_code=data["identity_code"],
                contact_phone=data["contact_phone"], contact_name=data["contact_name"],
                contact_email=data["contact_email"], form_data=data["form_data"],
            )
            _record_materials(application, user, data["materials"])
            if data["submit"]:
                services.submit_application(application, actor=user)
        return Response(self._detail(application.pk), status=status.HTTP_201_CREATED)

    @lifecycle_action("登记申请材料（受理前）", api.MaterialsSerializer)
    @action(detail=True, methods=["post"], url_path="materials")
    @idempotent
    def record_materials(self, request, pk=None):
        return self._perform(api.MaterialsSerializer, lambda application, user, data: _record_materials(
            application, user, data["materials"]))

    @lifecycle_action("提交申请（取得办件编号，进入预审）")
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, pk=None):
        return self._perform(None, lambda application, user, data: services.submit_application(
            application, actor=user))

    @lifecycle_action("提交补正材料（回到预审）")
    @action(detail=True, methods=["post"])
    @idempotent
    def resubmit(self, request, pk=None):
        return self._perform(None, lambda application, user, data: services.resubmit_application(
            application, actor=user))

    # --- Pre-review ---

    @lifecycle_action("受理", api.AcceptSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        return self._perform(api.AcceptSerializer, lambda application, user, data: services.accept_application(
            application, actor=user, opinion=data["opinion"]))

    @lifecycle_action("一次性告知补正材料", api.OneTimeNoticeSerializer)
    @action(detail=True, methods=["post"], url_path="one-time-notice")
    @idempotent
    def one_time_notice(self, request, pk=None):
        return self._perform(api.OneTimeNoticeSerializer, lambda application, user, data: (
            services.issue_one_time_notice(application, actor=user, items=data["items"])))

    @lifecycle_action("不予受理", api.ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="refuse-acceptance")
    @idempotent
    def refuse_acceptance(self, request, pk=None):
        return self._perform(api.ReasonSerializer, lambda application, user, data: services.refuse_acceptance(
            application, actor=user, reason=data["reason"]))

    # --- The chain ---

    @lifecycle_action("认领")
    @action(detail=True, methods=["post"])
    @idempotent
    def claim(self, request, pk=None):
        return self._perform(None, lambda application, user, data: services.claim_application(
            application, actor=user))

    @lifecycle_action("转办", api.TransferSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def transfer(self, request, pk=None):
        def perform(application, user, data):
            # Only colleagues of the handling department can be named; others do not exist here.
            to_user = User.objects.filter(username=data["to_username"], kind=UserKind.STAFF, is_active=True,
                                          department_id=application.department_id).first()
            if to_user is None:
                raise ValidationError({"to_username": ["办理部门中没有该工作人员。"]})
            services.transfer_application(application, actor=user, to_user=to_user, reason=data["reason"])

        return self._perform(api.TransferSerializer, perform)

    @lifecycle_action("办理通过，转下一环节（可声明实际办理时间）", api.CompleteStepSerializer)
    @action(detail=True, methods=["post"], url_path="complete-step")
    @idempotent
    def complete_step(self, request, pk=None):
        def perform(application, user, data):
            services.complete_step(application, actor=user, opinion=data["opinion"],
                                   claimed_acted_at=data["acted_at"])

        return self._perform(api.CompleteStepSerializer, perform)

    @lifecycle_action("退回上一环节", api.OpinionSerializer)
    @action(detail=True, methods=["post"], url_path="return-step")
    @idempotent
    def return_step(self, request, pk=None):
        return self._perform(api.OpinionSerializer, lambda application, user, data: services.return_step(
            application, actor=user, opinion=data["opinion"]))

    # --- The clock ---

    @lifecycle_action("暂停计时（补正材料、特殊环节）", api.PauseSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def pause(self, request, pk=None):
        return self._perform(api.PauseSerializer, lambda application, user, data: services.pause_clock(
            application, actor=user, reason=data["reason"], note=data["note"]))

    @lifecycle_action("恢复计时")
    @action(detail=True, methods=["post"])
    @idempotent
    def resume(self, request, pk=None):
        return self._perform(None, lambda application, user, data: services.resume_clock(
            application, actor=user))

    @lifecycle_action("延期（每件限一次）", api.ExtendSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def extend(self, request, pk=None):
        return self._perform(api.ExtendSerializer, lambda application, user, data: services.extend_deadline(
            application, actor=user, days=data["days"], reason=data["reason"]))

    # --- Joint approval: the participating departments' sub-cases ---

    def _perform_on_subcase(self, sub_id: str, serializer_class, perform) -> Response:
        """The case in scope (404), its sub-case in scope (404), the input (400), the service."""
        application = self.get_object()
        subcase = get_object_or_404(SubCase.objects.restrict(self.request.user, VIEW),
                                    pk=sub_id, application_id=application.pk)
        data = self._input(serializer_class) if serializer_class is not None else {}
        with transaction.atomic():
            perform(subcase, self.request.user, data)
        return Response(self._detail(application.pk))

    @lifecycle_action("认领协办件（协办部门）")
    @action(detail=True, methods=["post"], url_path=r"subcases/(?P<sub_id>[0-9]+)/claim")
    @idempotent
    def claim_subcase(self, request, pk=None, sub_id=None):
        return self._perform_on_subcase(sub_id, None, lambda subcase, user, data: services.claim_subcase(
            subcase, actor=user))

    @lifecycle_action("出具协办意见（协办部门：同意或不同意）", api.SubCaseConcludeSerializer)
    @action(detail=True, methods=["post"], url_path=r"subcases/(?P<sub_id>[0-9]+)/conclude")
    @idempotent
    def conclude_subcase(self, request, pk=None, sub_id=None):
        return self._perform_on_subcase(sub_id, api.SubCaseConcludeSerializer, lambda subcase, user, data: (
            services.conclude_subcase(subcase, actor=user, opinion=data["opinion"],
                                      opinion_text=data["opinion_text"])))

    # --- Decision, conclusion, leaving ---

    @lifecycle_action("作出准予或不予许可决定", api.DecideSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def decide(self, request, pk=None):
        return self._perform(api.DecideSerializer, lambda application, user, data: services.decide(
            application, actor=user, outcome=data["outcome"], reasons=data["reasons"]))

    @lifecycle_action("办结（送达决定，准予许可的发放电子证照）", api.ConcludeSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def conclude(self, request, pk=None):
        return self._perform(api.ConcludeSerializer, lambda application, user, data: (
            services.conclude_application(application, actor=user, served_method=data["served_method"],
                                          valid_years=data["valid_years"], scope=data["licence_scope"])))

    @lifecycle_action("撤回申请（申请人）", api.ReasonSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request, pk=None):
        return self._perform(api.ReasonSerializer, lambda application, user, data: services.withdraw_application(
            application, actor=user, reason=data["reason"]))

    @lifecycle_action("终止办理", api.ReasonSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def terminate(self, request, pk=None):
        return self._perform(api.ReasonSerializer, lambda application, user, data: (
            services.terminate_application(application, actor=user, reason=data["reason"])))


# --- Pieces the actions share ----------------------------------------------------------------------


def _record_materials(application: Application, actor, materials: list[dict]) -> None:
    """Tick the listed materials of the checklist through the service, as the window does."""
    if not materials:
        return
    if not actor.is_applicant and not actor.has_role(Role.WINDOW_CLERK):
        raise DjangoPermissionDenied("只有窗口人员或申请人本人可以登记申请材料。")
    checklist = {material.position: material for material in application.materials.all()}
    unknown = sorted(material["position"] for material in materials if material["position"] not in checklist)
    if unknown:
        positions = "、".join(str(position) for position in unknown)
        raise ValidationError({"materials": [f"该事项的材料清单中没有序号 {positions}。"]})
    for material in materials:
        already_reused = checklist[material["position"]].state == MaterialState.REUSED
        if already_reused and material["state"] == MaterialState.PROVIDED:
            continue  # already fetched from the licence library (证照复用); the window skips it too
        services.record_material(application, material["position"], actor=actor, state=material["state"],
                                 note=material["note"])
