"""Idempotency keys on creating API calls (DOMAIN.md §10: departments' systems retry, and a retry
must not file a second application or take a second decision).

A caller sends ``Idempotency-Key: <its own unique string>`` with a POST. The first call runs the
view inside one transaction and stores its answer beside the key; a repeat with the same key and
the same body gets the stored answer back, marked ``Idempotent-Replayed: true``, and nothing runs
again. The same key with another body (or on another endpoint) is a caller's bug and answers 422
``idempotency_key_reused``.

Concurrent duplicates: the key row is inserted *first*, inside the transaction that does the work.
The unique constraint on (user, key) makes a second insert of the same key wait until the first
transaction ends (PostgreSQL waits on the uncommitted row; SQLite's immediate transactions
serialise writers). If the first commits, the second gets an IntegrityError and replays the
stored answer; if it rolls back, the second runs. The wait is bounded by ``CONCURRENT_WAIT``;
past it the caller gets 409 ``idempotency_key_in_progress`` and may retry later.

Only successful answers (2xx) are stored. A refused call (400, 403, 404, 409) changed nothing —
the key row rolls back with everything else — so retrying it with the same key simply runs again.

Keys are kept for ``settings.IDEMPOTENCY_KEY_RETENTION_DAYS`` (7 by default), then purged by a
daily task (``purge_expired_keys``): a retry within that window is recognised, a call after it
with an old key runs as a new call. Callers retry within minutes or hours, not weeks.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from portal.models import KEY_MAX_LENGTH, IdempotentRequest
from portal.purging import PURGE_BATCH_SIZE, purge_in_batches

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII without spaces: UUIDs, ULIDs and "system-id:record-id" all fit.
KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}")
# How long a duplicate waits for the first call with its key to finish before answering 409.
CONCURRENT_WAIT = timedelta(seconds=10)
# PostgreSQL's SQLSTATE for lock_timeout expiring (lock_not_available).
LOCK_NOT_AVAILABLE = "55P03"
PURGED_EVENT = "idempotency.keys.purged"


class IdempotencyKeyInvalid(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_invalid"
    default_detail = f"{HEADER} 须为 1 至 {KEY_MAX_LENGTH} 个可打印 ASCII 字符（不含空格），建议使用 UUID。"


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "该幂等键已用于内容不同的另一请求；新的请求请使用新的幂等键。"


class IdempotencyKeyInProgress(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"
    default_detail = "使用该幂等键的请求仍在处理中，请稍后用同一幂等键重试。"


def idempotent(view_method: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate a DRF view method (``create`` or an ``@action``) to honour ``Idempotency-Key``.

    Without the header the view runs as usual. DRF has authenticated the caller before the view
    method runs, so keys are per caller: two systems cannot collide, or read each other's answers.
    """

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        if not KEY_PATTERN.fullmatch(key):
            raise IdempotencyKeyInvalid()
        fingerprint = _fingerprint(request)
        stored = IdempotentRequest.objects.filter(user=request.user, key=key).first()
        if stored is not None:
            return _replay(stored, fingerprint)
        with transaction.atomic():
            try:
                with transaction.atomic(), _waiting_at_most(CONCURRENT_WAIT):
                    record = IdempotentRequest.objects.create(user=request.user, key=key, **fingerprint)
            except IntegrityError:
                # A concurrent call with this key committed while we waited: answer as it did.
                return _replay(IdempotentRequest.objects.get(user=request.user, key=key), fingerprint)
            except OperationalError as error:
                if _sqlstate(error) == LOCK_NOT_AVAILABLE:
                    raise IdempotencyKeyInProgress() from error
                raise
            response = view_method(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)  # nothing is kept, the key included
                return response
            record.response_status = response.status_code
            record.response_body = _as_json(response.data)
            record.save(update_fields=["response_status", "response_body"])
            return response

    return wrapper


def _fingerprint(request) -> dict[str, str]:
    """What makes two calls "the same": method, path and the SHA-256 of the body as sent."""
    try:
        body = request.body
    except RawPostDataException:
        # The body was consumed as a multipart stream; hash its parsed form, canonically ordered.
        body = json.dumps(request.data, sort_keys=True, default=str, ensure_ascii=False).encode("utf-8")
    return {
        "method": request.method,
        "path": request.path[:255],
        "request_hash": hashlib.sha256(body or b"").hexdigest(),
    }


def _replay(stored: IdempotentRequest, fingerprint: dict[str, str]) -> Response:
    if any(getattr(stored, name) != value for name, value in fingerprint.items()):
        raise IdempotencyKeyReused()
    if stored.response_status is None:  # not reachable for committed rows; kept as a safe answer
        raise IdempotencyKeyInProgress()
    return Response(stored.response_body, status=stored.response_status, headers={REPLAYED_HEADER: "true"})


def _as_json(data: Any) -> Any:
    """The body exactly as the JSON renderer wrote it (dates as strings, lazy text resolved)."""
    return json.loads(JSONRenderer().render(data))


@contextlib.contextmanager
def _waiting_at_most(wait: timedelta) -> Iterator[None]:
    """Bound the wait on a concurrent duplicate's uncommitted key row (PostgreSQL).

    ``set_config(..., true)`` is local to the transaction; used inside a savepoint, an error
    rolls the setting back with the savepoint, and success restores the previous value, so the
    view's own row locks keep the server's normal timeout.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(wait.total_seconds() * 1000)}ms"])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _sqlstate(error: BaseException) -> str | None:
    cause = error.__cause__
    return getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)


def purge_expired_keys(*, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete the keys older than ``settings.IDEMPOTENCY_KEY_RETENTION_DAYS``; return how many.

    Daily, from beat; in batches (``portal.purging``), read from the ``created_at`` index. A key
    is only ever read to answer a retry, so once past the window nothing depends on it.
    """
    retention_days = settings.IDEMPOTENCY_KEY_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    return purge_in_batches(
        IdempotentRequest.objects.filter(created_at__lt=cutoff),
        event_type=PURGED_EVENT,
        data={"created_before": timezone.localtime(cutoff).isoformat(), "retention_days": retention_days},
        batch_size=batch_size,
    )
