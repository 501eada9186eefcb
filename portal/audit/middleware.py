"""Sets the audit request context for each HTTP request."""

import uuid

from portal.audit.context import RequestContext, _current


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        channel = "api" if request.path.startswith("/api/") else "web"
        context = RequestContext(
            request_id=request_id[:64], remote_address=request.META.get("REMOTE_ADDR", ""), channel=channel
        )
        request.request_id = context.request_id
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = context.request_id
        return response
