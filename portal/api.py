"""Base pieces of the API: the scoped viewset every endpoint uses, and structured errors.

Every error answers ``{"error": {"code": …, "message": …, "fields": {…}}}`` so that a
department's system can act on it without parsing prose; ``message`` is Chinese, like the UI.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.scoping import CHANGE, VIEW


class ScopedViewSetMixin:
    """Restricts the queryset to what the requesting user may see (or change, for writes)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        action = VIEW if self.request.method in ("GET", "HEAD", "OPTIONS") else CHANGE
        return queryset.restrict(self.request.user, action)


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("未找到该对象，或您无权访问。")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        body = {"error": {"code": "invalid", "message": "提交的数据有误，请按字段提示修改。", "fields": fields}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        body = {"error": {"code": code, "message": str(detail)}}
    return Response(body, status=response.status_code, headers=getattr(response, "headers", None))
