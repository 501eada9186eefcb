"""Every change to monitoring data: the time-limit sweep, the item thresholds, the re-sweep after a
calendar year is published (DOMAIN.md §5, TIME_RULES.md §6–8, §11).

The sweep is level-triggered: each run recomputes from the database which cases have crossed
which line, inserts the warnings they lack (unique per case, colour and deadline epoch, by
constraint) and clears those whose line no longer holds. A missed run is caught up by the next; a
doubled or concurrent run inserts nothing twice; a run killed half-way commits nothing but its
start record. New warnings are announced through the outbox in the same transaction, so a
warning exists exactly when its notification is on its way.
"""

from __future__ import annotations

import logging
import statistics
import time
from datetime import date, datetime
from datetime import time as clock_time

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from approvals import services as approvals
from approvals.clock import BEIJING
from approvals.querysets import running_clock_count
from portal.audit.services import record_change, record_event, snapshot
from portal.organisation.choices import Role
from portal.outbox import services as outbox
from portal.scoping import CHANGE, ensure_can
from supervision import querysets
from supervision.choices import SweepTrigger, WarningColour
from supervision.models import MAX_YELLOW_DAYS, SweepRun, WarningThreshold

logger = logging.getLogger(__name__)

# The outbox kind whose handler is ``supervision.notices.deliver_warning_notices``: one message per
# department and sweep run, announcing that run's new warnings of that department.
NOTICE_KIND = "supervision.warning_notices"
# All sweeps append to one audit chain: their records read as one history.
SWEEP_AUDIT_CHAIN = "supervision.sweeps"
# pg_advisory_xact_lock(namespace, key): "SUPV", "SWEP". Sweeps take turns: two at once would
# insert the same rows in different orders and could deadlock on the unique index.
SWEEP_LOCK = (0x53555056, 0x53574550)
THRESHOLD_FIELDS = ["item", "yellow_percent", "yellow_days"]


def today() -> date:
    """The Beijing date, as the approvals clock counts it (TIME_RULES.md §1)."""
    return approvals.today()


# --- The sweep -------------------------------------------------------------------------------------


def _serialise_sweeps() -> None:
    """Hold the sweep lock until the transaction ends (PostgreSQL; on SQLite the IMMEDIATE
    transaction already serialises writers)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(SWEEP_LOCK))


def _lag_seconds(raised_at: datetime, crossed_on: date) -> float:
    """How long after the start (Beijing midnight) of the day the case crossed its line."""
    return (raised_at - datetime.combine(crossed_on, clock_time.min, tzinfo=BEIJING)).total_seconds()


def start_sweep_run(*, on: date, trigger: str) -> SweepRun:
    """Record that a sweep of ``on`` has started, committed at once (outside the sweep's own
    transaction when called outside one): if the worker dies, the health page shows a run that
    started and never finished."""
    return SweepRun.objects.create(swept_on=on, trigger=trigger)


def sweep_time_limits(*, on: date | None = None, trigger: str = SweepTrigger.SCHEDULE) -> SweepRun:
    """Raise the yellow, red and statutory warnings every running clock lacks on ``on`` (today by
    default), clear those no longer holding, announce the new ones; return the run's record.

    Two statements over the cases (``supervision.querysets``), whatever their number. The run's
    start is committed first, so that a run whose worker dies shows on the health page as started
    and never finished; everything else commits together or not at all.
    """
    on = on or today()
    started = time.monotonic()
    run = start_sweep_run(on=on, trigger=trigger)
    with transaction.atomic():
        _serialise_sweeps()
        scanned = running_clock_count()
        raised_at = timezone.now()
        raised: list[querysets.RaisedWarning] = []
        cleared = 0
        for source in querysets.clock_sources():
            raised += querysets.raise_warnings(source, on=on, run_id=run.pk, raised_at=raised_at)
            cleared += querysets.clear_warnings(source, on=on, run_id=run.pk, cleared_at=raised_at)
        # Red → supervision notice: today's drafts gain the newly red cases (DOMAIN.md §5).
        from supervision.notice_services import draft_supervision_notices

        drafted = draft_supervision_notices(on=on, now=raised_at)
        for department_id in sorted({warning.department_id for warning in raised}):
            outbox.enqueue(NOTICE_KIND, key=f"supervision.sweep:{run.pk}:department:{department_id}",
                           payload={"sweep_run": run.pk, "department": department_id})
        counts = {colour.value: sum(1 for warning in raised if warning.colour == colour) for colour in WarningColour}
        lags = [_lag_seconds(raised_at, warning.crossed_on) for warning in raised]
        finished = {
            "finished_at": timezone.now(),
            "duration_ms": int((time.monotonic() - started) * 1000),
            "cases_scanned": scanned,
            "yellow_raised": counts[WarningColour.YELLOW.value],
            "red_raised": counts[WarningColour.RED.value],
            "statutory_raised": counts[WarningColour.STATUTORY.value],
            "cleared": cleared,
            "lag_max_seconds": max(lags) if lags else None,
            "lag_avg_seconds": statistics.fmean(lags) if lags else None,
        }
        # Conditional: a run is completed once (its row is ours alone, but say so in SQL).
        SweepRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(**finished)
        if raised or cleared or drafted:
            record_event("supervision.sweep.completed", actor=None, target=run, chain=SWEEP_AUDIT_CHAIN,
                         data={"swept_on": on, "trigger": str(trigger), "cases_scanned": scanned,
                               "raised": counts, "cleared": cleared,
                               "notice_items_drafted": sum(drafted.values())})
    for name, value in finished.items():
        setattr(run, name, value)
    logger.info("time-limit sweep %s on %s: %d cases, raised %s, cleared %d in %d ms", run.pk, on, scanned,
                counts, cleared, finished["duration_ms"])
    return run


def resweep_after_publication(year: int) -> None:
    """``WORKDAY_PUBLISHED_HOOKS`` entry (TIME_RULES.md §11): once a year's holidays are published,
    recompute the provisional deadlines (approvals' service), then re-evaluate every light on the
    recomputed deadlines. Idempotent: run again, it changes nothing."""
    changed = approvals.recompute_provisional_deadlines()
    logger.info("calendar year %s published: %d provisional deadlines recomputed", year, changed)
    sweep_time_limits(trigger=SweepTrigger.PUBLICATION)


# --- Thresholds ------------------------------------------------------------------------------------


def _validate_threshold(yellow_percent: int, yellow_days: int) -> None:
    errors = {}
    if not 0 <= yellow_percent <= 100:
        errors["yellow_percent"] = ["黄牌预警比例应在 0 至 100 之间。"]
    if not 0 <= yellow_days <= MAX_YELLOW_DAYS:
        errors["yellow_days"] = [f"黄牌预警天数应在 0 至 {MAX_YELLOW_DAYS} 个工作日之间。"]
    if yellow_percent == 0 and yellow_days == 0:
        errors["yellow_days"] = ["比例和天数不能同时为 0：这样只有到期当日才亮黄牌。"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_warning_threshold(item, *, yellow_percent: int, yellow_days: int, actor) -> WarningThreshold:
    """Set an item's yellow threshold apart from the default (admins of the item's region). The
    next sweep applies it: a case newly inside the band turns yellow, one outside it is cleared."""
    ensure_can(actor, item, CHANGE, roles=(Role.ADMIN,))
    _validate_threshold(yellow_percent, yellow_days)
    threshold = WarningThreshold.objects.select_for_update().filter(item=item).first()
    before = snapshot(threshold, THRESHOLD_FIELDS) if threshold else None
    if threshold is None:
        threshold = WarningThreshold(item=item)
    threshold.yellow_percent, threshold.yellow_days = yellow_percent, yellow_days
    threshold.save()
    record_change(threshold, actor=actor, event_type="supervision.threshold.saved", before=before,
                  fields=THRESHOLD_FIELDS)
    return threshold


@transaction.atomic
def delete_warning_threshold(threshold: WarningThreshold, *, actor) -> None:
    """Return an item to the default threshold."""
    ensure_can(actor, threshold.item, CHANGE, roles=(Role.ADMIN,))
    locked = WarningThreshold.objects.select_for_update().get(pk=threshold.pk)
    before = snapshot(locked, THRESHOLD_FIELDS)
    record_event("supervision.threshold.deleted", actor=actor, target=locked.item,
                 changes={name: [value, None] for name, value in before.items()})
    locked.delete()
