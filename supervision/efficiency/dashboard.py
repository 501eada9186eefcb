"""The supervisors' dashboards (分析云, DOMAIN.md §5), read from the monthly rollups only.

Four grouped reads of ``MonthlyRollup`` (by month, by department, by item, by channel), each over a
few thousand rows at most whatever the number of cases, plus the names of the departments and
items shown. Scoped by the viewer's region (``restrict``) before any filter applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Sum

from approvals.choices import Channel
from portal.catalogue.models import Item
from portal.organisation.models import Department, Region
from portal.scoping import VIEW
from supervision.efficiency.forms import add_months
from supervision.efficiency.models import MEASURES, MonthlyRollup

TOP = 10
RANKING_SIZE = 15
# The dashboards' satisfaction rate: ratings that are not bad reviews (差评 are the two lowest
# levels, 国办发〔2019〕51号) over all ratings. Scores use their rule version's level instead.
SATISFIED_LEVELS = (3, 4, 5)


@dataclass(frozen=True)
class Filters:
    start: date  # first month
    end: date  # last month (its first day)
    region: Region | None = None
    department: Department | None = None


def months_of(filters: Filters) -> list[date]:
    months, month = [], filters.start
    while month <= filters.end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _base(user, filters: Filters):
    rows = MonthlyRollup.objects.restrict(user, VIEW).filter(month__gte=filters.start, month__lte=filters.end)
    if filters.region is not None:
        rows = rows.filter(region_path__startswith=filters.region.path)
    if filters.department is not None:
        rows = rows.filter(department=filters.department)
    return rows


def _sums(rows, group: str) -> list[dict]:
    return list(rows.order_by().values(group).annotate(**{name: Sum(name) for name in MEASURES}))


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def derived(figures: dict) -> dict:
    """The rates of a row of sums (None where there is no denominator)."""
    ratings = sum(figures.get(f"rated_level_{level}") or 0 for level in range(1, 6))
    satisfied = sum(figures.get(f"rated_level_{level}") or 0 for level in SATISFIED_LEVELS)
    statutory = figures.get("statutory_days") or 0
    return {
        "early_rate": _rate(figures.get("concluded_early") or 0, figures.get("concluded") or 0),
        "on_time_rate": _rate(figures.get("concluded_on_time") or 0, figures.get("concluded") or 0),
        "online_rate": _rate(figures.get("online") or 0, figures.get("accepted") or 0),
        "supplement_rate": _rate(figures.get("accepted_after_notice") or 0, figures.get("accepted") or 0),
        "compression": round(1 - (figures.get("promised_days") or 0) / statutory, 4) if statutory else None,
        "ratings": ratings,
        "satisfaction_rate": _rate(satisfied, ratings),
    }


def _clean(figures: dict) -> dict:
    return {name: int(figures.get(name) or 0) for name in MEASURES}


def dashboard_data(user, filters: Filters) -> dict:
    """Everything the charts draw, in one answer."""
    rows = _base(user, filters)
    months = months_of(filters)
    by_month = {row["month"]: _clean(row) for row in _sums(rows, "month")}
    monthly = [by_month.get(month, _clean({})) for month in months]
    by_department = {row["department"]: _clean(row) for row in _sums(rows, "department")}
    by_channel = {row["channel"]: _clean(row) for row in _sums(rows, "channel")}
    top_items = list(rows.order_by().values("item").annotate(accepted=Sum("accepted"))
                     .filter(accepted__gt=0).order_by("-accepted", "item")[:TOP])
    department_names = dict(Department.objects.filter(pk__in=list(by_department)).values_list("pk", "name"))
    item_names = dict(Item.objects.filter(pk__in=[row["item"] for row in top_items]).values_list("pk", "name"))

    totals = _clean({name: sum(month[name] for month in monthly) for name in MEASURES})
    departments = [{"id": pk, "name": department_names.get(pk, str(pk)), **figures, **derived(figures)}
                   for pk, figures in by_department.items()]

    def ranking(key: str, *, having: str, reverse: bool = True) -> list[dict]:
        chosen = [row for row in departments if row[having] and row[key] is not None]
        chosen.sort(key=lambda row: (-row[key] if reverse else row[key], row["name"]))
        return [{"name": row["name"], "value": row[key], "base": row[having]} for row in chosen[:RANKING_SIZE]]

    return {
        "period": {"start": f"{filters.start:%Y-%m}", "end": f"{filters.end:%Y-%m}"},
        "months": [f"{month:%Y-%m}" for month in months],
        "totals": {**totals, **derived(totals)},
        "volume": {name: [month[name] for month in monthly] for name in ("received", "accepted", "concluded")},
        "channels": [{"channel": value, "label": str(label), "accepted": by_channel.get(value, {}).get("accepted", 0),
                      "received": by_channel.get(value, {}).get("received", 0)} for value, label in Channel.choices],
        "top_departments": [{"name": row["name"], "accepted": row["accepted"], "concluded": row["concluded"]}
                            for row in sorted(departments, key=lambda row: (-row["accepted"], row["name"]))[:TOP]
                            if row["accepted"]],
        "top_items": [{"name": item_names.get(row["item"], str(row["item"])), "accepted": row["accepted"]}
                      for row in top_items],
        "early_ranking": ranking("early_rate", having="concluded"),
        "overdue_ranking": [{"name": row["name"], "value": row["overdue"], "base": row["concluded"]}
                            for row in sorted(departments, key=lambda row: (-row["overdue"], row["name"]))
                            if row["overdue"]][:RANKING_SIZE],
        "compression_ranking": ranking("compression", having="statutory_days"),
        "satisfaction_ranking": ranking("satisfaction_rate", having="ratings"),
        "online_ranking": ranking("online_rate", having="accepted"),
        "licences": {"issued": [month["licences_issued"] for month in monthly],
                     "reused": [month["materials_reused"] for month in monthly]},
        "monthly": monthly,
        "departments": sorted(departments, key=lambda row: (-row["accepted"], row["name"])),
    }
