"""The scoring formula: from a subject's figures and a rule version to points, explained.

Each indicator turns its figure into a share between 0 and 1:

- 提前办结率 early completion   = early / concluded
- 按时办结率 on time             = on time / concluded
- 超期件数 overdue               = 1 − overdue / tolerance (at least 0)
- 满意率 satisfaction            = ratings at or above the satisfied level / ratings
- 时限压缩率 compression         = (1 − promised / statutory) / target (at most 1)
- 网上办理率 online              = (online / accepted) / target (at most 1)
- 补正率 supplementary materials = 1 − (with notice / accepted) / tolerance (at least 0)

An indicator without a denominator in the period (no case concluded, rated or accepted) does not
apply, and its weight goes to the others in proportion: the score is
100 × Σ weight × share / Σ weight, over the indicators that apply. Each indicator's points are its
part of that sum, so the points add up to the score (each rounded to two places).
Pure functions: the run stores their result, the explanation page shows it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from supervision.efficiency.choices import Figure, Indicator

HUNDREDTH = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)


@dataclass(frozen=True)
class Definition:
    """How an indicator reads the figures: a rate numerator/denominator (or a count)."""

    indicator: str
    numerator: str
    denominator: str | None  # None: the indicator is a count (overdue)


DEFINITIONS = [
    Definition(Indicator.EARLY_COMPLETION, Figure.CONCLUDED_EARLY, Figure.CONCLUDED),
    Definition(Indicator.ON_TIME, Figure.CONCLUDED_ON_TIME, Figure.CONCLUDED),
    Definition(Indicator.OVERDUE, Figure.OVERDUE, None),
    Definition(Indicator.SATISFACTION, Figure.RATINGS_SATISFIED, Figure.RATINGS),
    # 1 − promised/statutory: the figures are the sums of the limits of the cases accepted.
    Definition(Indicator.COMPRESSION, "promised_days", "statutory_days"),
    Definition(Indicator.ONLINE, Figure.ONLINE, Figure.ACCEPTED),
    Definition(Indicator.SUPPLEMENT, Figure.ACCEPTED_AFTER_NOTICE, Figure.ACCEPTED),
]


def _clamp(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value))


def _share(definition: Definition, figures: Mapping[str, int], version) -> tuple[bool, Decimal | None, Decimal]:
    """(applies, the indicator's value, its share 0..1)."""
    numerator = Decimal(figures[definition.numerator])
    if definition.indicator == Indicator.OVERDUE:
        applies = figures[Figure.CONCLUDED] + figures[Figure.OVERDUE] > 0
        return applies, numerator, _clamp(ONE - numerator / Decimal(version.overdue_tolerance))
    denominator = Decimal(figures[definition.denominator])
    if denominator == 0:
        return False, None, ZERO
    rate = numerator / denominator
    if definition.indicator == Indicator.COMPRESSION:
        value = ONE - rate
        return True, value, _clamp(value / version.compression_target)
    if definition.indicator == Indicator.ONLINE:
        return True, rate, _clamp(rate / version.online_target)
    if definition.indicator == Indicator.SUPPLEMENT:
        return True, rate, _clamp(ONE - rate / version.supplement_tolerance)
    return True, rate, rate


def score(figures: Mapping[str, int], version) -> tuple[Decimal | None, list[dict]]:
    """The points (None when no weighted indicator applies) and the explanation, one entry per
    indicator: value, share, weight, points, and the figures it was read from."""
    rows = []
    for definition in DEFINITIONS:
        applies, value, share = _share(definition, figures, version)
        weight = version.weight(definition.indicator)
        rows.append((definition, applies, value, share, weight))
    weight_applied = sum((weight for _d, applies, _v, _s, weight in rows if applies), ZERO)
    breakdown = []
    total = ZERO
    for definition, applies, value, share, weight in rows:
        exact = HUNDRED * weight * share / weight_applied if applies and weight_applied else ZERO
        total += exact
        breakdown.append({
            "indicator": str(definition.indicator),
            "numerator": str(definition.numerator),
            "denominator": str(definition.denominator) if definition.denominator else None,
            "applies": applies,
            "value": None if value is None else str(value.quantize(RATE_PLACES, ROUND_HALF_UP)
                                                   if definition.denominator else value),
            "share": str(share.quantize(RATE_PLACES, ROUND_HALF_UP)),
            "weight": str(weight),
            "points": str(exact.quantize(HUNDREDTH, ROUND_HALF_UP)),
        })
    if not weight_applied:
        return None, breakdown
    return total.quantize(HUNDREDTH, ROUND_HALF_UP), breakdown


def competition_ranks(points: list[Decimal]) -> list[int]:
    """Ranks for points in any order: highest first, ties share a rank (1, 2, 2, 4)."""
    ordered = sorted(points, reverse=True)
    first_position = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return [first_position[value] for value in points]
