"""Exports open in Excel with the figures, and the public ranking shows departments only."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from supervision.efficiency import rollups, services
from supervision.efficiency.models import ScoringRun
from tests.approvals.conftest import at
from tests.efficiency.conftest import AS_OF

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(october):
    with at(*AS_OF):
        rollups.refresh_rollups()
    return october


@pytest.fixture
def published(rule, october):
    """October's monthly run, made by the daily sweep on 3 November and published."""
    with at(*AS_OF):
        run, = services.ensure_monthly_runs()
        return services.compute_scoring_run(run.pk)


def test_the_dashboard_exports_as_a_workbook_with_the_figures(client, built, supervisor_city):
    client.force_login(supervisor_city)

    response = client.get(reverse("efficiency:dashboard_export_xlsx"), {"start": "2025-10", "end": "2025-10"})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="efficiency-2025-10-2025-10.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "月度趋势", "部门", "申报渠道", "受理量前十事项"]
    departments = list(workbook["部门"].iter_rows(values_only=True))
    header = departments[0]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in departments[1:]}
    assert (rows["江城区行政审批局"]["受理"], rows["江城区行政审批局"]["办结"], rows["江城区行政审批局"]["超期"],
            rows["江城区行政审批局"]["提前办结率"]) == (4, 4, 2, 0.5)
    assert rows["临湖区行政审批局"]["提前办结率"] == 1
    assert workbook["部门"].cell(row=2, column=header.index("提前办结率") + 1).number_format == "0.00%"
    months = list(workbook["月度趋势"].iter_rows(values_only=True))
    assert months[1][:4] == ("2025-10", 5, 5, 4)  # received, accepted, online


def test_the_dashboard_exports_a_table_as_csv(client, built, supervisor_district_a):
    client.force_login(supervisor_district_a)

    response = client.get(reverse("efficiency:dashboard_export_csv"),
                          {"start": "2025-10", "end": "2025-10", "table": "departments"})

    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["部门", "收件", "受理"]
    assert [row[0] for row in rows[1:]] == ["江城区行政审批局"]  # district A's own, nothing of B
    assert rows[1][2] == "4"
    unknown = client.get(reverse("efficiency:dashboard_export_csv"), {"table": "salaries"})
    assert unknown.status_code == 404


def test_a_ranking_exports_as_a_workbook(client, rule, october, city, supervisor_city):
    from tests.efficiency.conftest import score_october

    run = score_october(rule, city, supervisor_city)
    client.force_login(supervisor_city)

    response = client.get(reverse("efficiency:run_export_xlsx", args=[run.pk]), {"kind": "department"})

    sheet = load_workbook(io.BytesIO(response.content))["排名"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("排名", "部门", "所属部门", "得分")
    assert [row[:4] for row in rows[1:]] == [(1, "临湖区行政审批局", "临湖区行政审批局", 100),
                                             (2, "江城区行政审批局", "江城区行政审批局", 68.88)]
    assert rows[2][4:7] == (0.5, 0.75, 2)  # early, on time, overdue


def test_the_public_ranking_shows_departments_and_their_figures_only(client, published, october):
    response = client.get(reverse("efficiency_public:rankings"))

    body = response.content.decode()
    assert response.status_code == 200
    assert (published.kind, published.published_at is not None) == ("monthly", True)
    assert body.index("临湖区行政审批局") < body.index("江城区行政审批局")
    assert "68.88" in body and "50.0%" in body
    for private in [october["A"].receipt_number, "张伟", "江州宏信餐饮管理有限公司", "食品经营许可", "窗口</td>"]:
        assert private not in body


def test_an_unpublished_month_is_not_found(client, published):
    assert client.get(reverse("efficiency_public:rankings"), {"month": "2025-09"}).status_code == 404
    assert client.get(reverse("efficiency_public:rankings"), {"month": "bad"}).status_code == 404
    assert client.get(reverse("efficiency_public:rankings"), {"month": "2025-10"}).status_code == 200


def test_an_on_demand_run_is_not_published(client, rule, october, city, supervisor_city):
    from tests.efficiency.conftest import score_october

    run = score_october(rule, city, supervisor_city)

    assert run.published_at is None
    body = client.get(reverse("efficiency_public:rankings")).content.decode()
    assert "尚未公布绩效排名" in body and "江城区行政审批局" not in body


def test_the_monthly_run_is_made_once_whoever_asks(rule, october):
    with at(2025, 11, 3):
        first = services.ensure_monthly_runs()
        second = services.ensure_monthly_runs()

    assert [run.pk for run in first] == [run.pk for run in second]
    run = ScoringRun.objects.get()
    assert (run.period_start, run.period_end, run.kind) == (date(2025, 10, 1), date(2025, 10, 31), "monthly")
