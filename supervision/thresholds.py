"""When a case turns yellow, red or passes its statutory limit: the rule in Python (TIME_RULES.md §6–7).

The sweep classifies a million cases in SQL (``supervision.querysets``); this module states the
same rule over ``approvals.clock.Clock`` so that screens and tests can ask it of one case, and a
test proves the two agree case by case.

- **Yellow** when the working days remaining on the promised limit in force (with an extension)
  are at most ``percent``% of that limit, or at most ``days`` — whichever comes first, i.e. the
  larger of the two thresholds. "At most 20 % of 20" is at most 4 (TIME_RULES example 3); for a
  fractional share, remaining ≤ 20 % × limit holds for whole days up to its floor (limit 12 → 2).
  Never for a 即办件 (promised limit 0, §7).
- **Red** the first calendar day after the promised due date (``Clock.overdue``): a 即办件 not
  concluded on its day of acceptance turns red the next day.
- **Statutory** the first day after the statutory due date, a separate key event (§6).

A case that is red is not raised yellow as well (it went straight past); one that was yellow
keeps its yellow warning when it turns red. The lights hold while the clock is paused.
"""

from dataclasses import dataclass

from approvals.clock import Clock
from supervision.choices import WarningColour

DEFAULT_YELLOW_PERCENT = 20
DEFAULT_YELLOW_DAYS = 2


@dataclass(frozen=True)
class Threshold:
    """The yellow threshold of an item (``WarningThreshold``), or the portal's default."""

    percent: int = DEFAULT_YELLOW_PERCENT
    days: int = DEFAULT_YELLOW_DAYS

    def yellow_days(self, limit: int) -> int:
        """Remaining working days at or below which a case on ``limit`` days is yellow."""
        return max(self.percent * limit // 100, self.days)


DEFAULT_THRESHOLD = Threshold()


def yellow_holds(clock: Clock, threshold: Threshold = DEFAULT_THRESHOLD) -> bool:
    """Within the yellow band or past it (remaining at or below the threshold)."""
    return clock.promised_limit > 0 and clock.remaining <= threshold.yellow_days(clock.limit)


def red_holds(clock: Clock) -> bool:
    return clock.overdue


def statutory_holds(clock: Clock) -> bool:
    return clock.past_statutory_limit


def colours_holding(clock: Clock, threshold: Threshold = DEFAULT_THRESHOLD) -> set[str]:
    """Every colour whose line the case has crossed, as the sweep keeps (does not clear) them."""
    holding = set()
    if yellow_holds(clock, threshold):
        holding.add(WarningColour.YELLOW.value)
    if red_holds(clock):
        holding.add(WarningColour.RED.value)
    if statutory_holds(clock):
        holding.add(WarningColour.STATUTORY.value)
    return holding


def colours_to_raise(clock: Clock, threshold: Threshold = DEFAULT_THRESHOLD) -> set[str]:
    """The colours a sweep on ``clock.today`` raises if not raised yet in this deadline epoch."""
    holding = colours_holding(clock, threshold)
    if WarningColour.RED.value in holding:
        holding.discard(WarningColour.YELLOW.value)
    return holding


def subcase_colours_holding(clock: Clock, threshold: Threshold = DEFAULT_THRESHOLD) -> set[str]:
    """A joint case's sub-case (TIME_RULES §10): yellow and red on its own promised limit; the
    statutory limit is the case's alone, so a sub-case never carries that colour."""
    return colours_holding(clock, threshold) - {WarningColour.STATUTORY.value}


def subcase_colours_to_raise(clock: Clock, threshold: Threshold = DEFAULT_THRESHOLD) -> set[str]:
    return colours_to_raise(clock, threshold) - {WarningColour.STATUTORY.value}
