"""Who is acting and from where, carried through ``contextvars`` (safe under threads and async).

The middleware sets it per request; Celery tasks and management commands set it with
``acting_as(...)``; the audit trail reads it when a service does not pass the values itself.
"""

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    remote_address: str = ""
    channel: str = "web"  # web, api, task, command, import


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request", default=None
)


def current() -> RequestContext | None:
    return _current.get()


@contextlib.contextmanager
def acting_as(
    channel: str, *, request_id: str | None = None, remote_address: str = ""
) -> Iterator[RequestContext]:
    context = RequestContext(
        request_id=request_id or uuid.uuid4().hex, remote_address=remote_address, channel=channel
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
