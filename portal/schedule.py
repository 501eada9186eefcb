"""What beat runs, declared in one table (PostHog's ``scheduled.py``): crontab entries whose
``expires`` is just under their period, so a backlog never piles up duplicate runs.

``manage.py setup_schedule`` writes this table into django-celery-beat (idempotently); admins may
pause an entry there, and its next run of the command leaves a paused entry paused.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    minute: str = "*"
    hour: str = "*"
    expires_seconds: int = 55


SCHEDULE = [
    # Licences: renewal reminders 60 and 40 days before expiry (art. 50), and expiry.
    Entry("approvals: licence sweep", "approvals.tasks.licence_sweep", minute="30", hour="6",
          expires_seconds=23 * 3600),
    # Deliver the outbox: must-not-lose side effects (notifications, documents, regulator pushes).
    Entry("outbox: drain", "portal.outbox.tasks.drain_outbox", minute="*", expires_seconds=55),
    # Retention: delivered outbox messages after OUTBOX_DELIVERED_RETENTION_DAYS (never waiting or dead ones).
    Entry("outbox: purge delivered", "portal.outbox.tasks.purge_delivered_outbox", minute="50", hour="4",
          expires_seconds=23 * 3600),
    # Retention: idempotency keys after IDEMPOTENCY_KEY_RETENTION_DAYS (a later retry runs as a new call).
    Entry("idempotency: purge expired keys", "portal.tasks.purge_idempotency_keys", minute="20", hour="4",
          expires_seconds=23 * 3600),
    # Files written by an upload whose caller's transaction rolled back (storage is not transactional).
    Entry("uploads: remove orphaned files", "portal.uploads.tasks.remove_orphaned_files", minute="40", hour="4",
          expires_seconds=23 * 3600),
    # Administrative Licensing Law art. 32: filings left in pre-review are deemed accepted.
    Entry("approvals: deemed acceptance", "approvals.tasks.deem_overdue_filings_accepted", minute="7",
          expires_seconds=55 * 60),
    # Bad reviews: rectifications past their working-day deadline are marked overdue and warned once.
    Entry("rectification: overdue sweep", "supervision.rectification.tasks.sweep_overdue_rectifications",
          minute="12", expires_seconds=55 * 60),
    # Seal the audit chains into the global chain and a signed file outside the database.
    Entry("audit: seal chains", "portal.audit.tasks.seal_audit_chain", minute="*/5", expires_seconds=290),
    # Electronic monitoring: yellow/red time-limit lights, raised and cleared (DOMAIN.md §5).
    Entry("supervision: time-limit sweep", "supervision.tasks.sweep_time_limits", minute="*/5",
          expires_seconds=290),
    # Efficiency (DOMAIN.md §5): the dashboards' rollups of the days touched since the last refresh;
    # the last two months recomputed whole at night; last month's scores and public ranking.
    Entry("efficiency: refresh rollups", "supervision.efficiency.tasks.refresh_rollups", minute="*/10",
          expires_seconds=590),
    Entry("efficiency: recompute recent rollups", "supervision.efficiency.tasks.recompute_recent_rollups",
          minute="10", hour="2", expires_seconds=23 * 3600),
    Entry("efficiency: monthly scores", "supervision.efficiency.tasks.ensure_monthly_runs", minute="30", hour="2",
          expires_seconds=23 * 3600),
    # Keep the working-day table two years ahead (weekends-only, provisional, until published).
    Entry("workdays: extend calendar", "portal.workdays.tasks.extend_calendar", minute="15", hour="3",
          expires_seconds=23 * 3600),
    # Key events (DOMAIN.md §5): 不予受理, 不予许可, 补正告知, 视为受理, 延期 into the ledger.
    Entry("conduct: key events", "supervision.conduct.tasks.sweep_key_events", minute="*/15",
          expires_seconds=14 * 60),
    # Off-system processing (体外循环): every enabled rule, flags unique per rule, step and parameters.
    Entry("conduct: off-system rules", "supervision.conduct.tasks.sweep_conduct_rules", minute="25",
          expires_seconds=55 * 60),
]
