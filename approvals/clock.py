"""The working-day clock of an application, exactly as ``shared/TIME_RULES.md`` states it.

Pure functions of dates: the screens, the sweep's cross-check, the documents and the tests all
call these, so every figure agrees. Conventions (TIME_RULES numbers in brackets):

- counting is (start, end]: the day of an event is not counted [3];
- materials received on a non-working day or after office hours count as received on the next
  working day [4];
- time used = working days in (accepted, today] minus working days in every (paused, resumed]
  interval; the day a pause starts counts as used, the day it ends does not [5];
- the promised limit drives the lights; the statutory limit is a separate, graver line [6];
- 即办件 (promise 0) is due on the day of acceptance [7];
- one extension moves both deadlines and starts a new deadline epoch [8];
- deemed acceptance: five working days after receipt without a one-time notice, accepted as of
  the receipt date [9];
- a year without a published schedule skips weekends only; results are marked provisional [11].
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from portal.workdays import (
    CalendarDate,
    add_working_days,
    is_working_day,
    next_working_day,
    working_days_between,
)

BEIJING = ZoneInfo("Asia/Shanghai")
# After this local time, materials count as received on the next working day (TIME_RULES §4).
OFFICE_CLOSES_AT = time(17, 30)
# Administrative Licensing Law art. 32: the one-time notice is due within five (working) days.
ONE_TIME_NOTICE_DAYS = 5
# Art. 44: the licence is issued within ten working days of the decision.
LICENCE_ISSUE_DAYS = 10
# Art. 42: one extension of at most ten working days; joint handling (45 days) at most fifteen.
MAX_EXTENSION_DAYS = 10
MAX_JOINT_EXTENSION_DAYS = 15


def beijing_date(moment: datetime) -> date:
    """The Beijing calendar day of a timestamp (TIME_RULES §1)."""
    return moment.astimezone(BEIJING).date()


def received_on(moment: datetime) -> CalendarDate:
    """The day materials count as received: the next working day after a holiday or after hours."""
    local = moment.astimezone(BEIJING)
    day = local.date()
    if is_working_day(day) and local.time() < OFFICE_CLOSES_AT:
        return add_working_days(day, 0)  # that very day, as a CalendarDate
    return next_working_day(day)


def deemed_acceptance_due(received: date) -> CalendarDate:
    """The last day for the one-time notice; the day after it, the filing is deemed accepted."""
    return add_working_days(received, ONE_TIME_NOTICE_DAYS)


def licence_issue_due(decided: date) -> CalendarDate:
    return add_working_days(decided, LICENCE_ISSUE_DAYS)


@dataclass(frozen=True)
class Pause:
    started_on: date
    ended_on: date | None  # None: still paused
    reason: str = ""

    def working_days(self, today: date) -> int:
        """Working days the pause removes from the clock: (started, ended] (or up to today)."""
        end = self.ended_on if self.ended_on is not None else today
        return max(0, working_days_between(self.started_on, end))


@dataclass(frozen=True)
class Clock:
    """Where an accepted application stands on its working-day clock on ``today``."""

    accepted_on: date
    promised_limit: int
    statutory_limit: int
    today: date
    pauses: Sequence[Pause] = field(default_factory=tuple)
    extension_days: int = 0

    @property
    def paused_days(self) -> int:
        return sum(pause.working_days(self.today) for pause in self.pauses)

    @property
    def is_paused(self) -> bool:
        return any(pause.ended_on is None for pause in self.pauses)

    @property
    def elapsed(self) -> int:
        """Working days in (accepted, today], before removing pauses."""
        return max(0, working_days_between(self.accepted_on, self.today))

    @property
    def used(self) -> int:
        return max(0, self.elapsed - self.paused_days)

    @property
    def limit(self) -> int:
        """The promised limit in force, including an extension."""
        return self.promised_limit + self.extension_days

    @property
    def remaining(self) -> int:
        """Working days left on the promised limit (negative when overdue)."""
        return self.limit - self.used

    def _due(self, days: int) -> CalendarDate:
        # Closed pauses push the deadline back by their working days; an open pause is counted up
        # to today, so the date shown is "if work resumed today".
        return add_working_days(self.accepted_on, days + self.paused_days)

    @property
    def promised_due(self) -> CalendarDate:
        return self._due(self.limit)

    @property
    def statutory_due(self) -> CalendarDate:
        return self._due(self.statutory_limit + self.extension_days)

    @property
    def provisional(self) -> bool:
        return self.promised_due.provisional or self.statutory_due.provisional

    @property
    def overdue(self) -> bool:
        """Past the promised limit. 即办件 is due on its acceptance day (TIME_RULES §7)."""
        return self.today > self.promised_due

    @property
    def past_statutory_limit(self) -> bool:
        return self.today > self.statutory_due

    def explain(self) -> str:
        """One sentence a clerk, an applicant or a supervisor can check by hand."""
        parts = [f"已用 {self.used} / {self.limit} 个工作日"]
        if self.extension_days:
            parts.append(f"含延期 {self.extension_days} 个工作日")
        for pause in self.pauses:
            end = f"至 {pause.ended_on:%Y-%m-%d}" if pause.ended_on else "至今"
            parts.append(f"因{pause.reason or '暂停'}暂停计时 {pause.working_days(self.today)} 个工作日（自 "
                         f"{pause.started_on:%Y-%m-%d} {end}）")
        parts.append(f"承诺办结日 {self.promised_due:%Y-%m-%d}，法定期限 {self.statutory_due:%Y-%m-%d}")
        if self.provisional:
            parts.append("（跨越尚未发布节假日安排的年度，日期为临时值）")
        return "；".join(parts) + "。"


def pauses_until(pauses: Iterable[Pause], end: date | None) -> tuple[Pause, ...]:
    """The pauses as a clock that stopped on ``end`` sees them (a joint case's sub-case stops when
    its department gives its opinion, while the case's later pauses go on): later pauses drop
    out, one still running on ``end`` is cut there. ``end`` None: the clock still runs."""
    if end is None:
        return tuple(pauses)
    return tuple(
        Pause(pause.started_on, end if pause.ended_on is None or pause.ended_on > end else pause.ended_on,
              pause.reason)
        for pause in pauses
        if pause.started_on < end
    )


def pauses_from(rows: Iterable[tuple[date, date | None, str]]) -> tuple[Pause, ...]:
    return tuple(Pause(started, ended, reason) for started, ended, reason in rows)
