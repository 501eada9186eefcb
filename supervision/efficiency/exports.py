"""Dashboards and rankings as Excel (xlsx) and CSV: officials live in Excel (DOMAIN.md §2).

Rates are written as numbers between 0 and 1 with a percentage format, so that Excel can compute
with them; CSV starts with a byte-order mark so that Excel opens the Chinese text as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from supervision.efficiency.choices import Indicator, SubjectKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RATE_KEYS = {"early_rate", "on_time_rate", "online_rate", "supplement_rate", "compression", "satisfaction_rate"}


def _figure_columns() -> list[tuple[str, str]]:
    return [
        ("received", _("收件")), ("accepted", _("受理")), ("online", _("网上申报受理")),
        ("accepted_after_notice", _("补正后受理")), ("concluded", _("办结")), ("concluded_early", _("提前办结")),
        ("concluded_on_time", _("按时办结")), ("overdue", _("超期")), ("early_rate", _("提前办结率")),
        ("on_time_rate", _("按时办结率")), ("online_rate", _("网上办理率")), ("supplement_rate", _("补正率")),
        ("compression", _("时限压缩率")), ("ratings", _("评价件数")), ("satisfaction_rate", _("满意率")),
        ("supplement_requests", _("一次性告知")), ("licences_issued", _("证照入库")),
        ("materials_reused", _("证照复用")),
    ]


def dashboard_tables(data: dict) -> dict[str, tuple[list[str], list[list]]]:
    """The dashboard as named tables: (header, rows)."""
    columns = _figure_columns()
    header = [label for _key, label in columns]
    months = [[month, *[row.get(key) for key, _label in columns]]
              for month, row in zip(data["months"], _monthly_rows(data), strict=True)]
    departments = [[row["name"], *[row.get(key) for key, _label in columns]] for row in data["departments"]]
    channels = [[row["label"], row["received"], row["accepted"]] for row in data["channels"]]
    items = [[row["name"], row["accepted"]] for row in data["top_items"]]
    totals = [[label, data["totals"].get(key)] for key, label in columns]
    return {
        "totals": ([_("指标"), _("数值")], totals),
        "months": ([_("月份"), *header], months),
        "departments": ([_("部门"), *header], departments),
        "channels": ([_("申报渠道"), _("收件"), _("受理")], channels),
        "items": ([_("事项"), _("受理")], items),
    }


def _monthly_rows(data: dict) -> list[dict]:
    """Per-month figures from the series of the answer (the rates computed per month)."""
    from supervision.efficiency.dashboard import derived

    series = data["monthly"]
    return [{**figures, **derived(figures)} for figures in series]


def table_titles() -> dict[str, str]:
    return {"totals": _("汇总"), "months": _("月度趋势"), "departments": _("部门"), "channels": _("申报渠道"),
            "items": _("受理量前十事项")}


def workbook_response(tables: dict[str, tuple[list[str], list[list]]], titles: dict[str, str],
                      filename: str) -> HttpResponse:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for key, (header, rows) in tables.items():
        sheet = workbook.create_sheet(title=titles[key][:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8F0FA")
        rate_columns = {index for index, label in enumerate(header, start=1) if label in _rate_labels()}
        for row in rows:
            sheet.append(list(row))
            for index in rate_columns:
                sheet.cell(row=sheet.max_row, column=index).number_format = "0.00%"
        if key == "totals":
            for row_index, (label, _value) in enumerate(rows, start=2):
                if label in _rate_labels():
                    sheet.cell(row=row_index, column=2).number_format = "0.00%"
        for index, label in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(str(label)) * 2 + 4))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def _rate_labels() -> set[str]:
    return {label for key, label in _figure_columns() if key in RATE_KEYS} | {
        str(Indicator.EARLY_COMPLETION.label), str(Indicator.ON_TIME.label), str(Indicator.SATISFACTION.label),
        str(Indicator.COMPRESSION.label), str(Indicator.ONLINE.label), str(Indicator.SUPPLEMENT.label)}


def csv_response(header: Sequence[str], rows: Iterable[Sequence], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def ranking_table(scores: Iterable, kind: str) -> tuple[list[str], list[list]]:
    """A run's ranking of one kind of subject: rank, name, points, then every rate and figure."""
    header = [_("排名"), SubjectKind(kind).label, _("所属部门"), _("得分"),
              str(Indicator.EARLY_COMPLETION.label), str(Indicator.ON_TIME.label), _("超期件数"),
              str(Indicator.SATISFACTION.label), str(Indicator.COMPRESSION.label), str(Indicator.ONLINE.label),
              str(Indicator.SUPPLEMENT.label), _("受理"), _("办结"), _("提前办结"), _("按时办结"), _("评价件数"),
              _("满意评价件数"), _("网上申报受理"), _("补正后受理")]
    rows = []
    for score in scores:
        values = {entry["indicator"]: entry["value"] for entry in score.breakdown}

        def rate(indicator: str, values=values):
            value = values.get(indicator)
            return None if value is None else float(value)

        rows.append([score.rank, str(score.subject_name), score.department_name, float(score.points),
                     rate(Indicator.EARLY_COMPLETION), rate(Indicator.ON_TIME), score.overdue,
                     rate(Indicator.SATISFACTION), rate(Indicator.COMPRESSION), rate(Indicator.ONLINE),
                     rate(Indicator.SUPPLEMENT), score.accepted, score.concluded, score.concluded_early,
                     score.concluded_on_time, score.ratings, score.ratings_satisfied, score.online,
                     score.accepted_after_notice])
    return [str(label) for label in header], rows

