"""When a system says an act happened, beside when the server recorded it (DOMAIN.md §4, §10).

The server's clock is the record's clock. A department's own system may claim the time an act
really happened (``claimed_acted_at``); the claim is stored on the step beside the recorded time,
and a gap beyond ``settings.CLAIMED_TIME_GAP_LIMIT_MINUTES`` (two hours by default) is written to
the audit trail as a sign of off-system processing (体外循环: work done outside the platform and
entered late to dodge the time-limit monitor, "录入时间与实际办理时间不同步").

The rule lives here, once, and is applied by ``approvals.services`` wherever a step is recorded
with a claim, so the API, the screens and any import are held to the same limit. The flag is the
audit entry (``CLAIMED_TIME_GAP_EVENT`` on the application, append-only): ``Step`` has no column
for it, and adding one needs a migration in ``approvals``.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.audit.services import record_event

CLAIMED_TIME_GAP_EVENT = "approvals.claimed_time_gap"
# Clocks of two systems drift a little; an acting time claimed further ahead is simply wrong.
FUTURE_TOLERANCE = timedelta(minutes=5)


def gap_limit() -> timedelta:
    """How far a claimed acting time may lie from the recorded one before it is flagged."""
    return timedelta(minutes=settings.CLAIMED_TIME_GAP_LIMIT_MINUTES)


def validate_claimed_time(claimed: datetime | None, *, recorded_at: datetime) -> None:
    """Refuse a claim that cannot be true: without a time zone (it could be any zone), or later
    than the moment it is recorded (beyond the clock drift ``FUTURE_TOLERANCE`` allows)."""
    if claimed is None:
        return
    if not isinstance(claimed, datetime) or timezone.is_naive(claimed):
        raise ValidationError({"claimed_acted_at": ["时间须带时区，例如 2025-09-23T10:00:00+08:00。"]})
    if claimed > recorded_at + FUTURE_TOLERANCE:
        raise ValidationError({"claimed_acted_at": ["办理时间不能晚于当前时间。"]})


def flag_claimed_time_gap(step, *, actor) -> bool:
    """Audit ``step`` when its claimed acting time lies further than ``gap_limit()`` from the
    time it was recorded; return whether it was flagged.

    Call inside the transaction that records the step, so the flag exists exactly when it does.
    """
    if step.claimed_acted_at is None:
        return False
    limit = gap_limit()
    gap = step.acted_at - step.claimed_acted_at
    if abs(gap) <= limit:
        return False
    record_event(CLAIMED_TIME_GAP_EVENT, actor=actor, target=step.application, data={
        "claimed": timezone.localtime(step.claimed_acted_at).isoformat(),
        "recorded": timezone.localtime(step.acted_at).isoformat(),
        "gap_seconds": int(gap.total_seconds()),
        "step": step.kind,
        "limit_seconds": int(limit.total_seconds()),
    })
    return True
